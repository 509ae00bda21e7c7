import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Issue, IssueLocation } from '../../canonical/index.js';
import { decodeReferences, describeMalformed, LineIndex } from './text.js';
import { ELEMENT_NODE, PROCESSING_INSTRUCTION_NODE, TEXT_NODE, XML_NS, XMLNS_NS, type ReadDocument, type ReadElement, type XmlDocument } from './dom.js';
import { countStartTags, declarationAt, parseXmlDocument } from './parse.js';

/**
 * The namespace-aware syntax layer the SOAP mappers share: untrusted XML text → a small element tree, or fatal
 * issues. Hostile input is refused before it is parsed: any DTD (XXE, billion laughs), text over the size limit,
 * more elements than the element limit; nesting beyond the depth limit stops the parse. Each element carries its
 * namespace URI and local name, so mappers match on the namespace whatever prefix a sender chose (SOAP peers use
 * `s:`, `soap:`, `env:` or none), and each knows its path and line so a mapper can name where a problem is.
 *
 * The text is parsed once, by parseXmlDocument (parse.ts), whose DOM the tree is made from and stays reachable by
 * (`document`), so the XML signature checks read the same parse. The tree is the one the fast-xml-parser path
 * (readXmlWithLibrary) has always built, with that path's rules for text and attribute values; where that path
 * would build something else or refuse the text (malformed XML, undeclared prefixes, unknown entities, names it
 * renames), the text goes to it, so the refusals and their issues are its own.
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
  /** The parse the element was made from, its text and DOM, when readXml made it from one; undefined otherwise. */
  readonly document?: XmlDocument;
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

const fatal = (code: string, message: string, where?: IssueLocation): Issue =>
  where ? { severity: 'fatal', code, message, where } : { severity: 'fatal', code, message };
const fail = (...issues: Issue[]): XmlRead => ({ ok: false, issues });

export function readXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  const parsed = parseXmlDocument(text, limits);
  const root = parsed.ok ? elementTree(parsed.document) : undefined;
  return root ? { ok: true, root } : readXmlWithLibrary(text, limits);
}

/**
 * readXml by the fast-xml-parser path alone: the tree readXml's must equal, and the reader of the texts readXml
 * does not read itself, so their refusals and issues are this path's.
 */
export function readXmlWithLibrary(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return fail(fatal('XML_TOO_LARGE', `the message is larger than the limit of ${limits.maxBytes} bytes`));
  }
  const lines = new LineIndex(text);
  const dtd = declarationAt(text);
  if (dtd !== -1) return fail(fatal('XML_DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted', lines.at(dtd)));
  const tags = countStartTags(text, limits.maxElements);
  if (tags > limits.maxElements) return fail(fatal('XML_TOO_MANY_ELEMENTS', `the message has more than the limit of ${limits.maxElements} elements`));
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { message, where } = describeMalformed(text, validation.err, lines);
    return fail(fatal('XML_MALFORMED', message, where));
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
  const line = lines.lineAt(meta?.startIndex ?? 0);
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

/** XML's predefined and character references; any other named reference has no declaration to come from. */
function decode(text: string, path: string, line: number, problems: Issue[]): string {
  return decodeReferences(text, () => problems.push(fatal('XML_ENTITY_UNKNOWN', 'an entity reference is used that XML does not define', { path, line })));
}

/**
 * fast-xml-parser refuses these names (the first three) or renames them (the rest: the library's guard against
 * prototype pollution), for elements and attributes alike, prefix included.
 */
