import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_SEPARATORS, readInterchange, writeInterchange, type Segment, type Separators } from './syntax.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/medlab');
const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.edi')).sort();
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('EDIFACT syntax', () => {
  it.each(fixtureNames)('writes %s back byte for byte', (name) => {
    const bytes = fixture(name);
    const { bytes: written } = writeInterchange(readInterchange(bytes));
    expect(Buffer.from(written).equals(Buffer.from(bytes))).toBe(true);
  });

  it('splits on unreleased separators only and removes the release characters', () => {
    const ic = readInterchange(bytesOf("UNB+a?+b:c?:d+e?'f+g??h'"));
    expect(ic.segments[0]!.elements).toEqual([['a+b', 'c:d'], ["e'f"], ['g?h']]);
  });

  it('reads the Medeur counters after the tag apart from the data elements', () => {
    const [bep] = readInterchange(bytesOf("BEP:1:1:5+0+Naam+1.0'")).segments;
    expect(bep).toMatchObject({ tag: 'BEP', counters: ['1', '1', '5'], elements: [['0'], ['Naam'], ['1.0']] });
  });

  it('keeps what follows each terminator: CR LF, LF, blanks or nothing', () => {
    const ic = readInterchange(bytesOf("  UNB+x'\r\nUNH+1'\nUNT+2+1' \t'UNZ+1+x'"));
    expect(ic.leading).toBe('  ');
    expect(ic.segments.map((s) => s.after)).toEqual(['\r\n', '\n', ' \t', '', '']);
    expect(ic.segments.map((s) => s.tag)).toEqual(['UNB', 'UNH', 'UNT', '', 'UNZ']);
  });

  it('gives each segment its line, column, character offset and byte offset', () => {
    const ic = readInterchange(bytesOf("UNB+é'\r\nUNH+ü'UNT+2'\nUNZ+1'"));
    expect(ic.encoding).toBe('utf-8');
    expect(ic.segments.map((s) => s.position)).toEqual([
      { line: 1, column: 1, offset: 0, byteOffset: 0 },
      { line: 2, column: 1, offset: 8, byteOffset: 9 },
      { line: 2, column: 7, offset: 14, byteOffset: 16 },
      { line: 3, column: 1, offset: 21, byteOffset: 23 },
    ]);
  });

  it('reads bytes that are not UTF-8 as ISO 8859-1 and says so', () => {
    const ic = readInterchange(fixture('latin1-names.edi'));
    expect(ic.encoding).toBe('latin-1');
    expect(ic.segments.find((s) => s.tag === 'PID')!.elements[2]).toEqual(['Müller', '', 'Çelik', '', 'Zoë', 'Z.']);
    expect(ic.issues).toEqual([{ severity: 'information', code: 'ENCODING_LATIN1', message: expect.any(String) }]);
  });

  it('keeps a UTF-8 byte order mark out of the text and writes it back', () => {
    const bytes = bytesOf("\uFEFFUNB+x'UNZ+0+x'");
    const ic = readInterchange(bytes);
    expect(ic).toMatchObject({ bom: true, leading: '' });
    expect(ic.segments[0]!.tag).toBe('UNB');
    expect(Buffer.from(writeInterchange(ic).bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('takes the separators from the UNA, including the 5-character form', () => {
    expect(readInterchange(fixture('custom-separators.edi')).separators).toEqual({ component: '|', element: '^', decimal: '.', release: '\\', terminator: '~' });
    const five = readInterchange(bytesOf("UNA:+.?'UNB+a:b'"));
    expect(five.separators).toEqual(DEFAULT_SEPARATORS);
    expect(five.segments[0]!.elements).toEqual([['a', 'b']]);
  });

  it('refuses a UNA that uses one character for two separators', () => {
    const ic = readInterchange(bytesOf("UNA::.? 'UNB+a'"));
    expect(ic.issues).toEqual([{ severity: 'error', code: 'INVALID_UNA', message: expect.any(String), where: { segment: 'UNA', line: 1, column: 1 } }]);
  });

  it('reports a needless release and still writes the segment back as it was', () => {
    const bytes = bytesOf("UNB+?a?+b'");
    const ic = readInterchange(bytes);
    expect(ic.segments[0]!.elements).toEqual([['a+b']]);
    expect(ic.issues).toEqual([{ severity: 'information', code: 'UNNEEDED_RELEASE', message: expect.any(String), where: { segment: 'UNB', line: 1, column: 1 } }]);
    expect(Buffer.from(writeInterchange(ic).bytes).toString()).toBe("UNB+?a?+b'");
    const edited = { ...ic, segments: [{ ...ic.segments[0]!, elements: [['c']] }] };
    expect(Buffer.from(writeInterchange(edited).bytes).toString()).toBe("UNB+c'");
  });

  it('reports an unterminated last segment and a malformed tag', () => {
    const ic = readInterchange(bytesOf("UNB+x'\nbep+1'\nUNZ+1"));
    expect(ic.issues).toEqual([
      { severity: 'warning', code: 'INVALID_TAG', message: expect.any(String), where: { segment: 'bep', line: 2, column: 1 } },
      { severity: 'error', code: 'UNTERMINATED_SEGMENT', message: expect.any(String), where: { segment: 'UNZ', line: 3, column: 1 } },
    ]);
  });

  it('writes UTF-8 when an edited Latin-1 interchange no longer fits ISO 8859-1', () => {
    const ic = readInterchange(fixture('latin1-names.edi'));
    const edited = { ...ic, segments: ic.segments.map((s) => (s.tag === 'AFD' ? { ...s, elements: [['Łódź']] } : s)) };
    const out = writeInterchange(edited);
    expect(out.encoding).toBe('utf-8');
    expect(readInterchange(out.bytes).segments.find((s) => s.tag === 'AFD')!.elements).toEqual([['Łódź']]);
  });
});

describe('EDIFACT syntax round trip (property)', () => {
  const serviceHeavy = fc.string({ unit: fc.constantFrom(':', '+', '?', "'", '.', ' ', '\r', '\n', 'a', 'Z', '0', 'é', 'ß', '€', '|', '^', '\\', '~') });
  const value = fc.oneof(serviceHeavy, fc.string());
  const tag = fc.stringMatching(/^[A-Z][A-Z0-9]{2}$/);
  const segment = fc.record({
    tag,
    counters: fc.array(fc.stringMatching(/^\d{1,2}$/), { maxLength: 3 }),
    elements: fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { maxLength: 6 }),
    after: fc.constantFrom('', '\r\n', '\n'),
  });
  const separators = fc.constantFrom<Separators>(DEFAULT_SEPARATORS, { component: '|', element: '^', decimal: ',', release: '\\', terminator: '~' });

  it('keeps every value, separators and release characters included, through write → read', () => {
    fc.assert(
      fc.property(separators, fc.array(segment, { minLength: 1, maxLength: 8 }), (seps, parts) => {
        const una = seps === DEFAULT_SEPARATORS ? undefined : { text: `UNA${seps.component}${seps.element}${seps.decimal}${seps.release} ${seps.terminator}`, after: '' };
        const segments: Segment[] = parts.map((p) => ({ ...p, terminated: true }));
        const { bytes } = writeInterchange({ encoding: 'utf-8', bom: false, leading: '', ...(una ? { una } : {}), separators: seps, segments });
        const back = readInterchange(bytes);
        expect(back.segments.map((s) => [s.tag, s.counters, s.elements])).toEqual(segments.map((s) => [s.tag, s.counters, s.elements]));
      }),
      { numRuns: 300 },
    );
  });
});
