import { z } from 'zod';
import { issuesFromZod, type Issue } from '../../canonical/index.js';
import { DEFAULT_PROGRAMME_RULES, ProgrammeRule } from '../../profiles/icpc-programmes.js';
import { parseHl7v3, type Hl7v3Options } from './hl7v3.js';
import { issue } from './issues.js';
import { parseOzisEdifact } from './ozis-edifact.js';
import { refused, type KetenzorgFormat, type KetenzorgResult } from './result.js';
import { DEFAULT_XML_LIMITS } from './xml.js';

/**
 * The one entry point for ketenzorg payloads from a GP system. It sniffs the format (XML → HL7v3 Ketenzorg;
 * `UNA`/`UNB` → the OZIS EDIFACT adapter) and hands the text to that format's adapter; every adapter returns
 * the same KetenzorgResult, so a new one plugs in here and nowhere else. Pure, and it never throws for bad input.
 */
export const KetenzorgOptions = z
  .object({
    maxBytes: z.number().int().positive().default(DEFAULT_XML_LIMITS.maxBytes),
    maxDepth: z.number().int().min(2).max(10_000).default(DEFAULT_XML_LIMITS.maxDepth),
    /** ICPC → programme rules; the default is profiles/icpc-programmes (the real set is per care group). */
    programmeRules: z.array(ProgrammeRule).default([...DEFAULT_PROGRAMME_RULES]),
  })
  .strict();
export type KetenzorgOptions = z.input<typeof KetenzorgOptions>;

type Adapter = (text: string, options: Hl7v3Options) => KetenzorgResult;

const ADAPTERS: Readonly<Record<KetenzorgFormat, Adapter>> = {
  'ketenzorg-hl7v3': parseHl7v3,
  'ozis-edifact': parseOzisEdifact,
};

const NO_OPTIONS: KetenzorgOptions = Object.freeze({});
// Parsing the default options validated every programme rule again on every message.
const DEFAULT_OPTIONS = KetenzorgOptions.safeParse(NO_OPTIONS);

export function parseKetenzorg(payload: Uint8Array | string, options: KetenzorgOptions = NO_OPTIONS): KetenzorgResult {
  const parsed = options === NO_OPTIONS ? DEFAULT_OPTIONS : KetenzorgOptions.safeParse(options);
  if (!parsed.success) return refused(issuesFromZod(parsed.error, 'OPTIONS_INVALID').map((i) => ({ ...i, severity: 'fatal' as const })));
  const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  if (size > parsed.data.maxBytes) {
    return refused([issue('fatal', 'PAYLOAD_TOO_LARGE', `the message is larger than the limit of ${parsed.data.maxBytes} bytes`)]);
  }
  const format = sniff(payload);
  if (!format) return refused([issue('fatal', 'FORMAT_UNKNOWN', 'the message is neither HL7v3 XML nor EDIFACT')]);
  const text = decode(payload, format);
  if (typeof text !== 'string') return refused([text], format);
  return ADAPTERS[format](text, parsed.data);
}

/** Looks only at the first non-blank characters; a UTF-8 byte order mark is skipped. */
function sniff(payload: Uint8Array | string): KetenzorgFormat | undefined {
  const head = typeof payload === 'string' ? payload.slice(0, 64) : Buffer.from(payload.subarray(0, 64)).toString('latin1');
  const start = head.replace(/^(\uFEFF|\u00EF\u00BB\u00BF)/, '').trimStart();
  if (start.startsWith('<')) return 'ketenzorg-hl7v3';
  if (/^UN[AB]/.test(start)) return 'ozis-edifact';
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const WESTERN = new TextDecoder('windows-1252');
const DECLARED_ENCODING = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;
const SINGLE_BYTE = new Set(['iso-8859-1', 'iso-8859-15', 'latin1', 'windows-1252', 'cp1252']);

/**
 * Bytes → text. XML is UTF-8 unless its declaration names a Western single-byte set; invalid UTF-8 is refused
 * rather than patched with replacement characters, which would alter names and values. EDIFACT is read byte for
 * byte (its character set is the adapter's business).
 */
/** The message as text, or why its bytes cannot be read as the encoding it declares (UTF-8 when it declares none). */
function decode(payload: Uint8Array | string, format: KetenzorgFormat): string | Issue {
  if (typeof payload === 'string') return payload.replace(/^\uFEFF/, '');
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (format === 'ozis-edifact') return bytes.toString('latin1');
  const declared = DECLARED_ENCODING.exec(bytes.subarray(0, 200).toString('latin1').replace(/^\u00EF\u00BB\u00BF/, ''))?.[1]?.toLowerCase();
  if (declared && SINGLE_BYTE.has(declared)) return WESTERN.decode(bytes);
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    return issue('fatal', 'ENCODING_INVALID', `the declared encoding ${declared} is not read here: send UTF-8 or ISO-8859-1`, { line: 1 });
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at);
    const line = before.reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
    const column = at - before.lastIndexOf(0x0a);
    return issue(
      'fatal', 'ENCODING_INVALID',
      `byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')} (byte ${at + 1}) is not valid UTF-8, which the message ${declared ? 'declares' : 'is read as when it declares no encoding'}; one written in ISO-8859-1 must say encoding="ISO-8859-1"`,
      { line, column },
    );
  }
}

/** Where the first ill-formed UTF-8 sequence begins (RFC 3629 §4): a byte that begins none, or one not continued as it must be. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const low = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
      const high = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
      if (c === undefined || c < low || c > high) return i;
    }
    i += length;
  }
  return Math.max(0, bytes.length - 1);
}
