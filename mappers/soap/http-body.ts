/**
 * The HTTP body of a SOAP request → the envelope text. Plain SOAP (`application/soap+xml`) and MTOM/XOP
 * (`multipart/related; type="application/xop+xml"`) are both accepted for every transaction, as is the quirk of
 * an MTOM Content-Type over a body that is not multipart (ihe-xca-xcpd.md §3, §6). The envelope must be UTF-8,
 * as SOAP 1.2 peers send it; invalid bytes are refused rather than patched.
 */
export type BodyRead =
  | { readonly ok: true; readonly envelope: string; readonly mtom: boolean }
  | { readonly ok: false; readonly reason: string; readonly status: 400 | 413 | 415 };

interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseMediaType(header: string): MediaType {
  const [head = '', ...rest] = splitParams(header);
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!(key in params)) params[key] = value;
  }
  return { type: head.trim().toLowerCase(), params };
}

/** Splits on semicolons outside quoted strings. */
function splitParams(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (c === '"' && header[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const XML_TYPES = new Set(['application/soap+xml', 'application/xop+xml', 'text/xml', 'application/xml']);

export function readSoapHttpBody(contentType: string | undefined, body: Buffer, maxBytes: number): BodyRead {
  if (body.byteLength > maxBytes) return { ok: false, reason: `the request is larger than the limit of ${maxBytes} bytes`, status: 413 };
  if (!contentType) return { ok: false, reason: 'the request has no Content-Type', status: 415 };
  const media = parseMediaType(contentType);
  if (media.type === 'multipart/related') {
    const start = firstNonBlank(body);
    if (start === 0x3c /* '<' */) return decodeXml(body, media.params.charset, true);
    return readMultipart(media, body);
  }
  if (!XML_TYPES.has(media.type)) return { ok: false, reason: `Content-Type ${media.type} is not SOAP (application/soap+xml or MTOM multipart/related)`, status: 415 };
  return decodeXml(body, media.params.charset, false);
}

function firstNonBlank(body: Buffer): number | undefined {
  for (const byte of body.subarray(0, 64)) if (byte !== 0x20 && byte !== 0x0d && byte !== 0x0a && byte !== 0x09 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) return byte;
  return undefined;
}

function readMultipart(media: MediaType, body: Buffer): BodyRead {
  const boundary = media.params.boundary;
  if (!boundary) return { ok: false, reason: 'the multipart/related Content-Type has no boundary', status: 400 };
  const parts = splitParts(body, boundary);
  if (!parts) return { ok: false, reason: 'the MTOM body does not hold the parts its boundary announces', status: 400 };
  const start = media.params.start ? stripAngles(media.params.start) : undefined;
  const root = start ? parts.find((p) => stripAngles(p.headers['content-id'] ?? '') === start) : parts[0];
  if (!root) return { ok: false, reason: 'the MTOM body has no part with the Content-ID its start parameter names', status: 400 };
  const rootType = parseMediaType(root.headers['content-type'] ?? '');
  if (!XML_TYPES.has(rootType.type)) return { ok: false, reason: `the MTOM root part is ${rootType.type || 'untyped'}, not application/xop+xml`, status: 415 };
  const encoding = (root.headers['content-transfer-encoding'] ?? 'binary').toLowerCase();
  if (!['binary', '8bit', '7bit'].includes(encoding)) return { ok: false, reason: `the MTOM root part's Content-Transfer-Encoding ${encoding} is not accepted`, status: 415 };
  return decodeXml(root.body, rootType.params.charset, true);
}

const stripAngles = (id: string) => id.trim().replace(/^<(.*)>$/, '$1');

interface Part {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** RFC 2046 §5.1: parts between `--boundary` delimiter lines, the last one followed by `--`. */
function splitParts(body: Buffer, boundary: string): Part[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at === -1) return undefined;
  for (;;) {
    let cursor = at + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts.length > 0 ? parts : undefined;
    cursor = skipLineEnd(body, skipSpaces(body, cursor));
    const next = body.indexOf(delimiter, cursor);
    if (next === -1) return undefined;
    // The CRLF before a delimiter belongs to the delimiter, not to the part.
    let end = next;
    if (body[end - 1] === 0x0a) end--;
    if (body[end - 1] === 0x0d) end--;
    const part = parsePart(body.subarray(cursor, Math.max(cursor, end)));
    if (!part) return undefined;
    parts.push(part);
    at = next;
  }
}

const skipSpaces = (b: Buffer, i: number) => {
  while (b[i] === 0x20 || b[i] === 0x09) i++;
  return i;
};
const skipLineEnd = (b: Buffer, i: number) => (b[i] === 0x0d && b[i + 1] === 0x0a ? i + 2 : b[i] === 0x0a ? i + 1 : i);

function parsePart(raw: Buffer): Part | undefined {
  let split = raw.indexOf('\r\n\r\n');
  let gap = 4;
  const lf = raw.indexOf('\n\n');
  if (split === -1 || (lf !== -1 && lf < split)) {
    split = lf;
    gap = 2;
  }
  if (split === -1) return undefined;
  const headers: Record<string, string> = {};
  for (const line of raw.subarray(0, split).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(split + gap) };
}

function decodeXml(bytes: Buffer, charset: string | undefined, mtom: boolean): BodyRead {
  const declared = charset?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    return { ok: false, reason: `the envelope must be UTF-8, not ${charset}`, status: 415 };
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, envelope: text, mtom };
  } catch {
    return { ok: false, reason: 'the envelope is not valid UTF-8', status: 400 };
  }
}
