import type { CharacterData, Element } from '@xmldom/xmldom';

/** The few DOM reads the XUA checks need, by namespace URI and local name whatever the prefix. */
export function elementChildren(parent: Element): Element[] {
  const found: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) found.push(n as Element);
  return found;
}

export const is = (e: Element, ns: string, name: string): boolean => e.localName === name && e.namespaceURI === ns;

export function childrenNamed(parent: Element, ns: string, name: string): Element[] {
  return elementChildren(parent).filter((e) => is(e, ns, name));
}

/** Text and CDATA of all descendants; comments left out, as canonical XML leaves them out of what was signed. */
export function textOf(e: Element): string {
  let text = '';
  for (let n = e.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) text += (n as CharacterData).data;
    else if (n.nodeType === 1) text += textOf(n as Element);
  }
  return text;
}

/** An unqualified attribute; undefined when absent (xmldom answers null). */
export function attribute(e: Element, name: string): string | undefined {
  return e.getAttributeNode(name)?.value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** xs:base64Binary: whitespace anywhere, otherwise strict. */
export function base64(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  return BASE64.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}
