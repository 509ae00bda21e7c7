import { describe, expect, it } from '@jest/globals';
import { MEASUREMENTS } from '../fixtures/synthetic/measurements.js';
import { LAB_UNIT_ALIASES, ucumOf } from './lab-units.js';
import { conceptOfLabcode, labcodeKey, NHG_LAB_CONCEPTS } from './nhg-lab-concepts.js';

/** The NHG → LOINC pairs nl-ketenzorg-medlab.md §7 confirms; no other LOINC may be marked confirmed. */
const CONFIRMED_LOINC: Record<string, string> = {
  '1744': '8480-6', '1740': '8462-4', '1875': '8893-0', '1915': '8310-5', '357': '29463-7', '560': '8302-2', '2680': '59408-5', '3963': '8867-4',
};

describe('NHG lab concept map', () => {
  it('gives every labcode one key, so blank-padded and run-together spellings cannot collide', () => {
    const keys = NHG_LAB_CONCEPTS.map((c) => labcodeKey(c.labcode));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('marks LOINC confirmed only for the pairs the standards file confirms', () => {
    for (const c of NHG_LAB_CONCEPTS.filter((row) => row.loinc?.confirmed)) expect([c.nhg, c.loinc!.code]).toEqual([c.nhg, CONFIRMED_LOINC[c.nhg]]);
  });

  it('expects only units the unit table can produce', () => {
    const targets = new Set(LAB_UNIT_ALIASES.map((a) => a.ucum));
    for (const c of NHG_LAB_CONCEPTS) if (c.unit) expect(targets).toContain(c.unit.ucum);
  });

  it('agrees with the synthetic generator on every NHG number both know (it may not import profiles/)', () => {
    const shared = Object.values(MEASUREMENTS).flatMap((m) => NHG_LAB_CONCEPTS.filter((c) => c.nhg === m.nhg).map((c) => ({ m, c })));
    expect(shared.length).toBeGreaterThan(3);
    for (const { m, c } of shared) {
      expect({ nhg: c.nhg, unit: c.unit?.ucum }).toEqual({ nhg: m.nhg, unit: m.unit });
      if (m.loinc) expect(c.loinc).toEqual({ code: m.loinc, confirmed: true });
    }
  });

  it.each([
    ['HBAC B', '2816'], ['HBACB', '2816'], ['hbac  b', '2816'], ['KREC O FB', '3583'], ['KRECOFB', '3583'], ['LDLDB', '2683'], ['RRSY', '1744'],
  ])('reads %p as NHG %p', (written, nhg) => {
    expect(conceptOfLabcode(written)?.nhg).toBe(nhg);
  });

  it('maps nothing for an unconfirmed link or an unknown code', () => {
    expect(conceptOfLabcode('KREA O MK')).toBeUndefined();
    expect(conceptOfLabcode('HT  B')).toBeUndefined();
    expect(conceptOfLabcode('')).toBeUndefined();
  });
});

describe('lab units', () => {
  it('lists each written form once', () => {
    const written = LAB_UNIT_ALIASES.map((a) => a.written);
    expect(new Set(written).size).toBe(written.length);
  });

  it('maps the aliases the standards file names and nothing by guesswork', () => {
    expect(ucumOf('mmol/l')).toBe('mmol/L');
    expect(ucumOf(' {micromol/l} ')).toBe('umol/L');
    expect(ucumOf('ml/min/{1.73m2}')).toBe('mL/min/{1.73_m2}');
    expect(ucumOf('MMOL/L')).toBeUndefined();
    expect(ucumOf('ml/min')).toBeUndefined();
  });
});
