import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Issue } from '../../canonical/index.js';
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
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;

export function readXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return fail(issue('fatal', 'XML_TOO_LARGE', `the message is larger than the limit of ${limits.maxBytes} bytes`));
  }
  const lines = new LineIndex(text);
  const dtd = DECLARATION.exec(text);
  if (dtd) {
    return fail(issue('fatal', 'XML_DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted', lines.at(dtd.index)));
  }
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { code, line, col } = validation.err;
    const where = { line: Math.max(1, line), ...(col > 0 ? { column: col } : {}) };
    return fail(issue('fatal', 'XML_MALFORMED', `the message is not well-formed XML (${code}) at line ${where.line}${col > 0 ? `, column ${col}` : ''}`, where));
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

const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML's predefined and character references; any other named reference has no declaration to come from. */
function decode(text: string, path: string, line: number, problems: Issue[]): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, body: string) => {
    const resolved = body.startsWith('#') ? characterReference(body) : PREDEFINED[body];
    if (resolved === undefined) {
      problems.push(issue('fatal', 'XML_ENTITY_UNKNOWN', 'an entity reference is used that XML does not define', { path, line }));
      return whole;
    }
    return resolved;
  });
}

function characterReference(body: string): string | undefined {
  const code = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
  const legal = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  return legal ? String.fromCodePoint(code) : undefined;
}

/** Offsets → 1-based line and column: one scan for line starts, then a binary search per element. */
class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  at(offset: number): { line: number; column: number } {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
