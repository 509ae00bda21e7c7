import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readXml } from '../xml/index.js';
import { el, serialize, type Slot } from './xml-writer.js';

describe('serialize', () => {
  it('escapes markup, keeps tabs and line breaks in attributes, and writes text exactly as given', () => {
    const { xml, removed } = serialize(el('a', { v: 'x"<&>\t\n\ry' }, el('b', {}, 'van der '), el('c', {}, '1 < 2 & 3 > 2\r\n')));
    expect(removed).toBe(0);
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<a v="x&quot;&lt;&amp;>&#x9;&#xA;&#xD;y">\n  <b>van der </b>\n  <c>1 &lt; 2 &amp; 3 &gt; 2&#xD;\n</c>\n</a>\n');
    const read = readXml(xml);
    expect(read.ok && read.root.attributes.v).toBe('x"<&>\t\n\ry');
  });

  it('drops, and counts, what XML 1.0 cannot carry: controls, U+FFFE/FFFF and lone surrogates; keeps astral characters', () => {
    const { xml, removed } = serialize(el('a', { v: '\u0000ok\uFFFF' }, '\u0001\u001F😀\uD800\uDC00\uDFFF\uD83D'));
    expect(removed).toBe(6);
    expect(xml).toContain('<a v="ok">😀𐀀</a>');
  });

  it('leaves out undefined attributes and empty, false or undefined children', () => {
    expect(serialize(el('a', { x: undefined }, undefined, false, '', [el('b')])).xml).toContain('<a>\n  <b/>\n</a>');
  });

  it('writes a slot as its stand-in, and fills it with an escaped value giving the bytes of writing the value', () => {
    const slot: Slot = { standIn: '0' };
    const tree = (root: string | Slot) => el('doc', {}, el('id', { root }), el('p', {}, 'text "0"'), el('setId', { root, extension: '0' }));
    const written = serialize(tree(slot));
    expect(written.xml).toBe(serialize(tree('0')).xml);
    expect(written.fill(new Map([[slot, '1.2&"3"']]))).toBe(serialize(tree('1.2&"3"')).xml);
    expect(written.fill(new Map())).toBe(written.xml);
  });

  it('writes any value as escaping every character would, and counts the same characters removed', () => {
    const removedOf = (v: string) => [...v.matchAll(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu)].length;
    const clean = (v: string) => v.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
    const text = (t: string) => clean(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
    const attribute = (v: string) =>
      clean(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
    const unit = fc.constantFrom('a', ' ', '"', "'", '&', '<', '>', '=', '?', '\t', '\n', '\r', '\u0000', '\u001F', '\uD800', '\uDC00', '\uFFFE', 'é', '😀');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), fc.string({ unit, maxLength: 12 }), (v, t) => {
        const written = serialize(el('a', { v }, `x${t}`));
        expect(written.xml).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<a v="${attribute(v)}">x${text(t)}</a>\n`);
        expect(written.removed).toBe(removedOf(v) + removedOf(t));
      }),
      { numRuns: 2000 },
    );
  });
});

