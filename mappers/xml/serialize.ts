import { NS } from './namespaces.js';
import { qnameValue } from './navigate.js';
import type { XmlElement } from './read.js';

/**
 * The writing side of the SOAP mappers' XML: a small element tree written as well-formed XML, and an element read
 * by readXml written back (an HL7v3 response must echo the request's queryByParameter). Every string is escaped
 * and characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so
 * any string content gives a document a parser accepts.
 */
export interface XmlNode {
  /** The name as written, prefix included (`hl7:id`, or `id` under a default namespace). */
  readonly name: string;
  /** In the order written; namespace declarations are ordinary attributes here (`xmlns`, `xmlns:hl7`). */
  readonly attributes?: readonly (readonly [string, string])[];
  /** Written before the children: readXml keeps no order between an element's text and its children. */
  readonly text?: string;
  readonly children?: readonly XmlNode[];
}

export interface WriteOptions {
  /** Indentation per level; none writes the whole tree on one line. */
  readonly indent?: string;
  /** The level the node starts at, for a subtree placed inside an indented document. */
  readonly depth?: number;
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; the `u` flag makes a
// well-paired surrogate one code point, so only lone halves match.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Anything text, or an attribute value, cannot carry as is: most values have none and are written after one test. */
const TEXT_NEEDS_WORK = /[^\t\n\u0020-\u0025\u0027-\u003B\u003D\u003F-\uD7FF\uE000-\uFFFD]/;
const ATTRIBUTE_NEEDS_WORK = /[^\u0020\u0021\u0023-\u0025\u0027-\u003B\u003D\u003F-\uD7FF\uE000-\uFFFD]/;

/** A carriage return is written as a reference: a parser turns a literal one into a line feed. */
export function escapeXmlText(value: string): string {
  if (!TEXT_NEEDS_WORK.test(value)) return value;
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Also writes tab and newline as references: a parser turns them into spaces in an attribute otherwise. */
export function escapeXmlAttribute(value: string): string {
  if (!ATTRIBUTE_NEEDS_WORK.test(value)) return value;
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

export function writeXml(node: XmlNode, options: WriteOptions = {}): string {
  const indent = options.indent ?? '';
  const out: string[] = [];
  const write = (n: XmlNode, depth: number) => {
    const pad = indent.repeat(depth);
    const attributes = (n.attributes ?? []).map(([k, v]) => ` ${k}="${escapeXmlAttribute(v)}"`).join('');
    const children = n.children ?? [];
    const text = n.text ? escapeXmlText(n.text) : '';
    if (children.length === 0) {
      out.push(text ? `${pad}<${n.name}${attributes}>${text}</${n.name}>` : `${pad}<${n.name}${attributes}/>`);
      return;
    }
    out.push(`${pad}<${n.name}${attributes}>${text}`);
    for (const c of children) write(c, depth + 1);
    out.push(`${pad}</${n.name}>`);
  };
  write(node, options.depth ?? 0);
  return out.join(indent ? '\n' : '');
}

/** Bound to `xml` by definition; declaring it, or binding it to another prefix, is an error. */
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

/** A local name as readXml gives it (already XML name characters) that is also an NCName: no colon, a name start. */
const NCNAME = /^[^\d\-.:\u00B7\u0300-\u036F\u203F\u2040][^:]*$/u;

/** The attributes of the XML Schema instance namespace, which HL7v3 senders write as `xsi:type` and `xsi:nil`. */
const XSI_ATTRIBUTES = new Set(['type', 'nil', 'schemaLocation', 'noNamespaceSchemaLocation']);

/**
 * An element read by readXml as a node that carries every namespace declaration it needs on itself, so it stays
 * well-formed and means the same wherever it is placed. The root's namespace becomes the default namespace unless
 * something in the subtree has no namespace; other namespaces keep a prefix the sender used for them where one is
 * free, else a known one (`xsi`, `sdtc`), else `ns1`, `ns2`, ….
 *
 * Elements and attributes whose local name is no NCName (`<a:b:c>`, `<a:1b>`: XML names that readXml lets through
 * although the namespaces spec forbids them) are left out: no declaration can make them well-formed again.
 *
 * readXml keeps attributes by local name only. An attribute named like one of XML Schema instance's, on an element
 * where the sender had bound a prefix to that namespace, is written back in it (`xsi:type`, its QName value
 * resolved and written with the prefix chosen here); any other attribute is written without a namespace.
 */
export function nodeOfElement(root: XmlElement): XmlNode {
  const elements: XmlElement[] = [];
  const writable = (local: string) => NCNAME.test(local);
  const collect = (e: XmlElement) => {
    elements.push(e);
    e.children.filter((c) => writable(c.name)).forEach(collect);
  };
  collect(root);

  const inXsi = (e: XmlElement, local: string) => XSI_ATTRIBUTES.has(local) && Object.values(e.prefixes).includes(NS.xsi);
  const typeValue = (e: XmlElement) => {
    const value = e.attributes.type;
    const type = value !== undefined && inXsi(e, 'type') ? qnameValue(e, value) : undefined;
    return type?.name ? type : undefined;
  };

  const used = new Set<string>();
  let unqualified = false;
  for (const e of elements) {
    if (e.ns) used.add(e.ns);
    else unqualified = true;
    for (const a in e.attributes) {
      if (!inXsi(e, a)) continue;
      used.add(NS.xsi);
      break;
    }
    const type = typeValue(e);
    if (type?.ns) used.add(type.ns);
    else if (type) unqualified = true;
  }
  const defaultNs = root.ns && root.ns !== XML_NAMESPACE && !unqualified ? root.ns : undefined;

  const prefixOf = new Map<string, string>([[XML_NAMESPACE, 'xml']]);
  const taken = new Set(['xml', 'xmlns']);
  const known = Object.entries(NS) as [string, string][];
  let generated = 0;
  for (const ns of used) {
    if (ns === defaultNs || prefixOf.has(ns)) continue;
    let prefix = sendersPrefix(elements, ns, taken) ?? known.find(([p, uri]) => uri === ns && !taken.has(p))?.[0];
    while (prefix === undefined || taken.has(prefix)) prefix = `ns${++generated}`;
    taken.add(prefix);
    prefixOf.set(ns, prefix);
  }
  const qualified = (ns: string, local: string) => {
    const prefix = ns === '' || ns === defaultNs ? undefined : prefixOf.get(ns);
    return prefix === undefined ? local : `${prefix}:${local}`;
  };

  const declarations: [string, string][] = [];
  if (defaultNs) declarations.push(['xmlns', defaultNs]);
  else if (unqualified) declarations.push(['xmlns', '']);
  for (const [ns, prefix] of prefixOf) if (ns !== XML_NAMESPACE) declarations.push([`xmlns:${prefix}`, ns]);

  const toNode = (e: XmlElement, isRoot: boolean): XmlNode => {
    const attributes: [string, string][] = isRoot ? [...declarations] : [];
    for (const [local, value] of Object.entries(e.attributes).filter(([a]) => writable(a))) {
      const type = local === 'type' ? typeValue(e) : undefined;
      if (!inXsi(e, local)) attributes.push([local, value]);
      else attributes.push([qualified(NS.xsi, local), type ? qualified(type.ns, type.name) : value]);
    }
    return {
      name: qualified(e.ns, e.name),
      attributes,
      ...(e.text ? { text: e.text } : {}),
      children: e.children.filter((c) => writable(c.name)).map((c) => toNode(c, false)),
    };
  };
  return toNode(root, true);
}

/** The first prefix, in document order, that a sender bound to `ns` and that is free. */
function sendersPrefix(elements: readonly XmlElement[], ns: string, taken: ReadonlySet<string>): string | undefined {
  // Elements share their parent's prefix map unless they declare one of their own: each map is looked at once.
  const seen = new Set<Readonly<Record<string, string>>>();
  for (const e of elements) {
    if (seen.has(e.prefixes)) continue;
    seen.add(e.prefixes);
    for (const p in e.prefixes) if (e.prefixes[p] === ns && p !== '' && !taken.has(p)) return p;
  }
  return undefined;
}

/** An element subtree written back as well-formed XML with the namespace declarations it needs. */
export function serializeElement(element: XmlElement, options: WriteOptions = {}): string {
  return writeXml(nodeOfElement(element), options);
}
