import type { Issue } from '../../canonical/index.js';
import { decodeBytes, encodeText, fitsLatin1, utf8Length, type TextEncoding } from './decode.js';

/**
 * EDIFACT interchange syntax, lossless: every segment with its values unescaped, where it starts, the blanks
 * after its terminator, and the UNA as written, so `writeInterchange(readInterchange(bytes))` gives the bytes back.
 * Nothing here knows MEDLAB; the envelope (UNB/UNH/UNT/UNZ) is checked in envelope.ts, meaning in to-canonical.ts.
 */
export interface Separators {
  readonly component: string;
  readonly element: string;
  readonly decimal: string;
  /** Undefined when the UNA declares none (a blank in its place): values then cannot carry separators. */
  readonly release: string | undefined;
  readonly terminator: string;
}

export const DEFAULT_SEPARATORS: Separators = { component: ':', element: '+', decimal: '.', release: '?', terminator: "'" };

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  /** Offset in the decoded text (UTF-16 code units). */
  readonly offset: number;
  readonly byteOffset: number;
}

export interface Segment {
  readonly tag: string;
  /** The Medeur counters written after the tag (`BEP:1:1:5` → 1, 1, 5). */
  readonly counters: readonly string[];
  /** Data elements after the tag, each a list of components, releases removed. */
  readonly elements: readonly (readonly string[])[];
  readonly terminated: boolean;
  /** The CR, LF, tab or space characters between this terminator and the next segment. */
  readonly after: string;
  readonly position?: SourcePosition;
  /** The segment as written, kept only when writing its values would not give it back (a needless release). */
  readonly verbatim?: string;
}

export interface Interchange {
  readonly encoding: TextEncoding;
  readonly bom: boolean;
  /** Blanks before the first segment. */
  readonly leading: string;
  readonly una?: { readonly text: string; readonly after: string };
  readonly separators: Separators;
  readonly segments: readonly Segment[];
  readonly issues: readonly Issue[];
}

const BLANK = /[\r\n\t ]*/y;
const TAG = /^[A-Z][A-Z0-9]{2}$/;

export function readInterchange(bytes: Uint8Array): Interchange {
  const { text, encoding, bom } = decodeBytes(bytes);
  const issues: Issue[] = [];
  if (encoding === 'latin-1') {
    issues.push({ severity: 'information', code: 'ENCODING_LATIN1', message: 'The interchange is not valid UTF-8; it was read as ISO 8859-1' });
  }
  const lines = new LineCounter(text, encoding);
  let pos = skipBlank(text, 0);
  const leading = text.slice(0, pos);
  let separators = DEFAULT_SEPARATORS;
  let una: Interchange['una'];
  if (text.startsWith('UNA', pos)) {
    const read = readUna(text, pos);
    if (read.separators) separators = read.separators;
    else {
      const { line, column } = lines.at(pos);
      issues.push({ severity: 'error', code: 'INVALID_UNA', message: 'The UNA service string advice is incomplete or reuses a separator', where: { segment: 'UNA', line, column } });
    }
    const end = skipBlank(text, read.end);
    una = { text: text.slice(pos, read.end), after: text.slice(read.end, end) };
    pos = end;
  }
  const reader = new SegmentReader(separators);
  const segments: Segment[] = [];
  while (pos < text.length) {
    const where = lines.at(pos);
    const { segment, end } = reader.read(text, pos, where);
    segments.push(segment);
    pos = end;
    const location = () => ({ segment: segment.tag || '(empty)', line: where.line, column: where.column });
    if (!TAG.test(segment.tag)) issues.push({ severity: 'warning', code: 'INVALID_TAG', message: 'The segment does not start with a three-character tag', where: location() });
    if (segment.verbatim !== undefined && segment.terminated) {
      issues.push({ severity: 'information', code: 'UNNEEDED_RELEASE', message: 'A release character precedes a character that needs none; it was ignored', where: location() });
    }
    if (!segment.terminated) {
      issues.push({ severity: 'error', code: 'UNTERMINATED_SEGMENT', message: 'The last segment has no terminator: the transfer is incomplete', where: location() });
    }
  }
  return { encoding, bom, leading, ...(una ? { una } : {}), separators, segments, issues };
}

/** The interchange as bytes: in its own encoding, or UTF-8 when an edited value no longer fits ISO 8859-1. */
export function writeInterchange(interchange: Omit<Interchange, 'issues'>): { bytes: Uint8Array; encoding: TextEncoding } {
  const text = writeInterchangeText(interchange);
  const encoding = interchange.encoding === 'latin-1' && !fitsLatin1(text) ? 'utf-8' : interchange.encoding;
  return { bytes: encodeText(text, encoding, encoding === 'utf-8' && interchange.bom), encoding };
}

export function writeInterchangeText(interchange: Omit<Interchange, 'issues' | 'encoding' | 'bom'>): string {
  const seps = interchange.separators;
  const writer = new SegmentWriter(seps);
  const reader = new SegmentReader(seps);
  let out = interchange.leading;
  if (interchange.una) out += interchange.una.text + interchange.una.after;
  for (const segment of interchange.segments) {
    out += verbatimStillTrue(segment, reader) ? segment.verbatim : writer.write(segment);
    if (segment.terminated) out += seps.terminator;
    out += segment.after;
  }
  return out;
}

