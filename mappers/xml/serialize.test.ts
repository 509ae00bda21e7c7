import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NS } from './namespaces.js';
import { childNamed, qnameValue } from './navigate.js';
import { readXml, type XmlElement } from './read.js';
import { escapeXmlAttribute, escapeXmlText, serializeElement, writeXml } from './serialize.js';

function read(text: string): XmlElement {
  const result = readXml(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.root;
}

interface Shape {
  ns: string;
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: Shape[];
}

/** What an element means, whatever prefixes were written: an xsi:type value compared by the QName it resolves to. */
function shape(e: XmlElement): Shape {
  const attributes = { ...e.attributes };
  if (attributes.type !== undefined && Object.values(e.prefixes).includes(NS.xsi)) {
    const type = qnameValue(e, attributes.type);
    attributes.type = `{${type.ns}}${type.name}`;
  }
  return { ns: e.ns, name: e.name, attributes, text: e.text, children: e.children.map(shape) };
}

const roundTrip = (e: XmlElement) => shape(read(serializeElement(e)));

describe('serializeElement', () => {
  it('writes a default-namespace subtree back with its declaration, attributes and text', () => {
    const root = read(`<PRPA_IN201305UV02 xmlns="${NS.hl7}"><controlActProcess><queryByParameter><queryId root="1.2" extension="a&amp;b"/><parameterList><livingSubjectName><value><given>Jan</given><family>Berg</family></value></livingSubjectName></parameterList></queryByParameter></controlActProcess></PRPA_IN201305UV02>`);
    const qbp = childNamed(childNamed(root, NS.hl7, 'controlActProcess')!, NS.hl7, 'queryByParameter')!;
    expect(serializeElement(qbp)).toBe(
      `<queryByParameter xmlns="${NS.hl7}"><queryId root="1.2" extension="a&amp;b"/><parameterList><livingSubjectName><value><given>Jan</given><family>Berg</family></value></livingSubjectName></parameterList></queryByParameter>`,
    );
    expect(roundTrip(qbp)).toEqual(shape(qbp));
  });

  it('keeps xsi:type in its namespace and rewrites its QName value with the prefix it declares', () => {
    const root = read(`<v3:q xmlns:v3="${NS.hl7}" xmlns:i="${NS.xsi}"><v3:value i:type="v3:PN"><v3:given>A</v3:given></v3:value><value xmlns="${NS.hl7}" i:type="ST"/></v3:q>`);
    expect(serializeElement(root)).toBe(`<q xmlns="${NS.hl7}" xmlns:i="${NS.xsi}"><value i:type="PN"><given>A</given></value><value i:type="ST"/></q>`);
    expect(roundTrip(root)).toEqual(shape(root));
  });

  it('an xsi:type QName with no namespace stops the default namespace, so it still resolves to none', () => {
    const root = read(`<a:q xmlns:a="${NS.hl7}" xmlns:xsi="${NS.xsi}"><a:value xsi:type="ST"/></a:q>`);
    const written = serializeElement(root);
    expect(written).toBe(`<a:q xmlns="" xmlns:a="${NS.hl7}" xmlns:xsi="${NS.xsi}"><a:value xsi:type="ST"/></a:q>`);
    expect(roundTrip(root)).toEqual(shape(root));
  });

  it('undeclares the default namespace for elements that have none, so embedding it elsewhere keeps their meaning', () => {
    const root = read(`<h:q xmlns:h="${NS.hl7}"><plain>x</plain><h:b/></h:q>`);
    const subtree = serializeElement(root);
    expect(subtree).toBe(`<h:q xmlns="" xmlns:h="${NS.hl7}"><plain>x</plain><h:b/></h:q>`);
    const embedded = read(`<outer xmlns="${NS.soap12}">${subtree}</outer>`);
    expect(shape(embedded.children[0]!)).toEqual(shape(root));
  });

  it('gives distinct prefixes to namespaces the sender bound to the same prefix in different places', () => {
    const root = read(`<p:a xmlns:p="${NS.hl7}"><p:b xmlns:p="${NS.sdtc}"><p:c/></p:b><x:d xmlns:x="urn:example:x"/></p:a>`);
    const written = serializeElement(root);
    expect(written).toBe(`<a xmlns="${NS.hl7}" xmlns:p="${NS.sdtc}" xmlns:x="urn:example:x"><p:b><p:c/></p:b><x:d/></a>`);
    expect(roundTrip(root)).toEqual(shape(root));
    const clash = read(`<p:a xmlns:p="urn:example:one"><q:b xmlns:q="urn:example:two"><q:c xmlns:q="urn:example:three"/></q:b></p:a>`);
    expect(serializeElement(clash)).toBe('<a xmlns="urn:example:one" xmlns:q="urn:example:two" xmlns:ns1="urn:example:three"><q:b><ns1:c/></q:b></a>');
    expect(roundTrip(clash)).toEqual(shape(clash));
  });

  it('leaves out local names that are no NCName, which no declaration can make well-formed', () => {
    const root = read('<a xmlns:p="urn:example:p"><p:b:c/><p:1b/><p:-b/><d p:e:f="1" p:2="3" g="2"/></a>');
    expect(root.children.map((c) => c.name)).toEqual(['b:c', '1b', '-b', 'd']);
    expect(serializeElement(root)).toBe('<a xmlns=""><d g="2"/></a>');
  });

  it('writes elements of the XML namespace under xml: without declaring it', () => {
    const root = read('<xml:a xmlns:p="urn:example:p"><xml:b/><p:c/></xml:a>');
    expect(serializeElement(root)).toBe('<xml:a xmlns:p="urn:example:p"><xml:b/><p:c/></xml:a>');
    expect(roundTrip(root)).toEqual(shape(root));
  });

  it('indents for a person to read, starting at a given depth', () => {
    const root = read(`<a xmlns="${NS.hl7}"><b><c>t</c></b><d/></a>`);
    expect(serializeElement(root, { indent: '  ', depth: 1 })).toBe(`  <a xmlns="${NS.hl7}">\n    <b>\n      <c>t</c>\n    </b>\n    <d/>\n  </a>`);
  });
});

describe('escaping', () => {
  it('escapes markup in text and attributes, keeps whitespace in attributes as references', () => {
    expect(escapeXmlText('a < b && c > d ]]>')).toBe('a &lt; b &amp;&amp; c &gt; d ]]&gt;');
    expect(escapeXmlAttribute('say "hi"\tnow\nthen\r')).toBe('say &quot;hi&quot;&#9;now&#10;then&#13;');
    const written = writeXml({ name: 'a', attributes: [['v', ' x\ty\n']], text: '<&>' });
    const back = read(written);
    expect([back.attributes.v, back.text]).toEqual([' x\ty\n', '<&>']);
  });

  it('writes a value that needs no escaping as it is, and any other as the full set of replacements does', () => {
    const replaced = (v: string) =>
      v.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '"', "'", '&', '<', '>', '\t', '\n', '\r', '\u0000', '\uD800', '\uDC00', '\uFFFE', 'é', '😀'), maxLength: 12 }), (v) => {
        expect(escapeXmlText(v)).toBe(replaced(v));
        expect(escapeXmlAttribute(v)).toBe(replaced(v).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;'));
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces characters XML 1.0 cannot carry, keeping paired surrogates', () => {
    expect(escapeXmlText('a\u0000b\u0008c\uFFFEd\uD800e\u{1F600}')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\u{1F600}');
  });

  it('any string gives a document readXml accepts, with the text it can carry', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), (text, attribute) => {
        const back = read(writeXml({ name: 'x:a', attributes: [['xmlns:x', NS.hl7], ['v', attribute]], children: [{ name: 'x:b', text }] }));
        const carried = (s: string) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
        expect(back.attributes.v).toBe(carried(attribute));
        expect(back.children[0]!.text).toBe(carried(text).trim());
      }),
      { numRuns: 300 },
    );
  });
});

