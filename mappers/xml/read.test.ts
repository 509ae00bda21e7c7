import { describe, expect, it } from '@jest/globals';
import { childNamed, qnameValue } from './navigate.js';
import { NS } from './namespaces.js';
import { readXml } from './read.js';

const nest = (depth: number) => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
const limits = { maxBytes: 10_000, maxDepth: 64, maxElements: 1000 };

describe('readXml (namespace-aware)', () => {
  it('gives every element its namespace whatever the prefix, and resolves QName values', () => {
    for (const text of [
      `<s:Envelope xmlns:s="${NS.soap12}"><s:Body><q xmlns="${NS.query}" xmlns:h="${NS.hl7}" t="h:CE"/></s:Body></s:Envelope>`,
      `<Envelope xmlns="${NS.soap12}"><Body><x:q xmlns:x="${NS.query}" xmlns:hl7="${NS.hl7}" t="hl7:CE"/></Body></Envelope>`,
    ]) {
      const read = readXml(text);
      if (!read.ok) throw new Error(JSON.stringify(read.issues));
      expect([read.root.ns, read.root.name]).toEqual([NS.soap12, 'Envelope']);
      const body = childNamed(read.root, NS.soap12, 'Body')!;
      const q = childNamed(body, NS.query, 'q')!;
      expect(q.path).toBe('/Envelope/Body/q');
      expect(qnameValue(q, q.attributes.t!)).toEqual({ ns: NS.hl7, name: 'CE' });
    }
  });

  it('keeps attributes by local name, leaves out namespace declarations, decodes references and keeps lines', () => {
    const read = readXml(`<a xmlns:wsu="${NS.wsu}" wsu:Id="x1" v="1 &amp; 2">\n<b>&#233;<![CDATA[<raw>]]></b>\n<b/></a>`);
    if (!read.ok) throw new Error('not read');
    expect(read.root.attributes).toEqual({ Id: 'x1', v: '1 & 2' });
    expect(read.root.children.map((c) => [c.path, c.line, c.text, c.ns])).toEqual([['/a/b[1]', 2, 'é<raw>', ''], ['/a/b[2]', 3, '', '']]);
  });

  it('refuses a prefix nobody declared', () => {
    const read = readXml('<a><p:b/></a>');
    expect(read.ok ? [] : read.issues.map((i) => [i.code, i.where?.path])).toEqual([['XML_NAMESPACE_UNDECLARED', '/a/b']]);
  });

  it('refuses any DTD, text over the size limit, nesting over the depth limit and too many elements', () => {
    expect(readXml('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>')).toEqual({
      ok: false, issues: [{ severity: 'fatal', code: 'XML_DTD_FORBIDDEN', message: 'DOCTYPE and ENTITY declarations are not accepted', where: { line: 2, column: 1 } }],
    });
    expect(readXml('<a>ééé</a>', { ...limits, maxBytes: 10 }).ok).toBe(false);
    expect(readXml(nest(64), limits).ok).toBe(true);
    expect(readXml(nest(65), limits)).toEqual({ ok: false, issues: [{ severity: 'fatal', code: 'XML_TOO_DEEP', message: 'elements are nested deeper than the limit of 64' }] });
    const many = `<a>${'<b/>'.repeat(1000)}</a>`;
    expect(readXml(many, limits)).toEqual({ ok: false, issues: [{ severity: 'fatal', code: 'XML_TOO_MANY_ELEMENTS', message: 'the message has more than the limit of 1000 elements' }] });
    expect(readXml(`<a>${'<b/>'.repeat(998)}</a>`, limits).ok).toBe(true);
  });

  it.each([
    ['an unclosed element', '<a>\n<b>\n</a>'],
    ['two roots', '<a/><b/>'],
    ['text only', 'not xml'],
  ])('refuses %s with a line', (_, text) => {
    const read = readXml(text);
    expect(read.ok ? [] : read.issues).toEqual([expect.objectContaining({ severity: 'fatal', code: 'XML_MALFORMED', where: expect.objectContaining({ line: expect.any(Number) }) })]);
  });

  it('tells a message cut off in transit by where it ends and what it left open', () => {
    const cut = '<s:Envelope xmlns:s="x">\n  <s:Header/>\n  <s:Body>\n    <q>1</q>\n';
    expect(readXml(cut)).toEqual({ ok: false, issues: [{
      severity: 'fatal', code: 'XML_MALFORMED', where: { line: 4, column: 12 },
      message: 'the message is not well-formed XML: it ends at line 4, column 12 with <s:Body>, <s:Envelope> not closed; was it cut off?',
    }] });
    expect(readXml('<a>\n<b>x</b>')).toEqual({ ok: false, issues: [{
      severity: 'fatal', code: 'XML_MALFORMED', where: { line: 2, column: 8 },
      message: 'the message is not well-formed XML: it ends at line 2, column 8 with <a> (opened at line 1, column 1) not closed; was it cut off?',
    }] });
  });

  it("names any other fault where the validator finds it, in the validator's words", () => {
    expect(readXml('<a>\n  <b></c></a>')).toEqual({ ok: false, issues: [{
      severity: 'fatal', code: 'XML_MALFORMED', where: { line: 2, column: 6 },
      message: "the message is not well-formed XML at line 2, column 6: Expected closing tag 'b' (opened in line 2, col 3) instead of closing tag 'c'.",
    }] });
  });
});
