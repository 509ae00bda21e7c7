import { CDATA_SECTION_NODE, ELEMENT_NODE, TEXT_NODE, type DomCharacterData, type DomElement } from '../../../mappers/xml/index.js';

/**
 * The few DOM reads the XUA checks need, by namespace URI and local name whatever the prefix: over the DOM of
 * mappers/xml's parse of a request, or any other W3C DOM (tests build documents with @xmldom/xmldom).
 */
export function elementChildren(parent: DomElement): DomElement[] {
  const found: DomElement[] = [];
  const nodes = parent.childNodes;
  for (let i = 0; i < nodes.length; i++) if (nodes[i]!.nodeType === ELEMENT_NODE) found.push(nodes[i] as DomElement);
  return found;
}

export const is = (e: DomElement, ns: string, name: string): boolean => e.localName === name && e.namespaceURI === ns;

export function childrenNamed(parent: DomElement, ns: string, name: string): DomElement[] {
  return elementChildren(parent).filter((e) => is(e, ns, name));
}

/** Text and CDATA of all descendants; comments left out, as canonical XML leaves them out of what was signed. */
export function textOf(e: DomElement): string {
  let text = '';
  const nodes = e.childNodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) text += (n as DomCharacterData).data;
    else if (n.nodeType === ELEMENT_NODE) text += textOf(n as DomElement);
  }
  return text;
}

/** An unqualified attribute; undefined when absent (a DOM answers null). */
export function attribute(e: DomElement, name: string): string | undefined {
  return e.getAttributeNode(name)?.value;
}

/**
 * xs:base64Binary: whitespace anywhere, otherwise strict, canonical padding bits included (XML Schema 1.1 §3.3.16).
 * Node's decoder skips what it does not know; a value that does not encode back to itself held something else.
 */
export function base64(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  const bytes = Buffer.from(compact, 'base64');
  return bytes.toString('base64') === compact ? bytes : undefined;
}
