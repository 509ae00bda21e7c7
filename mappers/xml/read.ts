import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Issue, IssueLocation } from '../../canonical/index.js';

/**
 * The namespace-aware syntax layer the SOAP mappers share: untrusted XML text → a small element tree, or fatal
 * issues. Hostile input is refused before fast-xml-parser sees it: any DTD (XXE, billion laughs), text over the
 * size limit, more elements than the element limit; nesting beyond the depth limit stops the parser. Each element
 * carries its namespace URI and local name, so mappers match on the namespace whatever prefix a sender chose (SOAP
 * peers use `s:`, `soap:`, `env:` or none), and each knows its path and line so a mapper can name where a problem is.
 */
export interface XmlLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 5 * 1024 * 1024, maxDepth: 64, maxElements: 100_000 };

export interface XmlElement {
  /** Local name. */
  readonly name: string;
  /** Namespace URI, '' for none. */
  readonly ns: string;
  /** Attributes by local name (namespace declarations left out); values with references decoded. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text and CDATA, references decoded, trimmed. */
  readonly text: string;
  /** `/Envelope/Body/AdhocQueryRequest/AdhocQuery/Slot[2]`; `[n]` only among namesakes. */
  readonly path: string;
  readonly line: number;
  /** The namespace URI a prefix means here (for QName values such as `xsi:type="hl7:CE"`). */
  readonly prefixes: Readonly<Record<string, string>>;
}

export type XmlRead = { readonly ok: true; readonly root: XmlElement } | { readonly ok: false; readonly issues: Issue[] };

const makeParser = (maxDepth: number) =>
  new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    // Off: references are decoded below, where only XML's five and character references exist (no DTD is allowed).
    processEntities: false,
    htmlEntities: false,
    cdataPropName: '#cdata',
    captureMetaData: true,
    // The library counts the document node too: N allows N + 1 levels of elements.
    maxNestedTags: maxDepth - 1,
  });

const parsers = new Map<number, XMLParser>();
const parser = (maxDepth: number) => {
  let p = parsers.get(maxDepth);
  if (!p) parsers.set(maxDepth, (p = makeParser(maxDepth)));
  return p;
};

// The typings declare the wrapper type `Symbol`; the value is a primitive symbol usable as a key.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const fatal = (code: string, message: string, where?: IssueLocation): Issue =>
  where ? { severity: 'fatal', code, message, where } : { severity: 'fatal', code, message };
const fail = (...issues: Issue[]): XmlRead => ({ ok: false, issues });

export function readXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return fail(fatal('XML_TOO_LARGE', `the message is larger than the limit of ${limits.maxBytes} bytes`));
  }
  const lines = new LineIndex(text);
  const dtd = DECLARATION.exec(text);
  if (dtd) return fail(fatal('XML_DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted', lines.at(dtd.index)));
  const tags = countStartTags(text, limits.maxElements);
  if (tags > limits.maxElements) return fail(fatal('XML_TOO_MANY_ELEMENTS', `the message has more than the limit of ${limits.maxElements} elements`));
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { code, line, col } = validation.err;
    const where = { line: Math.max(1, line), ...(col > 0 ? { column: col } : {}) };
    return fail(fatal('XML_MALFORMED', `the message is not well-formed XML (${code}) at line ${where.line}${col > 0 ? `, column ${col}` : ''}`, where));
  }
  let nodes: unknown;
  try {
    nodes = parser(limits.maxDepth).parse(text);
  } catch (error) {
    // The validator has passed the text, so the parser's only expected refusal is the depth limit.
    const tooDeep = error instanceof Error && /nested/i.test(error.message);
    return fail(tooDeep
      ? fatal('XML_TOO_DEEP', `elements are nested deeper than the limit of ${limits.maxDepth}`)
      : fatal('XML_MALFORMED', 'the message is not well-formed XML'));
  }
  const roots = asNodes(nodes).filter((n) => elementName(n) !== undefined);
  const rootNode = roots[0];
  // The validator lets a second top-level element through; XML allows exactly one.
  if (!rootNode || roots.length > 1) {
    const second = roots[1]?.[META] as { startIndex?: number } | undefined;
    return fail(fatal('XML_MALFORMED', 'the message must have exactly one root element', lines.at(second?.startIndex ?? 0)));
  }
  const problems: Issue[] = [];
  const root = toElement(rootNode, '', undefined, { xml: XML_NS }, lines, problems);
  return problems.length > 0 ? { ok: false, issues: problems } : { ok: true, root };
}