/** A kept verbatim text is used only while it still says what the values say (they may have been edited). */
function verbatimStillTrue(segment: Segment, reader: SegmentReader): segment is Segment & { verbatim: string } {
  if (segment.verbatim === undefined) return false;
  const again = reader.read(segment.verbatim, 0, undefined).segment;
  return again.tag === segment.tag && sameList(again.counters, segment.counters) && again.elements.length === segment.elements.length &&
    again.elements.every((e, i) => sameList(e, segment.elements[i]!));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function skipBlank(text: string, pos: number): number {
  BLANK.lastIndex = pos;
  BLANK.exec(text);
  return BLANK.lastIndex;
}

/**
 * `UNA:+.? '` gives component, element, decimal, release, reserved, terminator. Some senders omit the reserved
 * character (a 5-character UNA, which Zato also reads): recognised when the UNB follows one character early.
 */
function readUna(text: string, pos: number): { separators?: Separators; end: number } {
  const six = text.slice(pos + 3, pos + 9);
  if (six.length < 5) return { end: text.length };
  const fiveFollowedByUnb = text.startsWith('UNB', skipBlank(text, pos + 8)) && !text.startsWith('UNB', skipBlank(text, pos + 9));
  const chars = fiveFollowedByUnb ? [six[0]!, six[1]!, six[2]!, six[3]!, six[4]!] : [six[0]!, six[1]!, six[2]!, six[3]!, six[5] ?? ''];
  const [component, element, decimal, release, terminator] = chars as [string, string, string, string, string];
  const end = pos + (fiveFollowedByUnb ? 8 : 9);
  const used = [component, element, terminator, ...(release === ' ' ? [] : [release])];
  if (six.length < (fiveFollowedByUnb ? 5 : 6) || new Set(used).size !== used.length || used.some((c) => /[\r\n\tA-Za-z0-9 ]/.test(c))) return { end: Math.min(end, text.length) };
  return { separators: { component, element, decimal, release: release === ' ' ? undefined : release, terminator }, end };
}

/** Line, column and byte offset of a text offset; offsets are asked for in increasing order. */
class LineCounter {
  private line = 1;
  private lineStart = 0;
  private scanned = 0;
  private bytes = 0;
  private readonly ascii: boolean;

  constructor(private readonly text: string, encoding: TextEncoding) {
    this.ascii = encoding === 'latin-1' || !/[^\u0000-\u007f]/.test(text);
  }

  at(offset: number): SourcePosition {
    let nl = this.text.indexOf('\n', this.scanned);
    while (nl !== -1 && nl < offset) {
      this.line++;
      this.lineStart = nl + 1;
      nl = this.text.indexOf('\n', nl + 1);
    }
    this.bytes += this.ascii ? offset - this.scanned : utf8Length(this.text, this.scanned, offset);
    this.scanned = offset;
    return { line: this.line, column: offset - this.lineStart + 1, offset, byteOffset: this.bytes };
  }
}

class SegmentReader {
  private readonly component: number;
  private readonly element: number;
  private readonly release: number;
  private readonly terminator: number;
  private readonly service: string;

  constructor(seps: Separators) {
    this.component = seps.component.charCodeAt(0);
    this.element = seps.element.charCodeAt(0);
    this.release = seps.release === undefined ? -1 : seps.release.charCodeAt(0);
    this.terminator = seps.terminator.charCodeAt(0);
    this.service = seps.component + seps.element + (seps.release ?? '') + seps.terminator;
  }

  read(text: string, start: number, position: SourcePosition | undefined): { segment: Segment; end: number } {
    const composites: string[][] = [];
    let components: string[] = [];
    let value = '';
    let run = start;
    let pos = start;
    let canonical = true;
    let terminated = false;
    const n = text.length;
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === this.release) {
        value += text.slice(run, pos);
        const next = text[pos + 1];
        if (next === undefined) {
          canonical = false;
          pos += 1;
        } else {
          if (!this.service.includes(next)) canonical = false;
          value += next;
          pos += 2;
        }
        run = pos;
      } else if (c === this.component || c === this.element || c === this.terminator) {
        components.push(value + text.slice(run, pos));
        value = '';
        pos += 1;
        run = pos;
        if (c === this.component) continue;
        composites.push(components);
        components = [];
        if (c === this.terminator) {
          terminated = true;
          break;
        }
      } else {
        pos += 1;
      }
    }
    if (!terminated) {
      components.push(value + text.slice(run, pos));
      composites.push(components);
    }
    const textEnd = terminated ? pos - 1 : pos;
    const end = skipBlank(text, pos);
    // Built in place rather than by spreading: this runs once per segment, and allocation is most of its cost.
    const head = composites.shift() ?? [''];
    const tag = head.shift() ?? '';
    const segment: { -readonly [K in keyof Segment]: Segment[K] } = { tag, counters: head, elements: composites, terminated, after: text.slice(pos, end) };
    if (position) segment.position = position;
    if (!canonical) segment.verbatim = text.slice(start, textEnd);
    return { segment, end };
  }
}

class SegmentWriter {
  private readonly special: RegExp | undefined;
  private readonly release: string;

  constructor(private readonly seps: Separators) {
    this.release = seps.release ?? '';
    const chars = [seps.component, seps.element, seps.release, seps.terminator].filter((c): c is string => c !== undefined);
    // Without a release character nothing can be escaped; such an interchange cannot carry separators in values.
    this.special = seps.release === undefined ? undefined : new RegExp(`[${chars.map((c) => `\\${c}`).join('')}]`, 'g');
  }

  write(segment: Segment): string {
    const head = [segment.tag, ...segment.counters].map((v) => this.escape(v)).join(this.seps.component);
    const rest = segment.elements.map((e) => e.map((v) => this.escape(v)).join(this.seps.component));
    return rest.length === 0 ? head : `${head}${this.seps.element}${rest.join(this.seps.element)}`;
  }

  private escape(value: string): string {
    if (!this.special) return value;
    this.special.lastIndex = 0;
    return this.special.test(value) ? value.replace(this.special, (c) => this.release + c) : value;
  }
}
