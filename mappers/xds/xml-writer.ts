/**
 * A small XML writer for the responses of this folder. Element and attribute names are our own constants; every
 * string that comes from data goes through `escapeText` / `escapeAttribute`, so the output is well-formed whatever
 * a title, an id or an error text holds. Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE/U+FFFF,
 * unpaired surrogates) become U+FFFD: a reference such as `&#1;` would be refused by the peer's parser as well.
 */
export interface XmlNode {
  readonly name: string;
  /** Written in the record's order; an undefined value is left out. */
  readonly attributes: Attributes;
  readonly children: readonly XmlNode[];
  readonly text?: string;
  /** Written on one line with no white space between the children (see `inlineElement`). */
  readonly inline?: true;
}

type Attributes = Readonly<Record<string, string | undefined>>;

const NO_CHILDREN: readonly XmlNode[] = [];

/** An element with child elements; undefined children (optional parts) are left out. */
export function element(name: string, attributes: Attributes, children: readonly (XmlNode | undefined)[] = NO_CHILDREN): XmlNode {
  let kept: XmlNode[] | undefined;
  for (let i = 0; i < children.length; i++) {
    if (children[i] !== undefined) continue;
    // Copied only when a child is absent: most lists are passed on as they are.
    kept = [];
    for (const child of children) if (child !== undefined) kept.push(child);
    break;
  }
  return { name, attributes, children: kept ?? (children as readonly XmlNode[]) };
}

/**
 * An element whose children must not be separated by white space, e.g. an XOP `Document` whose only content may
 * be its `xop:Include` (W3C XOP 1.0): strict MTOM stacks refuse anything else.
 */
export function inlineElement(name: string, attributes: Attributes, children: readonly XmlNode[]): XmlNode {
  return { ...element(name, attributes, children), inline: true };
}

/** An element holding only text. */
export function textElement(name: string, text: string, attributes: Attributes = {}): XmlNode {
  return { name, attributes, children: NO_CHILDREN, text };
}

const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
// Tab, LF and CR are written as references: a parser normalises them to spaces in attribute values otherwise.
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/g;
// Most values need no change at all: one test finds those, without the replacements' allocations.
const TEXT_AS_IS = /^[^&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]*$/;
const ATTRIBUTE_AS_IS = /^[^&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]*$/;
const REFERENCE: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

/** The string with each character XML 1.0 cannot carry replaced by U+FFFD; it is then also well-formed UTF-16. */
export function replaceNonXml(value: string): string {
  return value.replace(NOT_XML, '\uFFFD');
}

export function escapeText(value: string): string {
  if (TEXT_AS_IS.test(value)) return value;
  return replaceNonXml(value).replace(TEXT_SPECIAL, (c) => REFERENCE[c]!);
}

export function escapeAttribute(value: string): string {
  if (ATTRIBUTE_AS_IS.test(value)) return value;
  return replaceNonXml(value).replace(ATTRIBUTE_SPECIAL, (c) => REFERENCE[c]!);
}

/**
 * The element as text, two spaces per level, namespace declarations on the root. No XML declaration: the result
 * is the content of a SOAP Body. Indentation only ever sits between elements, never inside a text-only or inline
 * element, so it adds no character data that ebXML or XOP would read.
 */
export function serialize(root: XmlNode, namespaces: Readonly<Record<string, string>>): string {
  const declarations: Record<string, string> = {};
  for (const prefix in namespaces) declarations[`xmlns:${prefix}`] = namespaces[prefix]!;
  return `${write({ ...root, attributes: { ...declarations, ...root.attributes } }, 0)}\n`;
}

const INDENTS: string[] = [''];
function indentOf(depth: number): string {
  while (INDENTS.length <= depth) INDENTS.push(`${INDENTS[INDENTS.length - 1]!}  `);
  return INDENTS[depth]!;
}

function write(node: XmlNode, depth: number): string {
  const indent = indentOf(depth);
  if (node.inline || node.children.length === 0) return indent + compact(node);
  let out = `${indent}${startTag(node)}>`;
  for (const child of node.children) out += `\n${write(child, depth + 1)}`;
  return `${out}\n${indent}</${node.name}>`;
}

function compact(node: XmlNode): string {
  if (node.text !== undefined && node.text !== '') return `${startTag(node)}>${escapeText(node.text)}</${node.name}>`;
  if (node.children.length === 0) return `${startTag(node)}/>`;
  let content = '';
  for (const child of node.children) content += compact(child);
  return `${startTag(node)}>${content}</${node.name}>`;
}

function startTag(node: XmlNode): string {
  let tag = `<${node.name}`;
  const attributes = node.attributes;
  for (const name in attributes) {
    const value = attributes[name];
    if (value !== undefined) tag += ` ${name}="${escapeAttribute(value)}"`;
  }
  return tag;
}
