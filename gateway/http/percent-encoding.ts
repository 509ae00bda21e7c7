/** A URI component decoded as a form or query reads it (`+` a space); undefined when it is not percent-encoded UTF-8. */
export function decodedComponent(component: string): string | undefined {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The first `name=value` pair of a query or form body that does not decode, with its name when that decodes: what
 * a lenient parser would read as replacement characters, a value other than the one sent.
 */
export function firstUndecodable(encoded: string): { readonly name?: string } | undefined {
  for (const pair of encoded.split('&')) {
    const equals = pair.indexOf('=');
    const name = decodedComponent(equals < 0 ? pair : pair.slice(0, equals));
    if (name === undefined) return {};
    if (equals >= 0 && decodedComponent(pair.slice(equals + 1)) === undefined) return { name };
  }
  return undefined;
}
