import type { IssueLocation } from '../../canonical/index.js';
import type { XmlElement } from './read.js';

/** The children of an element with this namespace and local name, in document order. */
export function childrenNamed(element: XmlElement, ns: string, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name && c.ns === ns);
}

/** The first child with this namespace and local name. */
export function childNamed(element: XmlElement, ns: string, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name && c.ns === ns);
}

/** Follows a path of (namespace, local name) steps through first children. */
export function pathOf(element: XmlElement, ...steps: readonly (readonly [string, string])[]): XmlElement | undefined {
  let at: XmlElement | undefined = element;
  for (const [ns, name] of steps) {
    at = at && childNamed(at, ns, name);
  }
  return at;
}

/** Every descendant (not the element itself) with this namespace and local name, in document order. */
export function descendantsNamed(element: XmlElement, ns: string, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.name === name && c.ns === ns) found.push(c);
      walk(c);
    }
  };
  walk(element);
  return found;
}

/** A QName written in an attribute value (`xsi:type="hl7:CE"`), resolved with the element's prefixes. */
export function qnameValue(element: XmlElement, value: string): { ns: string; name: string } {
  const colon = value.indexOf(':');
  if (colon === -1) return { ns: element.prefixes[''] ?? '', name: value.trim() };
  return { ns: element.prefixes[value.slice(0, colon)] ?? '', name: value.slice(colon + 1).trim() };
}

/** Where an element sits, for an Issue. */
export function at(element: Pick<XmlElement, 'path' | 'line'>): IssueLocation {
  return { path: element.path, line: element.line };
}
