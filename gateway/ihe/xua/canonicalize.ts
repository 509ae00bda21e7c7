import {
  CDATA_SECTION_NODE, ELEMENT_NODE, PROCESSING_INSTRUCTION_NODE, TEXT_NODE, XMLNS_NS,
  type DomAttr, type DomCharacterData, type DomElement, type DomNode, type DomProcessingInstruction,
} from '../../../mappers/xml/index.js';

/**
 * W3C Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#) of one
 * element's subtree over a DOM (mappers/xml's parse of a request, or any W3C DOM), optionally leaving one descendant
 * out (the enveloped-signature transform). Written for the XUA hot path: one pass, no XPath, no node-set, no DOM
 * changes.
 *
 * Namespace declarations follow the exclusive rule: a prefix (or the default namespace) is declared on an element
 * that visibly uses it, unless the nearest output ancestor that used it already declared the same value. Prefixes
 * in the InclusiveNamespaces PrefixList ('#default' for the default namespace) follow Canonical XML instead: the
 * apex declares every one in scope, including those declared on ancestors outside the subtree, and a descendant
 * declares one when its value changes there. Namespace declarations are ordered default first, then by prefix;
 * attributes by namespace URI (none first), then local name; both in code point order, as the specification
 * says (not locale order, not UTF-16 order).
 */
export interface CanonicalizeOptions {
  readonly inclusivePrefixes?: readonly string[];
  /** A descendant left out with its subtree. */
  readonly omit?: DomNode;
}

export function canonicalize(apex: DomElement, options: CanonicalizeOptions = {}): string {
  const inclusive = new Set<string>();
  for (const token of options.inclusivePrefixes ?? []) {
    // xml and xmlns are never declared in canonical form.
    if (token === '#default') inclusive.add('');
    else if (token !== 'xml' && token !== 'xmlns') inclusive.add(token);
  }
  return new Writer(inclusive, options.omit).run(apex);
}

class Writer {
  out = '';
  /** Prefix ('' for the default namespace) → namespace URI as declared by the output ancestors. */
  private readonly declared = new Map<string, string>();

  constructor(private readonly inclusive: ReadonlySet<string>, private readonly omit: DomNode | undefined) {}

  run(apex: DomElement): string {
    this.element(apex, this.inclusive.size > 0 ? inScope(apex, this.inclusive) : undefined);
    return this.out;
  }

  private element(e: DomElement, apexNamespaces: ReadonlyMap<string, string> | undefined): void {
    const wanted = new Map<string, string>();
    if (apexNamespaces) for (const [prefix, uri] of apexNamespaces) wanted.set(prefix, uri);
    const own = e.prefix ?? '';
    if (own !== '' || !this.inclusive.has('')) wanted.set(own, e.namespaceURI ?? '');

    const attributes: DomAttr[] = [];
    const list = e.attributes;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.namespaceURI === XMLNS_NS) {
        const prefix = a.prefix === null ? '' : a.localName ?? '';
        // An undeclared prefix (xmlns:p="", XML 1.1) leaves nothing to declare.
        if (this.inclusive.has(prefix) && (prefix === '' || a.value !== '')) wanted.set(prefix, a.value);
        continue;
      }
      attributes.push(a);
      if (a.prefix && a.prefix !== 'xml') wanted.set(a.prefix, a.namespaceURI ?? '');
    }

    const render: [string, string][] = [];
    for (const [prefix, uri] of wanted) {
      if ((this.declared.get(prefix) ?? '') !== uri) render.push([prefix, uri]);
    }
    render.sort((x, y) => compareCodePoints(x[0], y[0]));
    attributes.sort(compareAttributes);

    let tag = `<${e.tagName}`;
    const previous: [string, string | undefined][] = [];
    for (const [prefix, uri] of render) {
      tag += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
      previous.push([prefix, this.declared.get(prefix)]);
      this.declared.set(prefix, uri);
    }
    for (const a of attributes) tag += ` ${a.name}="${escapeAttribute(a.value)}"`;
    this.out += `${tag}>`;

    const children = e.childNodes;
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      if (child === this.omit) continue;
      switch (child.nodeType) {
        case ELEMENT_NODE:
          this.element(child as DomElement, undefined);
          break;
        case TEXT_NODE:
        case CDATA_SECTION_NODE:
          this.out += escapeText((child as DomCharacterData).data);
          break;
        case PROCESSING_INSTRUCTION_NODE: {
          const pi = child as DomProcessingInstruction;
          this.out += pi.data === '' ? `<?${pi.target}?>` : `<?${pi.target} ${pi.data}?>`;
          break;
        }
        // Comments are left out (mappers/xml's parse keeps none); a DOM from a DTD-less parse has no other node types
        // inside an element.
      }
    }
    this.out += `</${e.tagName}>`;

    for (let i = previous.length - 1; i >= 0; i--) {
      const [prefix, uri] = previous[i]!;
      if (uri === undefined) this.declared.delete(prefix);
      else this.declared.set(prefix, uri);
    }
  }
}

/** The namespaces of these prefixes in scope at the element, declarations on its ancestors included. */
function inScope(e: DomElement, prefixes: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (let at: DomNode | null = e; at && at.nodeType === ELEMENT_NODE; at = at.parentNode) {
    const list = (at as DomElement).attributes;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.namespaceURI !== XMLNS_NS) continue;
      const prefix = a.prefix === null ? '' : a.localName ?? '';
      if (prefixes.has(prefix) && !found.has(prefix)) found.set(prefix, a.value);
    }
  }
  for (const [prefix, uri] of found) if (prefix !== '' && uri === '') found.delete(prefix);
  return found;
}

/**
 * Code point order. UTF-16 code units order the same except that surrogates (U+D800–DFFF, which encode code
 * points above U+FFFF) sort below U+E000–FFFF; lifting them above that range fixes the one difference.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

function compareAttributes(a: DomAttr, b: DomAttr): number {
  return compareCodePoints(a.namespaceURI ?? '', b.namespaceURI ?? '') || compareCodePoints(a.localName ?? '', b.localName ?? '');
}

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_ALL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;
const ATTRIBUTE_SPECIAL_ALL = /[&<"\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};
const escape = (c: string) => ESCAPES[c]!;

function escapeText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL_ALL, escape) : text;
}

function escapeAttribute(value: string): string {
  return ATTRIBUTE_SPECIAL.test(value) ? value.replace(ATTRIBUTE_SPECIAL_ALL, escape) : value;
}
