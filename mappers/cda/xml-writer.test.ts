import { describe, expect, it } from '@jest/globals';
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
});

