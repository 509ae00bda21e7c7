import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Issue } from '../../canonical/index.js';
import { decodeReferences, describeMalformed, LineIndex } from '../xml/text.js';
import { issue } from './issues.js';

/**
 * The syntax layer: untrusted XML text → a small element tree, or fatal issues. Hostile input is refused before
 * fast-xml-parser sees it: any DTD (XXE, billion laughs) and anything over the size limit; nesting beyond the
 * depth limit stops the parser. Namespace prefixes are stripped (so any prefix works), attributes kept, and every
 * element knows its path and its place in the text, so a mapper can name where a problem sits.
 */
export interface XmlLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 5 * 1024 * 1024, maxDepth: 100 };

export interface XmlElement {
  /** Local name, prefix stripped. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text and CDATA, references decoded, trimmed. */
  readonly text: string;
  /** `/POOB_IN990003NL/ControlActProcess/subject/organizer/component[2]/observation`; `[n]` only among namesakes. */
  readonly path: string;
  readonly line: number;
}

export type XmlRead = { readonly ok: true; readonly root: XmlElement } | { readonly ok: false; readonly issues: Issue[] };

const makeParser = (maxDepth: number) =>
  new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    // Off: references are decoded below, where only XML's five and character references exist (no DTD is allowed).
    processEntities: false,
    htmlEntities: false,
    cdataPropName: '#cdata',
    captureMetaData: true,
    // The library counts the document node too: N allows N + 1 levels of elements.
    maxNestedTags: maxDepth - 1,
  });

const defaultParser = makeParser(DEFAULT_XML_LIMITS.maxDepth);
const parser = (maxDepth: number) => (maxDepth === DEFAULT_XML_LIMITS.maxDepth ? defaultParser : makeParser(maxDepth));

// The typings declare the wrapper type `Symbol`; the value is a primitive symbol usable as a key.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

export function readXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  return read(text, limits, true);
}

/** readXml by the library path alone: the fast reader must build what this builds, or leave the text to it. */
export function readXmlWithLibrary(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  return read(text, limits, false);
}

function read(text: string, limits: XmlLimits, fast: boolean): XmlRead {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return fail(issue('fatal', 'XML_TOO_LARGE', `the message is larger than the limit of ${limits.maxBytes} bytes`));
  }
  const lines = new LineIndex(text);
  const dtd = declarationAt(text);
  if (dtd !== -1) {
    return fail(issue('fatal', 'XML_DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted', lines.at(dtd)));
  }
  const scanned = fast ? scan(text, limits.maxDepth, lines) : undefined;
  if (scanned) return { ok: true, root: scanned };
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { message, where } = describeMalformed(text, validation.err, lines);
    return fail(issue('fatal', 'XML_MALFORMED', message, where));
  }
  let nodes: unknown;
  try {
    nodes = parser(limits.maxDepth).parse(text);
  } catch (error) {
    // The validator has passed the text, so the parser's only expected refusal is the depth limit.
    const tooDeep = error instanceof Error && /nested/i.test(error.message);
    return fail(
      tooDeep
        ? issue('fatal', 'XML_TOO_DEEP', `elements are nested deeper than the limit of ${limits.maxDepth}`)
        : issue('fatal', 'XML_MALFORMED', 'the message is not well-formed XML'),
    );
  }
  const problems: Issue[] = [];
  const roots = asNodes(nodes).filter((n) => elementName(n) !== undefined);
  const rootNode = roots[0];
  // The validator lets a second top-level element through; XML allows exactly one.
  if (!rootNode || roots.length > 1) {
    const second = roots[1]?.[META] as { startIndex?: number } | undefined;
    return fail(issue('fatal', 'XML_MALFORMED', 'the message must have exactly one root element', lines.at(second?.startIndex ?? 0)));
  }
  const root = toElement(rootNode, '', undefined, lines, problems);
  return problems.length > 0 ? { ok: false, issues: problems } : { ok: true, root };
}

/**
 * Where the first `<!DOCTYPE` or `<!ENTITY` starts (ASCII letters in any case), or -1. A case-insensitive regular
 * expression over the whole text cost as much as reading it; `<!` is rare outside comments and CDATA.
 */
