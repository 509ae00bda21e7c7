/**
 * Bytes ↔ text for EDIFACT interchanges. The UNB may declare UNOA (ASCII) while real traffic carries UTF-8 or
 * ISO 8859-1 names, so the bytes decide: valid UTF-8 is read as UTF-8, anything else as ISO 8859-1, which maps
 * every byte to one character and back, so an interchange of either kind is written back byte for byte.
 */
export type TextEncoding = 'utf-8' | 'latin-1';

export interface DecodedText {
  readonly text: string;
  readonly encoding: TextEncoding;
  /** A UTF-8 byte order mark was present (kept out of `text`, written back). */
  readonly bom: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BOM = '\uFEFF';

export function decodeBytes(bytes: Uint8Array): DecodedText {
  const utf8 = tryUtf8(bytes);
  if (utf8 !== undefined) {
    return utf8.startsWith(BOM) ? { text: utf8.slice(1), encoding: 'utf-8', bom: true } : { text: utf8, encoding: 'utf-8', bom: false };
  }
  return { text: latin1Text(bytes), encoding: 'latin-1', bom: false };
}

function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // The fatal decoder's only way of saying "not UTF-8"; the caller falls back to Latin-1.
    return undefined;
  }
}

/** ISO 8859-1 by definition (byte n is U+00n), not the WHATWG "latin1" label, which means Windows-1252. */
function latin1Text(bytes: Uint8Array): string {
  let text = '';
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return text;
}

/** Whether text can be written in ISO 8859-1 without loss. */
export function fitsLatin1(text: string): boolean {
  return !/[^\u0000-\u00ff]/.test(text);
}

export function encodeText(text: string, encoding: TextEncoding, bom: boolean): Uint8Array {
  if (encoding === 'utf-8') return new TextEncoder().encode(bom ? BOM + text : text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** UTF-8 length of text[from, to): the byte offsets issues and tools point at. */
export function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    // A surrogate pair is one 4-byte character: 2 bytes for each half.
    else if (c >= 0xd800 && c <= 0xdfff) n += 2;
    else n += 3;
  }
  return n;
}
