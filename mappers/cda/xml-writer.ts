/**
 * The syntax layer of the CDA renderer: a small immutable element tree and its serialisation. Written here rather
 * than through a builder library because three things must hold for every byte we emit and are easiest to prove in
 * a few lines: characters XML 1.0 cannot carry never reach the output (they are dropped and counted, so the caller
 * can say so), attribute values keep their tabs and line breaks (a parser would otherwise fold them to spaces), and
 * the same tree always gives the same bytes. Pretty printing indents only element-only content, so text (a name
 * part's trailing space, a narrative cell) is written exactly as given.
 */
export interface XmlNode {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string | Slot])[];
  readonly children: readonly XmlChild[];
}
export type XmlChild = XmlNode | string;

/**
 * An attribute value that is known only once the document has been written: a document named by a hash of its own
 * bytes is written once with `standIn` where its name goes, and `Serialized.fill` then puts the name in those places,
 * giving the bytes writing the tree again with the name would give.
 */
export interface Slot {
  readonly standIn: string;
}

type Attributes = Readonly<Record<string, string | Slot | undefined>>;
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
  const kept: (readonly [string, string | Slot])[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) kept.push([key, value]);
  }
  return { name, attributes: kept, children };
}

/** XML 1.0 `Char`: tab, line feed, carriage return and the ranges above; lone surrogates are not characters. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
/** Anything text, or an attribute value, cannot carry as is: most values have none and are written after one test. */
const TEXT_NEEDS_WORK = /[^\t\n\u0020-\u0025\u0027-\u003B\u003D\u003F-\uD7FF\uE000-\uFFFD]/;
const ATTRIBUTE_NEEDS_WORK = /[^\u0020\u0021\u0023-\u0025\u0027-\u003B\u003D-\uD7FF\uE000-\uFFFD]/;
const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

export interface Serialized {
  /** The document, with each slot's stand-in where its value goes. */
  readonly xml: string;
  /** How many characters were left out because XML 1.0 cannot carry them. */
  readonly removed: number;
  /** The document with the slots' values (escaped as attribute values) in place of their stand-ins. */
  fill(values: ReadonlyMap<Slot, string>): string;
}

export function serialize(root: XmlNode): Serialized {
  let removed = 0;
  // Written in runs between slots, so that filling them joins a few long strings, not the many short ones again.
  const runs: string[] = [];
  const slots: Slot[] = [];
  let parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const clean = (text: string): string =>
    text.replace(NOT_XML_CHAR, () => {
      removed++;
      return '';
    });
  const text = (t: string) => (TEXT_NEEDS_WORK.test(t) ? clean(t).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : t);
  const attribute = (v: string) => (ATTRIBUTE_NEEDS_WORK.test(v) ? clean(v).replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!) : v);
  const open = (n: XmlNode) => {
    parts.push('<', n.name);
    for (const [k, v] of n.attributes) {
      if (typeof v === 'string') {
        parts.push(' ', k, '="', attribute(v), '"');
        continue;
      }
      parts.push(' ', k, '="');
      runs.push(parts.join(''));
      slots.push(v);
      parts = ['"'];
    }
  };
  const inline = (n: XmlNode): void => {
    open(n);
    if (n.children.length === 0) {
      parts.push('/>');
      return;
    }
    parts.push('>');
    for (const c of n.children) {
      if (typeof c === 'string') parts.push(text(c));
      else inline(c);
    }
    parts.push('</', n.name, '>');
  };
  const block = (n: XmlNode, indent: string): void => {
    parts.push(indent);
    if (n.children.length === 0 || n.children.some((c) => typeof c === 'string')) {
      inline(n);
      return;
    }
    open(n);
    parts.push('>\n');
    const inner = `${indent}  `;
    for (const c of n.children) {
      block(c as XmlNode, inner);
      parts.push('\n');
    }
    parts.push(indent, '</', n.name, '>');
  };
  block(root, '');
  parts.push('\n');
  runs.push(parts.join(''));
  const written = (value: (slot: Slot) => string): string => {
    let out = runs[0]!;
    for (let i = 0; i < slots.length; i++) out += attribute(value(slots[i]!)) + runs[i + 1]!;
    return out;
  };
  const xml = written((slot) => slot.standIn);
  return { xml, removed, fill: (values) => written((slot) => values.get(slot) ?? slot.standIn) };
}
