import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startInstant } from '../../canonical/index.js';
import { parseCode, parseEntryType, parsePatientId, parseStatus, parseTime, parseUuid, splitSlotValue } from './slot-values.js';

const value = <T>(parsed: { ok: true; value: T } | { ok: false; reason: string }) => (parsed.ok ? parsed.value : `refused: ${parsed.reason}`);

describe('slot value syntax', () => {
  it.each([
    ["'a'", ['a']],
    ["  'a'  ", ['a']],
    ["('a')", ['a']],
    ["('a','b')", ['a', 'b']],
    ["( 'a' , 'b' )", ['a', 'b']],
    ["('it''s', '''')", ["it's", "'"]],
    ["('a, b', 'c)')", ['a, b', 'c)']],
    ['20240101', ['20240101']],
    ['(urn:uuid:1, urn:uuid:2)', ['urn:uuid:1', 'urn:uuid:2']],
    ['()', []],
    ["''", ['']],
    ["'0012'", ['0012']],
  ])('%s → %j', (text, items) => {
    expect(value(splitSlotValue(text))).toEqual(items);
  });

  it.each([
    ["'a", 'a quoted string is not closed'],
    ["('a'", 'a list opened with ( is not closed with )'],
    ["('a' 'b')", 'list items must be separated by commas'],
    ["('a',)", 'the value or a list item is empty'],
    ['', 'the value or a list item is empty'],
    ["'a'b", 'the value has text after its closing quote'],
    ["'a','b'", 'several items must be written as a list in parentheses'],
    ["(a'b)", 'an unquoted item holds a quote or a parenthesis'],
  ])('refuses %j: %s', (text, reason) => {
    expect(splitSlotValue(text)).toEqual({ ok: false, reason });
  });

  it('never throws, and quoting any list of strings reads back the same list (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => void splitSlotValue(text)), { numRuns: 1000 });
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), (items) => {
        const text = `(${items.map((i) => `'${i.replace(/'/g, "''")}'`).join(', ')})`;
        expect(value(splitSlotValue(text))).toEqual(items);
      }),
      { numRuns: 500 },
    );
  });
});

describe('slot value kinds', () => {
  it('reads a CX patient id, tolerating a namespace id, urn:oid: and trailing components', () => {
    const expected = { cx: '0012^^^&2.999.1.3&ISO', id: '0012', assigningAuthority: '2.999.1.3' };
    expect(value(parsePatientId('0012^^^&2.999.1.3&ISO'))).toEqual(expected);
    expect(value(parsePatientId('0012^^^CLINIC&urn:oid:2.999.1.3&ISO^PI'))).toEqual(expected);
    expect(value(parsePatientId('0012^^^2.999.1.3'))).toMatch(/^refused: /);
    expect(value(parsePatientId('0012'))).toMatch(/^refused: /);
  });

  it('reads code^^scheme, ignoring a display name, refusing a missing code or scheme', () => {
    expect(value(parseCode('34133-9^Summary^2.16.840.1.113883.6.1'))).toEqual({ code: '34133-9', scheme: '2.16.840.1.113883.6.1' });
    for (const bad of ['34133-9', '34133-9^^', '^^2.16.840.1.113883.6.1', '']) expect(value(parseCode(bad))).toMatch(/^refused: /);
  });

  it.each([
    ['2024', '2024-01-01T00:00:00.000Z'],
    ['202402', '2024-02-01T00:00:00.000Z'],
    ['20240229', '2024-02-29T00:00:00.000Z'],
    ['2024022913', '2024-02-29T13:00:00.000Z'],
    ['202402291359', '2024-02-29T13:59:00.000Z'],
    ['20240229135959', '2024-02-29T13:59:59.000Z'],
  ])('reads the time %s as starting at %s', (text, start) => {
    expect(value(parseTime(text))).toEqual({ value: text, start });
  });

  it('writes the start as canonical startInstant does, so a bound and a document time compare as strings', () => {
    const from = parseTime('20240301');
    expect(from.ok && from.value.start).toBe(startInstant('2024-03-01'));
    expect(from.ok && startInstant('2024-03-01T00:00:00+00:00') >= from.value.start).toBe(true);
    expect(from.ok && startInstant('2024-03-01T00:30:00+01:00') >= from.value.start).toBe(false);
  });

  it.each(['24', '20241', '2024130', '20230229', '20240101240000', '20240101006000', '20240101000060', '20240101000000.5', '20240101+0100', '0050'])(
    'refuses the time %s',
    (text) => expect(value(parseTime(text))).toMatch(/^refused: /),
  );

  it('reads statuses, entry types and UUIDs in their URN forms', () => {
    expect(value(parseStatus('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated'))).toBe('Deprecated');
    expect(value(parseStatus('Approved'))).toBe('Approved');
    expect(value(parseStatus('urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted'))).toMatch(/^refused: /);
    expect(value(parseEntryType('urn:uuid:34268E47-FDF5-41A6-BA33-82133C465248'))).toBe('on-demand');
    expect(value(parseEntryType('7edca82f-054d-47f2-a032-9b2a5b5186c1'))).toBe('stable');
    expect(value(parseUuid('A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D'))).toBe('urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
  });
});