/** Start tags in the text, counted without parsing; stops counting just past the limit. */
function countStartTags(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('<'); i !== -1 && n <= limit; i = text.indexOf('<', i + 1)) {
    const c = text.charCodeAt(i + 1);
    // A name start: letters, '_', ':' or anything beyond ASCII; not '/', '!', '?'.
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c > 127) n++;
  }
  return n;
}

type Node = Record<string | symbol, unknown>;

function asNodes(value: unknown): Node[] {
  return Array.isArray(value) ? value.filter((v): v is Node => typeof v === 'object' && v !== null) : [];
}

function elementName(node: Node): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata' && !k.startsWith('?'));
}

const split = (qname: string): [string | undefined, string] => {
  const colon = qname.indexOf(':');
  return colon === -1 ? [undefined, qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
};

function toElement(
  node: Node, parentPath: string, siblingIndex: number | undefined, inherited: Readonly<Record<string, string>>, lines: LineIndex, problems: Issue[],
): XmlElement {
  const qname = elementName(node) ?? '';
  const [prefix, name] = split(qname);
  const path = `${parentPath}/${name}${siblingIndex === undefined ? '' : `[${siblingIndex}]`}`;
  const meta = node[META] as { startIndex?: number } | undefined;
  const line = lines.at(meta?.startIndex ?? 0).line;
  const raw = typeof node[':@'] === 'object' && node[':@'] !== null ? (node[':@'] as Record<string, unknown>) : {};

  let prefixes = inherited;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (prefixes === inherited) prefixes = { ...inherited };
      (prefixes as Record<string, string>)[key === 'xmlns' ? '' : key.slice(6)] = decode(value, path, line, problems);
    }
  }
  const ns = prefixes[prefix ?? ''] ?? '';
  if (prefix !== undefined && prefixes[prefix] === undefined) {
    problems.push(fatal('XML_NAMESPACE_UNDECLARED', `the prefix ${prefix} is used without a namespace declaration`, { path, line }));
  }
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string' || key === 'xmlns' || key.startsWith('xmlns:')) continue;
    const [attributePrefix, local] = split(key);
    if (attributePrefix !== undefined && prefixes[attributePrefix] === undefined) {
      problems.push(fatal('XML_NAMESPACE_UNDECLARED', `the prefix ${attributePrefix} is used without a namespace declaration`, { path, line }));
    }
    if (!(local in attributes)) attributes[local] = decode(value, path, line, problems);
  }

  const childNodes = asNodes(node[qname]);
  const counts = new Map<string, number>();
  for (const child of childNodes) {
    const childName = elementName(child);
    if (childName !== undefined) counts.set(split(childName)[1], (counts.get(split(childName)[1]) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  const children: XmlElement[] = [];
  let text = '';
  for (const child of childNodes) {
    const childName = elementName(child);
    if (childName !== undefined) {
      const local = split(childName)[1];
      const n = (seen.get(local) ?? 0) + 1;
      seen.set(local, n);
      children.push(toElement(child, path, (counts.get(local) ?? 0) > 1 ? n : undefined, prefixes, lines, problems));
    } else if (typeof child['#text'] === 'string') {
      text += decode(child['#text'], path, line, problems);
    } else if (Array.isArray(child['#cdata'])) {
      text += asNodes(child['#cdata']).map((c) => (typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
    }
  }
  return { name, ns, attributes, children, text: text.trim(), path, line, prefixes };
}

const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML's predefined and character references; any other named reference has no declaration to come from. */
function decode(text: string, path: string, line: number, problems: Issue[]): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, body: string) => {
    const resolved = body.startsWith('#') ? characterReference(body) : PREDEFINED[body];
    if (resolved === undefined) {
      problems.push(fatal('XML_ENTITY_UNKNOWN', 'an entity reference is used that XML does not define', { path, line }));
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
