import { describe, expect, it } from '@jest/globals';
import { ELEMENT_NODE, PROCESSING_INSTRUCTION_NODE, TEXT_NODE, XML_NS, XMLNS_NS, type DomCharacterData, type DomElement, type DomProcessingInstruction } from './dom.js';
import { parseXmlDocument, type XmlProblem } from './parse.js';
import { DEFAULT_XML_LIMITS } from './read.js';

const limits = { maxBytes: 10_000, maxDepth: 8, maxElements: 50 };

function parsed(text: string): DomElement {
  const result = parseXmlDocument(text, DEFAULT_XML_LIMITS);
  if (!result.ok) throw new Error(`${result.problem} at ${result.offset}`);
  return result.document.documentElement;
}

const refusal = (text: string, l = DEFAULT_XML_LIMITS) => {
  const result = parseXmlDocument(text, l);
  return result.ok ? 'accepted' : result.problem;
};

/** Attributes w0="1" to w(n-1)="1". */
const many = (n: number) => Array.from({ length: n }, (_, i) => ` w${i}="1"`).join('');
const elements = (e: DomElement): DomElement[] => Array.from({ length: e.childNodes.length }, (_, i) => e.childNodes[i]!).filter((n): n is DomElement => n.nodeType === ELEMENT_NODE);
const texts = (e: DomElement): string[] => Array.from({ length: e.childNodes.length }, (_, i) => e.childNodes[i]!).filter((n) => n.nodeType === TEXT_NODE).map((n) => (n as DomCharacterData).data);

describe('parseXmlDocument: the DOM', () => {
  it('names elements and attributes as the DOM does, namespace declarations among the attributes', () => {
    const root = parsed('<s:E xmlns:s="urn:s" xmlns="urn:d" a="1" s:b="2" xml:lang="nl"><c/><d xmlns=""/></s:E>');
    expect([root.tagName, root.prefix, root.localName, root.namespaceURI]).toEqual(['s:E', 's', 'E', 'urn:s']);
    const attributes = Array.from({ length: root.attributes.length }, (_, i) => root.attributes[i]!).map((a) => [a.name, a.prefix, a.localName, a.namespaceURI, a.value]);
    expect(attributes).toEqual([
      ['xmlns:s', 'xmlns', 's', XMLNS_NS, 'urn:s'],
      ['xmlns', null, 'xmlns', XMLNS_NS, 'urn:d'],
      ['a', null, 'a', null, '1'],
      ['s:b', 's', 'b', 'urn:s', '2'],
      ['xml:lang', 'xml', 'lang', XML_NS, 'nl'],
    ]);
    expect(elements(root).map((e) => [e.tagName, e.namespaceURI])).toEqual([['c', 'urn:d'], ['d', null]]);
    expect([root.getAttribute('s:b'), root.getAttribute('b'), root.getAttributeNode('a')?.value, root.getAttributeNode('x')]).toEqual(['2', null, '1', null]);
    expect(elements(root)[0]!.parentNode).toBe(root);
  });

  it('gives text as XML 1.0 delivers it: references replaced, line ends normalised, CDATA and comments joined in one run', () => {
    const root = parsed('<a>x &amp; &#233;&#x1F600;\r\ny\rz<!-- c --><![CDATA[<raw>\r\n]]>&#13;<b/>\u0085\u2028</a>');
    expect(texts(root)).toEqual(['x & é😀\ny\nz<raw>\n\r', '\u0085\u2028']);
  });

  it('normalises attribute values (§3.3.3), keeping the value as read before that for the SOAP mappers\' tree', () => {
    const root = parsed('<a v="x\ty\r\nz\rw\n" r="&#9;&#10;&#13;&lt;" p="plain"/>');
    const v = root.getAttributeNode('v') as unknown as { value: string; unnormalizedValue?: string };
    expect([v.value, v.unnormalizedValue]).toEqual(['x y z w ', 'x\ty\nz\nw\n']);
    const r = root.getAttributeNode('r') as unknown as { value: string; unnormalizedValue?: string };
    expect([r.value, r.unnormalizedValue]).toEqual(['\t\n\r<', undefined]);
  });

  it('keeps processing instructions, inside the root and around it, and skips a byte order mark and the declaration', () => {
    const result = parseXmlDocument('\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<?before a?>\n<a>t<?pi  x\r\ny ?>u</a>\n<?after?>', DEFAULT_XML_LIMITS);
    if (!result.ok) throw new Error(result.problem);
    const document = result.document;
    const kinds = Array.from({ length: document.childNodes.length }, (_, i) => document.childNodes[i]!).map((n) => n.nodeType);
    expect(kinds).toEqual([PROCESSING_INSTRUCTION_NODE, ELEMENT_NODE, PROCESSING_INSTRUCTION_NODE]);
    const root = document.documentElement;
    const pi = root.childNodes[1] as DomProcessingInstruction;
    expect([texts(root), pi.target, pi.data]).toEqual([['t', 'u'], 'pi', 'x\ny ']);
    expect(document.text.startsWith('\ufeff<?xml')).toBe(true);
  });
});

