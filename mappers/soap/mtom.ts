/** One binary part of an MTOM message, referred to from the envelope by `<xop:Include href="cid:…"/>`. */
export interface MtomPart {
  /** Content-ID without angle brackets, as the href's `cid:` names it. */
  readonly contentId: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/**
 * An MTOM/XOP response (W3C XOP, SOAP 1.2 MTOM; header form of ihe-xca-xcpd.md §3): the envelope as the root part
 * (application/xop+xml, type application/soap+xml), each document as a binary part. The boundary and the root's
 * Content-ID come from the caller, which must make them unique (random); nothing here reads a clock or random source.
 */
export function buildMtom(envelope: string, parts: readonly MtomPart[], ids: { readonly boundary: string; readonly rootContentId: string }): { contentType: string; body: Buffer } {
  const { boundary, rootContentId } = ids;
  for (const part of parts) {
    if (/[\r\n<>]/.test(part.contentId) || /[\r\n]/.test(part.contentType)) throw new Error('an MTOM part header may not hold line breaks or angle brackets');
  }
  const chunks: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n`
      + `Content-Transfer-Encoding: binary\r\nContent-ID: <${rootContentId}>\r\n\r\n`),
    Buffer.from(envelope, 'utf8'),
  ];
  for (const part of parts) {
    chunks.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${part.contentId}>\r\n\r\n`));
    chunks.push(Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength));
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    contentType: `multipart/related; type="application/xop+xml"; start="<${rootContentId}>"; start-info="application/soap+xml"; boundary="${boundary}"`,
    body: Buffer.concat(chunks),
  };
}
