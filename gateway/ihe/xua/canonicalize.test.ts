import { readFileSync } from 'node:fs';
import type { Element } from '@xmldom/xmldom';
import { describe, expect, it } from '@jest/globals';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { parseXml } from '../../../test/support/saml.js';
import { canonicalize, compareCodePoints } from './canonicalize.js';

interface Case {
  readonly name: string;
  readonly input: string;
  readonly apex?: string;
  readonly inclusivePrefixes: readonly string[];
  readonly expected: string;
  readonly xmlCrypto: 'same' | 'differs';
}

const cases = JSON.parse(readFileSync(new URL('../../../fixtures/ihe/xua/exc-c14n-cases.json', import.meta.url), 'utf8')) as Case[];

function apexOf(xml: string, name?: string): Element {
  const doc = parseXml(xml);
  return name ? doc.getElementsByTagNameNS('*', name)[0]! : doc.documentElement!;
}

/** In-scope namespace declarations of the apex's ancestors, nearest first: what xml-crypto needs to be told. */
function ancestorNamespaces(apex: Element): { prefix: string; namespaceURI: string }[] {
  const found: { prefix: string; namespaceURI: string }[] = [];
  for (let at = apex.parentNode; at && at.nodeType === 1; at = at.parentNode) {
    for (const a of Array.from((at as Element).attributes)) {
      const prefix = a.prefix ? a.localName ?? '' : '';
      if (a.namespaceURI === 'http://www.w3.org/2000/xmlns/' && !found.some((f) => f.prefix === prefix)) found.push({ prefix, namespaceURI: a.value });
    }
  }
  return found;
}

function xmlCrypto(c: Case): string {
  const apex = apexOf(c.input, c.apex);
  try {
    return new ExclusiveCanonicalization().process(apex as never, { inclusiveNamespacesPrefixList: [...c.inclusivePrefixes], ancestorNamespaces: ancestorNamespaces(apex) }) as string;
  } catch (error) {
    return `throws: ${(error as Error).message}`;
  }
}

describe('exclusive canonicalization against an independent implementation (Apache Santuario)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(canonicalize(apexOf(c.input, c.apex), { inclusivePrefixes: c.inclusivePrefixes })).toBe(c.expected);
  });

  it.each(cases.map((c) => [c.name, c] as const))('xml-crypto on %s: as the fixture records', (_, c) => {
    expect(xmlCrypto(c) === c.expected ? 'same' : 'differs').toBe(c.xmlCrypto);
  });
});

describe('canonicalize', () => {
  it('leaves out the omitted descendant with its subtree, keeping the text around it', () => {
    const doc = parseXml('<a:r xmlns:a="urn:a" ID="x">one<ds:Signature xmlns:ds="urn:ds"><ds:Value>v</ds:Value></ds:Signature>two<a:b/></a:r>');
    const signature = doc.getElementsByTagNameNS('urn:ds', 'Signature')[0]!;
    expect(canonicalize(doc.documentElement!, { omit: signature })).toBe('<a:r xmlns:a="urn:a" ID="x">onetwo<a:b></a:b></a:r>');
  });

  it('never changes the document it reads', () => {
    const doc = parseXml('<o xmlns:i="urn:i"><r><e/></r></o>');
    const apex = doc.getElementsByTagName('r')[0]!;
    expect(canonicalize(apex, { inclusivePrefixes: ['i'] })).toBe('<r xmlns:i="urn:i"><e></e></r>');
    expect(apex.attributes.length).toBe(0);
  });

  it('ignores xml and xmlns in the PrefixList: they are never declared', () => {
    expect(canonicalize(apexOf('<r xml:lang="nl"><e/></r>'), { inclusivePrefixes: ['xml', 'xmlns'] })).toBe('<r xml:lang="nl"><e></e></r>');
  });

  it('orders by code point, not by UTF-16 unit: U+FFFD before U+1F600', () => {
    expect(compareCodePoints('\ufffd', '\u{1f600}')).toBeLessThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('B', 'a')).toBeLessThan(0);
    expect(canonicalize(apexOf('<r \u{1f600}="2" \ufffd="1"/>'))).toBe('<r \ufffd="1" \u{1f600}="2"></r>');
  });
});