describe('round trip of generated trees', () => {
  const NAMESPACES = [NS.hl7, NS.sdtc, 'urn:example:x', ''];
  const PREFIXES = ['', 'a', 'hl7', 'xsi', 'p'];
  interface Gen { prefix: string; ns: string; local: string; attributes: [string, string][]; text: string; children: Gen[] }

  const tree: fc.Memo<Gen> = fc.memo((n) =>
    fc.record({
      prefix: fc.constantFrom(...PREFIXES),
      ns: fc.constantFrom(...NAMESPACES),
      local: fc.constantFrom('value', 'given', 'family', 'id', 'x'),
      attributes: fc.uniqueArray(fc.tuple(fc.constantFrom('root', 'extension', 'code', 'type'), fc.string({ maxLength: 8 })), { maxLength: 3, selector: ([k]) => k }),
      text: fc.string({ maxLength: 8 }),
      children: n > 1 ? fc.array(tree(n - 1), { maxLength: 3 }) : fc.constant([]),
    }),
  );

  /** Each element declares its own prefix (or the default namespace) for its namespace: a sender's prefix soup. */
  function text(g: Gen): string {
    const name = g.prefix && g.ns ? `${g.prefix}:${g.local}` : g.local;
    const declaration = g.prefix && g.ns ? ` xmlns:${g.prefix}="${g.ns}"` : ` xmlns="${g.ns}"`;
    const attributes = g.attributes.map(([k, v]) => ` ${k}="${escapeXmlAttribute(v)}"`).join('');
    return `<${name}${declaration}${attributes}>${escapeXmlText(g.text)}${g.children.map(text).join('')}</${name}>`;
  }

  it('reads back to the same namespaces, names, attributes and text', () => {
    fc.assert(
      fc.property(tree(4), (g) => {
        const root = read(text(g));
        expect(roundTrip(root)).toEqual(shape(root));
      }),
      { numRuns: 300 },
    );
  });
});
