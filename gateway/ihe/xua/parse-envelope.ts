import {
  DEFAULT_XML_LIMITS, ELEMENT_NODE, NS, parseXmlDocument, XMLNS_NS,
  type DomElement, type XmlDocument, type XmlLimits, type XmlProblem,
} from '../../../mappers/xml/index.js';
import { childrenNamed } from './dom.js';
import { fault, type XuaFault } from './types.js';

/**
 * The SOAP envelope as a DOM of the bytes received, and the one place the assertion may sit. The DOM is
 * mappers/xml's parse, which refuses hostile input before or while it parses (size, DTD, element count, depth,
 * characters XML forbids, namespace declarations Namespaces in XML 1.0 forbids, anything not well-formed): of the
 * text given here, or the parse the SOAP layer already made of it. One walk over the whole document collects what
 * the wrapping defences need: every saml2:Assertion wherever it is, and every element that carries an ID-like
 * attribute.
 */
export interface ParsedEnvelope {
  /** The one saml2:Assertion directly under wsse:Security. */
  readonly assertion: DomElement;
  readonly timestamp?: DomElement;
  /** ID-like attribute value → the elements that carry it. */
  readonly ids: ReadonlyMap<string, readonly DomElement[]>;
}

type Parsed = { readonly ok: true; readonly envelope: ParsedEnvelope } | { readonly ok: false; readonly fault: XuaFault };

const REFUSED: Readonly<Record<XmlProblem, string>> = {
  'too-large': 'xml: the message is larger than the limit',
  declaration: 'xml: DOCTYPE and ENTITY declarations are not accepted',
  character: 'xml: a character XML does not allow',
  'too-many-elements': 'xml: more elements than the limit',
  malformed: 'xml: the message is not well-formed',
  'too-deep': 'xml: elements nested deeper than the limit',
  namespace: 'xml: a namespace declaration XML 1.0 does not allow',
};
/** Attributes whose duplicate values make a reference ambiguous (§5.1 item 3): wsu:Id is Id in its namespace. */
const ID_NAMES: ReadonlySet<string> = new Set(['ID', 'Id', 'AssertionID']);
/** Also what a resolver might take as the target of a bare-name reference. */
const REFERENCE_NAMES: ReadonlySet<string> = new Set([...ID_NAMES, 'id']);

const invalid = (reason: string) => fault('wsse:InvalidSecurity', reason);

/** The envelope's text, or mappers/xml's parse of it (readXml's `document`), so a request is parsed once. */
export function parseEnvelope(envelope: string | XmlDocument, limits: XmlLimits = DEFAULT_XML_LIMITS): Parsed {
  let document: XmlDocument;
  if (typeof envelope === 'string') {
    const parsed = parseXmlDocument(envelope, limits);
    if (!parsed.ok) return invalid(REFUSED[parsed.problem]);
    document = parsed.document;
  } else {
    // Parsed under the caller's limits, perhaps other than these: size here, depth and element count in the walk.
    const text = envelope.text;
    if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) return invalid(REFUSED['too-large']);
    document = envelope;
  }
  const root = document.documentElement;
  const walked = walk(root, limits);
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

  if (walked.repeatedId) return invalid('assertion: an ID value occurs more than once in the message');
  return { ok: true, envelope: { assertion: placed[0]!, ...(timestamps[0] ? { timestamp: timestamps[0] } : {}), ids } };
}

type Walked =
  | { readonly ok: true; readonly assertions: DomElement[]; readonly ids: Map<string, DomElement[]>; readonly repeatedId: boolean }
  | { readonly ok: false; readonly fault: XuaFault };

/** Depth-first without recursion, so a deep document is refused by the limit rather than by the stack. */
function walk(root: DomElement, limits: XmlLimits): Walked {
  const assertions: DomElement[] = [];
  const ids = new Map<string, DomElement[]>();
  // Counted as the walk goes, so a hostile element with thousands of ID-like attributes costs no more than reading them.
  const idValues = new Set<string>();
  let repeatedId = false;
  const stack: [DomElement, number][] = [[root, 1]];
  let elements = 0;
  while (stack.length > 0) {
    const [e, depth] = stack.pop()!;
    if (depth > limits.maxDepth) return invalid(REFUSED['too-deep']);
    if (++elements > limits.maxElements) return invalid(REFUSED['too-many-elements']);
    if (e.localName === 'Assertion' && e.namespaceURI === NS.saml2) assertions.push(e);
    const list = e.attributes;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.namespaceURI === XMLNS_NS || !REFERENCE_NAMES.has(a.localName ?? '')) continue;
      const holders = ids.get(a.value);
      if (!holders) ids.set(a.value, [e]);
      else if (holders[holders.length - 1] !== e) holders.push(e);
      if (ID_NAMES.has(a.localName ?? '')) {
        if (idValues.has(a.value)) repeatedId = true;
        idValues.add(a.value);
      }
    }
    const children = e.childNodes;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      if (child.nodeType === ELEMENT_NODE) stack.push([child as DomElement, depth + 1]);
    }
  }
  return { ok: true, assertions, ids, repeatedId };
}
