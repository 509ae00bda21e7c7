import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { DEFAULT_XML_LIMITS, NS, type XmlLimits } from '../../../mappers/xml/index.js';
import { childrenNamed } from './dom.js';
import { fault, type XuaFault } from './types.js';

/**
 * The SOAP envelope as a DOM of the bytes received, and the one place the assertion may sit. Hostile input is
 * refused before or while it is parsed (size, DTD, element count, depth, characters XML forbids, namespace
 * undeclarations, any parser complaint), and one walk over the whole document collects what the wrapping defences
 * need: every saml2:Assertion wherever it is, and every element that carries an ID-like attribute.
 */
export interface ParsedEnvelope {
  /** The one saml2:Assertion directly under wsse:Security. */
  readonly assertion: Element;
  readonly timestamp?: Element;
  /** ID-like attribute value → the elements that carry it. */
  readonly ids: ReadonlyMap<string, readonly Element[]>;
}

type Parsed = { readonly ok: true; readonly envelope: ParsedEnvelope } | { readonly ok: false; readonly fault: XuaFault };

/** XML 1.0 line-end handling only: xmldom's default also folds U+0085 and U+2028 (XML 1.1), which a signer's parser keeps. */
const xml10LineEnds = (text: string) => text.replace(/\r\n?/g, '\n');
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;
const START_TAG = /<[A-Za-z_:\u0080-\uffff]/g;
/** Characters XML 1.0 forbids, as text or as character references (xmldom lets both through); lone surrogates too. */
const FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
/** Attributes whose duplicate values make a reference ambiguous (§5.1 item 3): wsu:Id is Id in its namespace. */
const ID_NAMES: ReadonlySet<string> = new Set(['ID', 'Id', 'AssertionID']);
/** Also what a resolver might take as the target of a bare-name reference. */
const REFERENCE_NAMES: ReadonlySet<string> = new Set([...ID_NAMES, 'id']);
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const invalid = (reason: string) => fault('wsse:InvalidSecurity', reason);

export function parseEnvelope(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Parsed {
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) return invalid('xml: the message is larger than the limit');
  if (DECLARATION.test(text)) return invalid('xml: DOCTYPE and ENTITY declarations are not accepted');
  if (FORBIDDEN.test(text)) return invalid('xml: a character XML does not allow');
  if (startTags(text, limits.maxElements) > limits.maxElements) return invalid('xml: more elements than the limit');

  // A leading byte order mark is the encoding's signature, not content; xmldom would take it for stray text.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let document: Document;
  try {
    document = new DOMParser({
      locator: false,
      normalizeLineEndings: xml10LineEnds,
      onError: (level, message) => {
        // U+FFFD is a legal character; xmldom only suspects an encoding mix-up. Every other complaint is malformed XML.
        if (level !== 'warning' || !message.startsWith('Unicode replacement character')) throw new Error(level);
      },
    }).parseFromString(source, 'text/xml');
  } catch {
    return invalid('xml: the message is not well-formed');
  }
  const root = document.documentElement;
  if (!root) return invalid('xml: the message is not well-formed');

  // Character references are the only other way to a forbidden character; without any, the nodes need no look.
  const walked = walk(root, limits, text.includes('&#'));
  if (!walked.ok) return walked;
  const { assertions, ids } = walked;

  if (root.namespaceURI !== NS.soap12 || root.localName !== 'Envelope') return invalid('envelope: not a SOAP 1.2 Envelope');
  const headers = childrenNamed(root, NS.soap12, 'Header');
  if (headers.length !== 1) return invalid('envelope: exactly one soap:Header is required');
  const securities = childrenNamed(headers[0]!, NS.wsse, 'Security');
  if (securities.length !== 1) return invalid('security: exactly one wsse:Security header is required');
  const security = securities[0]!;
  const placed = childrenNamed(security, NS.saml2, 'Assertion');
  if (placed.length !== 1) return invalid('assertion: exactly one saml2:Assertion directly under wsse:Security is required');
  // Wrapping attacks hide a second assertion (the signed original or the forged one) anywhere else.
  if (assertions.length !== 1) return invalid('assertion: the message holds more than one saml2:Assertion');
  const timestamps = childrenNamed(security, NS.wsu, 'Timestamp');
  if (timestamps.length > 1) return invalid('timestamp: more than one wsu:Timestamp');

  for (const [value, elements] of ids) {
    const counted = elements.reduce((n, e) => n + idAttributeCount(e, value), 0);
    if (counted > 1) return invalid('assertion: an ID value occurs more than once in the message');
  }
  return { ok: true, envelope: { assertion: placed[0]!, ...(timestamps[0] ? { timestamp: timestamps[0] } : {}), ids } };
}

/** Start tags in the text, counted without parsing; stops just past the limit. */
function startTags(text: string, limit: number): number {
  START_TAG.lastIndex = 0;
  let n = 0;
  while (n <= limit && START_TAG.exec(text)) n++;
  return n;
}

function idAttributeCount(e: Element, value: string): number {
  let n = 0;
  const list = e.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.value === value && ID_NAMES.has(a.localName ?? '') && a.namespaceURI !== XMLNS_NS) n++;
  }
  return n;
}

type Walked =
  | { readonly ok: true; readonly assertions: Element[]; readonly ids: Map<string, Element[]> }
  | { readonly ok: false; readonly fault: XuaFault };

/** Depth-first without recursion, so a deep document is refused by the limit rather than by the stack. */
function walk(root: Element, limits: XmlLimits, references: boolean): Walked {
  const assertions: Element[] = [];
  const ids = new Map<string, Element[]>();
  const stack: [Node, number][] = [[root, 1]];
  let elements = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node.nodeType !== 1) {
      const data = (node as unknown as { data?: string }).data;
      if (references && data !== undefined && FORBIDDEN.test(data)) return invalid('xml: a character XML does not allow');
      continue;
    }
    if (depth > limits.maxDepth) return invalid('xml: elements nested deeper than the limit');
    if (++elements > limits.maxElements) return invalid('xml: more elements than the limit');
    const e = node as Element;
    if (e.localName === 'Assertion' && e.namespaceURI === NS.saml2) assertions.push(e);
    const list = e.attributes;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (references && FORBIDDEN.test(a.value)) return invalid('xml: a character XML does not allow');
      if (a.namespaceURI === XMLNS_NS) {
        const reserved = (a.localName === 'xml') !== (a.value === XML_NS) || a.localName === 'xmlns' || a.value === XMLNS_NS;
        if (a.prefix !== null && (a.value === '' || reserved)) {
          return invalid('xml: a namespace declaration XML 1.0 does not allow');
        }
        continue;
      }
      if (REFERENCE_NAMES.has(a.localName ?? '')) {
        const holders = ids.get(a.value);
        if (!holders) ids.set(a.value, [e]);
        else if (holders[holders.length - 1] !== e) holders.push(e);
      }
    }
    for (let child = e.lastChild; child; child = child.previousSibling) stack.push([child, depth + 1]);
  }
  return { ok: true, assertions, ids };
}