function declarationAt(text: string): number {
  for (let i = text.indexOf('<!'); i !== -1; i = text.indexOf('<!', i + 2)) {
    if (spells(text, i + 2, 'doctype') || spells(text, i + 2, 'entity')) return i;
  }
  return -1;
}

/** `word` (lower-case letters) at `at`, either case; setting bit 5 turns only A–Z into a–z. */
function spells(text: string, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if ((text.charCodeAt(at + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

function fail(...issues: Issue[]): XmlRead {
  return { ok: false, issues };
}

type Node = Record<string | symbol, unknown>;

function asNodes(value: unknown): Node[] {
  return Array.isArray(value) ? value.filter((v): v is Node => typeof v === 'object' && v !== null) : [];
}

function elementName(node: Node): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata' && !k.startsWith('?'));
}

function toElement(node: Node, parentPath: string, siblingIndex: number | undefined, lines: LineIndex, problems: Issue[]): XmlElement {
  const name = elementName(node) ?? '';
  const path = `${parentPath}/${name}${siblingIndex === undefined ? '' : `[${siblingIndex}]`}`;
  const meta = node[META] as { startIndex?: number } | undefined;
  const line = lines.at(meta?.startIndex ?? 0).line;
  const attributes: Record<string, string> = {};
  const rawAttributes = node[':@'];
  if (typeof rawAttributes === 'object' && rawAttributes !== null) {
    for (const [key, value] of Object.entries(rawAttributes)) {
      if (key === 'xmlns' || typeof value !== 'string') continue;
      attributes[key] = decode(value, path, line, problems);
    }
  }
  const childNodes = asNodes(node[name]);
  const counts = new Map<string, number>();
  for (const child of childNodes) {
    const childName = elementName(child);
    if (childName !== undefined) counts.set(childName, (counts.get(childName) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  const children: XmlElement[] = [];
  let text = '';
  for (const child of childNodes) {
    const childName = elementName(child);
    if (childName !== undefined) {
      const n = (seen.get(childName) ?? 0) + 1;
      seen.set(childName, n);
      children.push(toElement(child, path, (counts.get(childName) ?? 0) > 1 ? n : undefined, lines, problems));
    } else if (typeof child['#text'] === 'string') {
      text += decode(child['#text'], path, line, problems);
    } else if (Array.isArray(child['#cdata'])) {
      text += asNodes(child['#cdata']).map((c) => (typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
    }
  }
  return { name, attributes, children, text: text.trim(), path, line };
}

/** XML's predefined and character references; any other named reference has no declaration to come from. */
function decode(text: string, path: string, line: number, problems: Issue[]): string {
  return decodeReferences(text, () => problems.push(issue('fatal', 'XML_ENTITY_UNKNOWN', 'an entity reference is used that XML does not define', { path, line })));
}

/*
 * The fast reader. Validating with fast-xml-parser, parsing with preserveOrder and walking its tree again was
 * three quarters of parseKetenzorg's time. This single pass takes the plain XML senders write (ASCII names,
 * quoted attributes, text, comments, CDATA, an XML declaration first) and builds the same elements the library
 * path builds from it, keeping the library's text rules: each stretch of text between tags trimmed on its own, a
 * comment not ending a stretch, CR LF read as LF, attribute values trimmed, prefixes stripped, namespace
 * declarations dropped. Anything outside that subset, anything the library would refuse or rename and any unknown
 * reference makes it give up, and the library path reads the text as before, so malformed input gets the very
 * same diagnostics. Path and line are worked out only when asked for: only issues need them.
 */
class ScannedElement implements XmlElement {
  readonly children: ScannedElement[] = [];
  text = '';
  private knownPath: string | undefined;

  constructor(
    readonly name: string,
    readonly attributes: Readonly<Record<string, string>>,
    private readonly parent: ScannedElement | undefined,
    private readonly start: number,
    private readonly lines: LineIndex,
  ) {}

  get path(): string {
    if (this.knownPath === undefined) {
      let namesakes = 0;
      let position = 0;
      for (const sibling of this.parent?.children ?? []) {
        if (sibling.name !== this.name) continue;
        namesakes++;
        if (sibling === this) position = namesakes;
      }
      this.knownPath = `${this.parent?.path ?? ''}/${this.name}${namesakes > 1 ? `[${position}]` : ''}`;
    }
    return this.knownPath;
  }

  get line(): number {
    return this.lines.at(this.start).line;
  }
}

const GT = 62;
const SLASH = 47;
const BANG = 33;
const COLON = 58;
const EQUALS = 61;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;

const NAME_START = new Uint8Array(128);
const NAME_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  NAME_START[c] = letter ? 1 : 0;
  NAME_PART[c] = letter || (c >= 48 && c <= 57) || c === 45 || c === 46 ? 1 : 0;
}

/** Names fast-xml-parser renames or refuses (they would reach an object's prototype). */
const RESERVED: ReadonlySet<string> = new Set([
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);
const DECLARATION_TAG = /<\?xml(?:[ \t\r\n]+(?:version|encoding|standalone)[ \t\r\n]*=[ \t\r\n]*(?:"[^"<>?]*"|'[^'<>?]*'))*[ \t\r\n]*\?>/y;
/** The references the library's validator accepts in text and our decoding resolves alike. */
const TEXT_REFERENCE = /&(?:#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][A-Za-z0-9_]{0,19});/y;

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** Set by nameEnd: where the colon of the name is (-1 without a prefix), and a hash of its local part. */
let nameColon = -1;
let nameHash = 0;

/** End of an ASCII name (`local` or `prefix:local`) starting at `at`, or -1. */
function nameEnd(s: string, at: number): number {
  let i = at;
  let c = s.charCodeAt(i);
  nameColon = -1;
  if (!(c < 128 && NAME_START[c])) return -1;
  let h = c;
  for (c = s.charCodeAt(++i); c < 128 && NAME_PART[c]; c = s.charCodeAt(++i)) h = (Math.imul(h, 31) + c) | 0;
  if (c === COLON) {
    nameColon = i;
    c = s.charCodeAt(++i);
    if (!(c < 128 && NAME_START[c])) return -1;
    h = c;
    for (c = s.charCodeAt(++i); c < 128 && NAME_PART[c]; c = s.charCodeAt(++i)) h = (Math.imul(h, 31) + c) | 0;
    if (c === COLON) return -1;
  }
  nameHash = h;
  return i;
}

/**
 * Local names seen before, in slots by nameEnd's hash. Copying each name out of the text and having the engine
 * hash it again (to check it, to use it as a key) cost more than reading it; a name found here is neither. A slot
 * holds the last name that hashed to it; names the library renames or refuses are never stored.
 */
const KNOWN_NAMES = new Array<string | undefined>(4096).fill(undefined);

/** The local part of the name nameEnd has just read (from `start` to `end`); undefined for one the library would not take. */
function localName(s: string, start: number, end: number): string | undefined {
  const from = nameColon === -1 ? start : nameColon + 1;
  const slot = (nameHash ^ (nameHash >>> 12)) & (KNOWN_NAMES.length - 1);
  const known = KNOWN_NAMES[slot];
  if (known !== undefined && known.length === end - from && s.startsWith(known, from)) return known;
  const name = s.slice(from, end);
  if (RESERVED.has(name)) return undefined;
  KNOWN_NAMES[slot] = name;
  return name;
}

/** Only ASCII white space between `from` and `to`: text the library trims away. */
function blank(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(s.charCodeAt(k))) return false;
  return true;
}

const lineEnds = (text: string) => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);

function referencesOk(text: string): boolean {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    TEXT_REFERENCE.lastIndex = i;
    if (!TEXT_REFERENCE.test(text)) return false;
  }
  return true;
}

/** The element tree of `s`, or undefined when the library path must read it. */
function scan(s: string, maxDepth: number, lines: LineIndex): XmlElement | undefined {
  const n = s.length;
  let unknownReference = false;
  const noteUnknown = () => {
    unknownReference = true;
  };
  let i = 0;
  if (s.startsWith('<?xml')) {
    DECLARATION_TAG.lastIndex = 0;
    if (!DECLARATION_TAG.test(s)) return undefined;
    i = DECLARATION_TAG.lastIndex;
  }
  let root: ScannedElement | undefined;
  const open: ScannedElement[] = [];
  // Each open element's name as written, prefix and all, for its end tag.
  const openNames: string[] = [];
  // The library collects text up to the next tag or CDATA section (a comment does not end it) and trims it then.
  let pending = '';
  const flush = (into: ScannedElement): boolean => {
    if (pending === '') return true;
    const trimmed = lineEnds(pending).trim();
    pending = '';
    if (trimmed === '') return true;
    if (trimmed.includes('&') && !referencesOk(trimmed)) return false;
    into.text += decodeReferences(trimmed, noteUnknown);
    return !unknownReference;
  };

  while (i < n) {
    const lt = s.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (open.length === 0) {
        if (!blank(s, i, textEnd)) return undefined;
      } else if (pending !== '' || !blank(s, i, textEnd)) {
        pending += s.slice(i, textEnd);
      }
    }
    if (lt === -1) break;
    const parent = open[open.length - 1];
    const next = s.charCodeAt(lt + 1);
    if (next === BANG) {
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end === -1) return undefined;
        i = end + 3;
      } else if (s.startsWith('<![CDATA[', lt) && parent) {
        const end = s.indexOf(']]>', lt + 9);
        if (end === -1 || !flush(parent)) return undefined;
        parent.text += lineEnds(s.slice(lt + 9, end));
        i = end + 3;
      } else {
        return undefined;
      }
    } else if (next === SLASH) {
      const written = openNames[openNames.length - 1];
      if (!parent || written === undefined || !s.startsWith(written, lt + 2)) return undefined;
      let k = lt + 2 + written.length;
      const after = s.charCodeAt(k);
      if (after !== GT && !isSpace(after)) return undefined;
      while (isSpace(s.charCodeAt(k))) k++;
      if (s.charCodeAt(k) !== GT || !flush(parent)) return undefined;
      parent.text = parent.text.trim();
      open.pop();
      openNames.pop();
      i = k + 1;
    } else {
      if ((!parent && root) || open.length >= maxDepth) return undefined;
      const end = nameEnd(s, lt + 1);
      if (end === -1) return undefined;
      const prefixed = nameColon !== -1;
      const name = localName(s, lt + 1, end);
      if (name === undefined) return undefined;
      const attributes: Record<string, string> = {};
      // Attributes are told apart by local name; namespace declarations, left out of them, by their written name.
      let declarations: string[] | undefined;
      let k = end;
      let selfClosing = false;
      for (;;) {
        const gap = k;
        while (isSpace(s.charCodeAt(k))) k++;
        const c = s.charCodeAt(k);
        if (c === GT) break;
        if (c === SLASH) {
          if (s.charCodeAt(k + 1) !== GT) return undefined;
          selfClosing = true;
          k++;
          break;
        }
        if (k === gap) return undefined;
        const start = k;
        k = nameEnd(s, start);
        if (k === -1) return undefined;
        const nameEndsAt = k;
        const declaration = nameColon === -1 ? nameEndsAt - start === 5 && s.startsWith('xmlns', start) : nameColon - start === 5 && s.startsWith('xmlns', start);
        const local = localName(s, start, nameEndsAt);
        if (local === undefined) return undefined;
        while (isSpace(s.charCodeAt(k))) k++;
        if (s.charCodeAt(k) !== EQUALS) return undefined;
        k++;
        while (isSpace(s.charCodeAt(k))) k++;
        const quote = s.charCodeAt(k);
        if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return undefined;
        const close = s.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", k + 1);
        if (close === -1) return undefined;
        const value = s.slice(k + 1, close);
        if (value.includes('<')) return undefined;
        k = close + 1;
        if (declaration || local === 'xmlns') {
          const written = s.slice(start, nameEndsAt);
          if (declarations?.includes(written)) return undefined;
          (declarations ??= []).push(written);
          continue;
        }
        // Two attributes with one local name are rare enough to leave to the library (it keeps the last value).
        if (attributes[local] !== undefined) return undefined;
        attributes[local] = decodeReferences(lineEnds(value).trim(), noteUnknown);
        if (unknownReference) return undefined;
      }
      if (parent && !flush(parent)) return undefined;
      const element = new ScannedElement(name, attributes, parent, lt, lines);
      if (parent) parent.children.push(element);
      else root = element;
      if (!selfClosing) {
        open.push(element);
        openNames.push(prefixed ? s.slice(lt + 1, end) : name);
      }
      i = k + 1;
    }
  }
  return open.length === 0 ? root : undefined;
}
