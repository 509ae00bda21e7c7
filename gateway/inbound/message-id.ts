import { createHash } from 'node:crypto';
import type { Channel } from './parsed.js';

/**
 * The sender's id for a message, read from its first bytes before anything parses it, so the raw message can be
 * stored (once per sender and id) before a parser that might fail has run. Only the header is looked at:
 * - HL7v3: the transmission wrapper's own `id`, its root element's first child (MCCI_MT000100 puts it first),
 *   written `root^extension` as the ketenzorg parser writes ids; an `id` further in (a receiver's device) names
 *   another thing, and taking it would make different messages one;
 * - EDIFACT: UNB element 2 (sender mailbox) and element 5 (interchange control reference), `sender/reference`:
 *   a reference is unique per sender only (ISO 9735), and one connection may forward several labs' interchanges.
 * When neither can be read, the SHA-256 of the bytes stands in: the same bytes twice are still one message.
 */
const HEAD_BYTES = 16_384;
/** The store keeps ids up to 200 characters; a longer one is kept as its digest, which still tells repeats apart. */
const MAX_ID = 200;

function headOf(raw: Uint8Array): string {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, HEAD_BYTES)).toString('latin1');
  return head.replace(/^\u00EF\u00BB\u00BF/, '').trimStart();
}

/**
 * Which channel a file belongs to, for `crossgate ingest`: XML is HL7v3 Ketenzorg; EDIFACT naming MEDLAB in its
 * header is a lab interchange, other EDIFACT is taken as OZIS ketenzorg (which is then kept in quarantine).
 */
export function channelOf(raw: Uint8Array): Channel | undefined {
  const start = headOf(raw);
  if (start.startsWith('<')) return 'ketenzorg';
  if (!/^UN[AB]/.test(start)) return undefined;
  return /MEDLAB/.test(start.slice(0, 2048)) ? 'lab' : 'ketenzorg';
}

export function messageIdOf(raw: Uint8Array): string {
  const start = headOf(raw);
  const id = start.startsWith('<') ? hl7v3Id(start) : /^UN[AB]/.test(start) ? edifactId(start) : undefined;
  if (id === undefined) return `sha256:${sha256(raw)}`;
  return id.length > MAX_ID ? `id-sha256:${sha256(Buffer.from(id, 'latin1'))}` : id;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const NAME = String.raw`(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*`;
const ATTRIBUTES = String.raw`((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)`;
/** The root element's start tag, then (past any text) its first child, when that is an `id`. */
const WRAPPER_ID = new RegExp(String.raw`^<${NAME}${ATTRIBUTES}\s*>[^<]*<(?:[A-Za-z_][\w.-]*:)?id\b${ATTRIBUTES}\s*\/?>`);
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function hl7v3Id(text: string): string | undefined {
  const body = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '').trimStart();
  const attributes = WRAPPER_ID.exec(body)?.[2];
  if (attributes === undefined) return undefined;
  const attribute = (name: string) => {
    const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
    return m ? unescape(m[1] ?? m[2] ?? '').trim() : '';
  };
  if (attribute('nullFlavor')) return undefined;
  const root = attribute('root');
  const extension = attribute('extension');
  if (!root) return undefined;
  return extension ? `${root}^${extension}` : root;
}

function unescape(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** UNA (when present) sets the separators; the UNB is split on unreleased separators only. */
function edifactId(text: string): string | undefined {
  let component = ':';
  let element = '+';
  let release: string | undefined = '?';
  let terminator = "'";
  let rest = text;
  if (text.startsWith('UNA')) {
    if (text.length < 9) return undefined;
    [component, element] = [text[3]!, text[4]!];
    release = text[6] === ' ' ? undefined : text[6]!;
    terminator = text[8]!;
    rest = text.slice(9).trimStart();
  }
  if (!rest.startsWith(`UNB${element}`)) return undefined;
  const elements: string[][] = [[]];
  let value = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === release && i + 1 < rest.length) {
      value += rest[++i];
    } else if (c === component) {
      elements.at(-1)!.push(value);
      value = '';
    } else if (c === element || c === terminator) {
      elements.at(-1)!.push(value);
      value = '';
      if (c === terminator) break;
      elements.push([]);
    } else if (c !== '\r' && c !== '\n') {
      value += c;
    }
  }
  const sender = elements[2]?.[0]?.trim();
  const reference = elements[5]?.[0]?.trim();
  return sender && reference ? `${sender}/${reference}` : undefined;
}