describe('parseXmlDocument: refusals', () => {
  it.each<[string, string, XmlProblem]>([
    ['a DOCTYPE, anywhere', '<a><!-- <!doctype x> --></a>', 'declaration'],
    ['an ENTITY declaration', '<a><![CDATA[<!ENTITY x "y">]]></a>', 'declaration'],
    ['a control character', '<a>\u0001</a>', 'character'],
    ['U+FFFE', '<a v="\ufffe"/>', 'character'],
    ['a lone surrogate', '<a>\ud800x</a>', 'character'],
    ['a reference to a forbidden character', '<a>&#0;</a>', 'character'],
    ['a reference past U+10FFFF', '<a v="&#x110000;"/>', 'character'],
    ['a prefix bound to nothing', '<a xmlns:p=""/>', 'namespace'],
    ['xml bound elsewhere', '<a xmlns:xml="urn:x"/>', 'namespace'],
    ['another prefix bound to the xml namespace', `<a xmlns:x="${XML_NS}"/>`, 'namespace'],
    ['the xmlns prefix declared', '<a xmlns:xmlns="urn:x"/>', 'namespace'],
    ['the xmlns namespace bound', `<a xmlns="${XMLNS_NS}"/>`, 'namespace'],
    ['no root', '<!-- c -->', 'malformed'],
    ['two roots', '<a/><b/>', 'malformed'],
    ['text after the root', '<a/>x', 'malformed'],
    ['an unclosed element', '<a><b></a>', 'malformed'],
    ['an end tag of another name', '<a></b>', 'malformed'],
    ['an undeclared prefix', '<a><p:b/></a>', 'malformed'],
    ['an undeclared attribute prefix', '<a p:v="1"/>', 'malformed'],
    ['the xmlns prefix on an element', '<xmlns:a/>', 'malformed'],
    ['the xmlns prefix on an element, though declared', '<xmlns:a xmlns:xmlns="urn:x"/>', 'malformed'],
    ['two colons in a name', '<a:b:c xmlns:a="urn:a"/>', 'malformed'],
    ['an attribute twice', '<a v="1" v="2"/>', 'malformed'],
    ['an attribute twice by namespace among many', `<a xmlns:p="urn:x" xmlns:q="urn:x"${many(20)} p:v="1" q:v="2"/>`, 'malformed'],
    ['an attribute twice among many', `<a${many(20)} w3="2"/>`, 'malformed'],
    ['attributes without space between', '<a v="1"w="2"/>', 'malformed'],
    ['an unquoted value', '<a v=1/>', 'malformed'],
    ['< in a value', '<a v="<"/>', 'malformed'],
    ['an entity XML does not define', '<a>&nbsp;</a>', 'malformed'],
    ['a character reference without its semicolon', '<a>&#65</a>', 'malformed'],
    ['-- in a comment', '<a><!-- a -- b --></a>', 'malformed'],
    ['a comment ending in -', '<a><!-- a ---></a>', 'malformed'],
    ['a declaration not at the start', ' <?xml version="1.0"?><a/>', 'malformed'],
    ['a declaration without a version', '<?xml encoding="UTF-8"?><a/>', 'malformed'],
    ['an instruction named xml', '<a><?XML x?></a>', 'malformed'],
    ['an instruction target with a colon', '<a><?p:i x?></a>', 'malformed'],
    ['a name starting with a digit', '<1a/>', 'malformed'],
    ['CDATA outside the root', '<![CDATA[x]]><a/>', 'malformed'],
    ['other markup declarations', '<a><!ELEMENT a ANY></a>', 'malformed'],
    // @xmldom/xmldom, whose DOM the XUA checks read before, let these through; XML 1.0 does not.
    ['an attribute twice by namespace', '<a xmlns:p="urn:x" xmlns:q="urn:x" p:v="1" q:v="2"/>', 'malformed'],
    ['a bare & in a value', '<a v="a & b"/>', 'malformed'],
    ['a bare & in text', '<a>a & b</a>', 'malformed'],
    ['a character reference without digits', '<a>&#;</a>', 'malformed'],
    ['a negative character reference', '<a>&#-1;</a>', 'malformed'],
    [']]> in text', '<a>]]></a>', 'malformed'],
    ['a name character XML does not take', '<a;/>', 'malformed'],
    ['a space inside the empty-element end', '<a/ >', 'malformed'],
  ])('%s', (_, text, problem) => {
    expect(refusal(text)).toBe(problem);
  });

  it('refuses at the limits: size in bytes, start tags, depth', () => {
    expect(refusal(`<a>${'é'.repeat(5000)}</a>`, limits)).toBe('too-large');
    expect(refusal(`<a>${'<b/>'.repeat(50)}</a>`, limits)).toBe('too-many-elements');
    expect(refusal(`<a>${'<b/>'.repeat(49)}</a>`, limits)).toBe('accepted');
    expect(refusal(`${'<d>'.repeat(8)}${'</d>'.repeat(8)}`, limits)).toBe('accepted');
    expect(refusal(`${'<d>'.repeat(9)}${'</d>'.repeat(9)}`, limits)).toBe('too-deep');
  });

  it('refuses malformed text as malformed though it is also too deep, as a parser checking the finished tree would', () => {
    expect(refusal(`${'<d>'.repeat(9)}${'</d>'.repeat(8)}`, limits)).toBe('malformed');
    expect(refusal('<a xmlns:p=""><b>&#0;</b>', limits)).toBe('malformed');
  });

  it('takes what XML 1.0 allows that looks odd', () => {
    for (const text of [
      '<a\u00b7\u0300/>', '<\u{10000}a/>', '<a v=\'"\' w="\'"/>', '<a v=">"/>', '<a>></a>', '<a><?pi?></a>', '<?xml version="1.1"?><a/>',
      '<a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>', `<a xmlns:p="urn:p" xmlns:q="urn:q"${many(20)} p:v="1" q:v="2" v="3"/>`, '<a></a\n>', '<a\r\n v = "1"\r\n/>', '<a>\ufffd</a>', '<x:a xmlns:x="urn:x"><x:b xmlns:x="urn:y"/></x:a>',
    ]) expect([text, refusal(text)]).toEqual([text, 'accepted']);
  });
});
