/**
 * The syntax layer of the CDA renderer: a small immutable element tree and its serialisation. Written here rather
 * than through a builder library because three things must hold for every byte we emit and are easiest to prove in
 * forty lines: characters XML 1.0 cannot carry never reach the output (they are dropped and counted, so the caller
 * can say so), attribute values keep their tabs and line breaks (a parser would otherwise fold them to spaces), and
 * the same tree always gives the same bytes. Pretty printing indents only element-only content, so text (a name
 * part's trailing space, a narrative cell) is written exactly as given.
 */
export interface XmlNode {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly children: readonly XmlChild[];
}
export type XmlChild = XmlNode | string;

type Attributes = Readonly<Record<string, string | undefined>>;
type Content = XmlChild | undefined | false | readonly Content[];

/** An element; attributes whose value is undefined, and children that are undefined, false or '', are left out. */
export function el(name: string, attributes: Attributes = {}, ...content: Content[]): XmlNode {
  const children: XmlChild[] = [];
  const add = (c: Content): void => {
    if (c === undefined || c === false || c === '') return;
    if (Array.isArray(c)) (c as readonly Content[]).forEach(add);
    else children.push(c as XmlChild);
  };
  content.forEach(add);
  const kept = Object.entries(attributes).filter((a): a is [string, string] => a[1] !== undefined);
  return { name, attributes: kept, children };
}

/** XML 1.0 `Char`: tab, line feed, carriage return and the ranges above; lone surrogates are not characters. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export interface Serialized {
  readonly xml: string;
  /** How many characters were left out because XML 1.0 cannot carry them. */
  readonly removed: number;
}

export function serialize(root: XmlNode): Serialized {
  let removed = 0;
  const clean = (text: string): string =>
    text.replace(NOT_XML_CHAR, () => {
      removed++;
      return '';
    });
  const text = (t: string) => clean(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
  const attribute = (v: string) =>
    clean(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
  const open = (n: XmlNode) => `<${n.name}${n.attributes.map(([k, v]) => ` ${k}="${attribute(v)}"`).join('')}`;
  const inline = (n: XmlNode): string =>
    n.children.length === 0 ? `${open(n)}/>` : `${open(n)}>${n.children.map((c) => (typeof c === 'string' ? text(c) : inline(c))).join('')}</${n.name}>`;
  const block = (n: XmlNode, indent: string): string => {
    if (n.children.length === 0 || n.children.some((c) => typeof c === 'string')) return `${indent}${inline(n)}`;
    const inner = n.children.map((c) => block(c as XmlNode, `${indent}  `)).join('\n');
    return `${indent}${open(n)}>\n${inner}\n${indent}</${n.name}>`;
  };
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${block(root, '')}\n`;
  return { xml, removed };
}