const LIBRARY_RESERVED: ReadonlySet<string> = new Set([
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);
/** Surrogates: a name with a character beyond U+FFFF, which fast-xml-parser's name rule does not take. */
const SURROGATE = /[\ud800-\udfff]/;
/** Names already found to be ones the library reads as they are; cleared when it grows past this size. */
const PLAIN_NAMES = new Set<string>();
const PLAIN_NAMES_KEPT = 4096;

function plainName(qname: string): boolean {
  if (PLAIN_NAMES.has(qname)) return true;
  if (LIBRARY_RESERVED.has(qname) || SURROGATE.test(qname)) return false;
  if (PLAIN_NAMES.size >= PLAIN_NAMES_KEPT) PLAIN_NAMES.clear();
  PLAIN_NAMES.add(qname);
  return true;
}

/**
 * The library reads a processing instruction as it reads a tag, quotes and all: a `?>` after an unclosed quote
 * does not end it there.
 */
function quotesClosed(data: string): boolean {
  let quote = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (quote === 0 ? c === 34 || c === 39 : c === quote) quote = quote === 0 ? c : 0;
  }
  return quote === 0;
}

/** One element of the tree, with its parse reachable but out of the way of comparisons and serialisation. */
class TreeElement implements XmlElement {
  readonly #document: XmlDocument;

  constructor(
    readonly name: string,
    readonly ns: string,
    readonly attributes: Readonly<Record<string, string>>,
    readonly children: readonly XmlElement[],
    readonly text: string,
    readonly path: string,
    readonly line: number,
    readonly prefixes: Readonly<Record<string, string>>,
    document: XmlDocument,
  ) {
    this.#document = document;
  }

  get document(): XmlDocument {
    return this.#document;
  }
}

/**
 * The tree of a parsed document, by the library path's rules (see toElement): attribute values as read before
 * attribute-value normalisation, namespace URIs from those values, an element's text its character data and CDATA
 * joined and trimmed, comments and processing instructions left out. Undefined when the library would read the
 * text otherwise: a name it refuses or renames, a processing instruction it reads past.
 */
function elementTree(document: ReadDocument): XmlElement | undefined {
  for (const node of document.childNodes) if (node.nodeType === PROCESSING_INSTRUCTION_NODE && !quotesClosed(node.data)) return undefined;
  return treeOf(document.documentElement, '', undefined, { xml: XML_NS }, new LineIndex(document.text), document);
}

function treeOf(
  e: ReadElement, parentPath: string, siblingIndex: number | undefined, inherited: Readonly<Record<string, string>>, lines: LineIndex, document: ReadDocument,
): XmlElement | undefined {
  if (!plainName(e.tagName)) return undefined;
  const name = e.localName;
  let prefixes = inherited;
  const attributes: Record<string, string> = {};
  for (const a of e.attributes) {
    if (!plainName(a.name)) return undefined;
    const value = a.unnormalizedValue ?? a.value;
    if (a.namespaceURI === XMLNS_NS) {
      if (prefixes === inherited) prefixes = { ...inherited };
      (prefixes as Record<string, string>)[a.prefix === null ? '' : a.localName] = value;
    } else if (!(a.localName in attributes)) {
      // `in`, as the library path asks: a name on Object.prototype is never set, there and here.
      attributes[a.localName] = value;
    }
  }
  const path = `${parentPath}/${name}${siblingIndex === undefined ? '' : `[${siblingIndex}]`}`;

  let text = '';
  const elements: ReadElement[] = [];
  for (const child of e.childNodes) {
    if (child.nodeType === TEXT_NODE) text += child.data;
    else if (child.nodeType === ELEMENT_NODE) elements.push(child);
    else if (!quotesClosed(child.data)) return undefined;
  }
  // `[n]` only among namesakes, by local name.
  let counts: Map<string, number> | undefined;
  if (elements.length > 1) {
    counts = new Map();
    for (const child of elements) counts.set(child.localName, (counts.get(child.localName) ?? 0) + 1);
  }
  const seen = counts && new Map<string, number>();
  const children: XmlElement[] = [];
  for (const child of elements) {
    let index: number | undefined;
    if (seen && counts!.get(child.localName)! > 1) {
      index = (seen.get(child.localName) ?? 0) + 1;
      seen.set(child.localName, index);
    }
    const tree = treeOf(child, path, index, prefixes, lines, document);
    if (!tree) return undefined;
    children.push(tree);
  }
  const ns = prefixes[e.prefix ?? ''] ?? '';
  return new TreeElement(name, ns, attributes, children, text.trim(), path, lines.lineAt(e.start), prefixes, document);
}
