/**
 * A small XML writer for the responses of this folder. Element and attribute names are our own constants; every
 * string that comes from data goes through `escapeText` / `escapeAttribute`, so the output is well-formed whatever
 * a title, an id or an error text holds. Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE/U+FFFF,
 * unpaired surrogates) become U+FFFD: a reference such as `&#1;` would be refused by the peer's parser as well.
 */
export interface XmlNode {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly children: readonly XmlNode[];
  readonly text?: string;
}

type Attributes = Readonly<Record<string, string | undefined>>;

/** An element with child elements; undefined children (optional parts) are left out. */
export function element(name: string, attributes: Attributes, children: readonly (XmlNode | undefined)[] = []): XmlNode {
  return { name, attributes: present(attributes), children: children.filter((c): c is XmlNode => c !== undefined) };
}

/** An element holding only text. */
export function textElement(name: string, text: string, attributes: Attributes = {}): XmlNode {
  return { name, attributes: present(attributes), children: [], text };
}

function present(attributes: Attributes): (readonly [string, string])[] {
  return Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== undefined);
}

const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
// Tab, LF and CR are written as references: a parser normalises them to spaces in attribute values otherwise.
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/g;
const REFERENCE: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

export function escapeText(value: string): string {
  return value.replace(NOT_XML, '\uFFFD').replace(TEXT_SPECIAL, (c) => REFERENCE[c]!);
}

export function escapeAttribute(value: string): string {
  return value.replace(NOT_XML, '\uFFFD').replace(ATTRIBUTE_SPECIAL, (c) => REFERENCE[c]!);
}

/**
 * The element as text, two spaces per level, namespace declarations on the root. No XML declaration: the result
 * is the content of a SOAP Body. Indentation only ever sits between elements, never inside a text-only element,
 * so it adds no character data that ebXML would read.
 */
export function serialize(root: XmlNode, namespaces: Readonly<Record<string, string>>): string {
  const declarations = Object.entries(namespaces).map(([prefix, uri]) => [`xmlns:${prefix}`, uri] as const);
  const lines: string[] = [];
  write({ ...root, attributes: [...declarations, ...root.attributes] }, 0, lines);
  return `${lines.join('\n')}\n`;
}

function write(node: XmlNode, depth: number, lines: string[]): void {
  const indent = '  '.repeat(depth);
  const open = `${indent}<${node.name}${node.attributes.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('')}`;
  if (node.text !== undefined && node.text !== '') {
    lines.push(`${open}>${escapeText(node.text)}</${node.name}>`);
  } else if (node.children.length === 0) {
    lines.push(`${open}/>`);
  } else {
    lines.push(`${open}>`);
    for (const child of node.children) write(child, depth + 1, lines);
    lines.push(`${indent}</${node.name}>`);
  }
}
