import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hl7Time } from './datatypes.js';
import { readXml, readXmlWithLibrary, type XmlElement, type XmlRead } from './xml.js';

const nest = (depth: number) => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;

describe('readXml', () => {
  it('strips namespace prefixes, keeps attributes, decodes references and gives each element its path and line', () => {
    const read = readXml('<v3:root xmlns:v3="urn:hl7-org:v3" xmlns:xsi="x">\n  <v3:item xsi:type="ST">a &amp; b &#233;</v3:item>\n  <item><![CDATA[<raw>]]></item>\n</v3:root>');
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.root.name).toBe('root');
    expect(read.root.attributes).toEqual({});
    expect(read.root.children.map((c) => [c.path, c.line, c.attributes, c.text])).toEqual([
      ['/root/item[1]', 2, { type: 'ST' }, 'a & b é'],
      ['/root/item[2]', 3, {}, '<raw>'],
    ]);
  });

  it('accepts nesting up to the depth limit and refuses one level more', () => {
    expect(readXml(nest(100)).ok).toBe(true);
    expect(readXml(nest(101))).toEqual({ ok: false, issues: [{ severity: 'fatal', code: 'XML_TOO_DEEP', message: 'elements are nested deeper than the limit of 100' }] });
    expect(readXml(nest(6), { maxBytes: 1000, maxDepth: 5 }).ok).toBe(false);
  });

  it('refuses text over the size limit', () => {
    expect(readXml('<a>éé</a>', { maxBytes: 10, maxDepth: 100 })).toEqual({
      ok: false,
      issues: [{ severity: 'fatal', code: 'XML_TOO_LARGE', message: 'the message is larger than the limit of 10 bytes' }],
    });
  });

  it('refuses any DTD, even one without entities, naming where it starts', () => {
    expect(readXml('<?xml version="1.0"?>\n<!doctype a>\n<a/>')).toEqual({
      ok: false,
      issues: [{ severity: 'fatal', code: 'XML_DTD_FORBIDDEN', message: 'DOCTYPE and ENTITY declarations are not accepted', where: { line: 2, column: 1 } }],
    });
  });

  it.each([
    ['an unclosed element', '<a>\n<b>\n</a>'],
    ['two roots', '<a/><b/>'],
    ['text only', 'not xml'],
    ['an attribute without quotes', '<a x=1/>'],
  ])('refuses %s with a line', (_, text) => {
    const read = readXml(text);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.issues).toEqual([expect.objectContaining({ severity: 'fatal', code: 'XML_MALFORMED', where: expect.objectContaining({ line: expect.any(Number) }) })]);
  });

  it('refuses a character reference XML cannot carry', () => {
    const read = readXml('<a>&#0;</a>');
    expect(read.ok ? [] : read.issues.map((i) => [i.code, i.where?.path])).toEqual([['XML_ENTITY_UNKNOWN', '/a']]);
  });
});

