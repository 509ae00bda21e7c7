import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readXml } from '../xml/index.js';
import { element, escapeAttribute, escapeText, inlineElement, serialize, textElement } from './xml-writer.js';

const HOSTILE = ['<', '&', '"', "'", '>', ']]>', '&amp;', '<!DOCTYPE x>', '\u0000', '\u0001', '\u001F', '\uFFFE', '\uD800', '\uDC00', 'a\tb\nc\r\nd', '😀', '\u2028'];
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** What a peer's parser reads back: the same string, with the characters XML cannot carry replaced. */
const carried = (value: string) => value.replace(NOT_XML, '\uFFFD');

function readBack(value: string): { attribute: string; text: string } {
  const xml = serialize(element('a:root', { v: value }, [textElement('a:t', value)]), { a: 'urn:example' });
  const read = readXml(xml);
  if (!read.ok) throw new Error(`not well-formed for ${JSON.stringify(value)}: ${JSON.stringify(read.issues)}\n${xml}`);
  return { attribute: read.root.attributes.v!, text: read.root.children[0]?.text ?? '' };
}

/** Any UTF-16 code unit, lone surrogates included, and the hostile strings above. */
const UNIT = fc.oneof(fc.constantFrom(...HOSTILE), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)));

describe('the XML writer', () => {
  it('writes namespaces on the root, indents child elements and keeps text inline, leaving out absent attributes', () => {
    const xml = serialize(element('p:a', { x: '1', y: undefined }, [textElement('p:b', 'text'), undefined, element('p:c', {})]), { p: 'urn:p' });
    expect(xml).toBe('<p:a xmlns:p="urn:p" x="1">\n  <p:b>text</p:b>\n  <p:c/>\n</p:a>\n');
  });

  it('writes an inline element on one line with nothing between its children', () => {
    const xml = serialize(element('p:a', {}, [inlineElement('p:d', {}, [element('p:i', { href: 'cid:x' }), textElement('p:t', '1')])]), { p: 'urn:p' });
    expect(xml).toBe('<p:a xmlns:p="urn:p">\n  <p:d><p:i href="cid:x"/><p:t>1</p:t></p:d>\n</p:a>\n');
  });

  it('escapes markup, keeps white space in attributes and CR in text as references', () => {
    expect(escapeAttribute('<a & "b">\t\n\r')).toBe('&lt;a &amp; &quot;b&quot;&gt;&#x9;&#xA;&#xD;');
    expect(escapeText('<a & "b"> ]]>\r\n')).toBe('&lt;a &amp; "b"&gt; ]]&gt;&#xD;\n');
  });

  it.each(HOSTILE)('stays well-formed and round-trips %j', (value) => {
    const back = readBack(`x${value}x`);
    expect(back.attribute).toBe(carried(`x${value}x`));
    expect(back.text).toBe(carried(`x${value}x`));
  });

  it('stays well-formed for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: UNIT, maxLength: 60 }), (value) => {
        const back = readBack(`x${value}x`);
        expect(back).toEqual({ attribute: carried(`x${value}x`), text: carried(`x${value}x`) });
      }),
      { numRuns: 400 },
    );
  });
});