describe('the fast reader and the library path', () => {
  const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/ketenzorg');
  const fixtures = ['dm2', 'copd', 'cvrm', 'batch-two', 'invalid-bsn', 'truncated', 'unit-mismatch', 'unknown-interaction', 'unmapped-local-code'].map((name) =>
    readFileSync(path.join(FIXTURES, `${name}.xml`), 'utf8'),
  );
  const tree = (e: XmlElement): unknown => ({ name: e.name, attributes: Object.entries(e.attributes), text: e.text, path: e.path, line: e.line, children: e.children.map(tree) });
  const shown = (read: XmlRead) => (read.ok ? { ok: true, root: tree(read.root) } : read);
  const agree = (text: string) => expect(shown(readXml(text, { maxBytes: 100_000, maxDepth: 8 }))).toEqual(shown(readXmlWithLibrary(text, { maxBytes: 100_000, maxDepth: 8 })));

  // The corners of the library's text rules that the fast reader copies or hands back.
  const NAMES = ['a', 'v3:a', 'id', 'code', 'c-d', 'e.f', '_g', 'toString', 'x:y:z'];
  const ATTRIBUTES = ['root', 'xsi:type', 'p:root', 'xmlns', 'xmlns:p', 'p:xmlns', 'constructor', 'value'];
  const TEXTS = ['', ' ', 'x', ' x ', 'a &amp; b', '&#233;&#xE9;', '&lt;&gt;', 'y\r\nz\r', '\t', ' > ', ']]>', '&bad;', '&#0;', '&#;', 'é ü', '\u00a0', ' &#32; ', '"', "'", '<'];
  const SPACE = ['', ' ', '\n', '\r\n', '\t'];
  const element: fc.Memo<string> = fc.memo((n) =>
    fc
      .tuple(
        fc.constantFrom(...NAMES),
        fc.array(fc.tuple(fc.constantFrom(...SPACE), fc.constantFrom(...ATTRIBUTES), fc.constantFrom('=', ' = '), fc.constantFrom('"', "'"), fc.constantFrom(...TEXTS)), { maxLength: 3 }),
        n > 1
          ? fc.array(fc.oneof(element(n - 1), fc.constantFrom(...TEXTS), fc.constantFrom(...TEXTS).map((t) => `<!--${t}-->`), fc.constantFrom(...TEXTS).map((t) => `<![CDATA[${t}]]>`)), { maxLength: 4 })
          : fc.constant([] as string[]),
        fc.constantFrom(...SPACE),
      )
      .map(([name, attributes, children, space]) => {
        const open = `<${name}${attributes.map(([gap, key, equals, quote, value]) => `${gap}${key}${equals}${quote}${value}${quote}`).join('')}${space}`;
        return children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${name}${space}>`;
      }),
  );
  const PROLOGUE = ['', '<?xml version="1.0" encoding="UTF-8"?>\n', ' <?xml version="1.0"?>', '<?xml constructor="1"?>', '<!-- c -->\r\n', '\uFEFF'];

  it('agree on the fixtures, and on generated documents with the odd corners of XML', () => {
    for (const text of fixtures) agree(text);
    for (const text of ['<a>x<!--c--> \r\n<!--d-->y</a>', '<a> x <![CDATA[ y\r\n ]]> z </a>', '<a b="1" b="2"/>', '<p:a p:b="1" b="2"/>', '<a/><b/>', '<a>t<?p?>u</a>', '<a>\n</a >\n<!-- end -->']) agree(text);
    fc.assert(fc.property(fc.constantFrom(...PROLOGUE), element(5), fc.constantFrom('', '\n', 'x', '<b/>'), (prologue, body, tail) => agree(`${prologue}${body}${tail}`)), { numRuns: 2000 });
  });

  it('agree on fixtures with a few characters changed', () => {
    const EDITS = ['<', '>', '&', '"', "'", '/', '!', '?', ' ', '\r', ':', '=', ';', '#', ']', '-', '&amp;', '&foo;', '<!-- c -->', '<![CDATA[ z ]]>', '<b/>', '</b>', '<?pi x?>', ' q:at=" v "', ' xmlns:q="u"'];
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom(...EDITS)), { minLength: 1, maxLength: 3 }), (text, edits) => {
        const edited = edits.reduce((t, [at, cut, edit]) => t.slice(0, at % t.length) + edit + t.slice((at % t.length) + cut), text);
        agree(edited);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hl7Time', () => {
  it.each([
    ['2019', '2019'],
    ['201902', '2019-02'],
    ['20190130', '2019-01-30'],
    ['2019013014', '2019-01-30T14:00+01:00'],
    ['201907011415', '2019-07-01T14:15+02:00'],
    ['20190701141530.25', '2019-07-01T14:15:30.25+02:00'],
    ['20190701141530-0500', '2019-07-01T14:15:30-05:00'],
    // The night the clocks go back 02:30 happens twice; the second (winter) reading is taken.
    ['202310290230', '2023-10-29T02:30+01:00'],
    ['202403310330', '2024-03-31T03:30+02:00'],
  ])('%s → %s', (ts, expected) => expect(hl7Time(ts)).toBe(expected));

  it.each(['20190230', '201913', '20190101246', '2019-01-01', '', '20190101250000'])('%s is no time', (ts) => expect(hl7Time(ts)).toBeUndefined());
});
