import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PROGRAMME_RULES, ProgrammeRule, programmeOf } from './icpc-programmes.js';
import { NHG_KETENZORG, confirmedLoinc, expectedUnit, nhgBepaling } from './nhg-ketenzorg.js';

describe('NHG ketenzorg table', () => {
  it('lists each number once, every row with a source', () => {
    expect(new Set(NHG_KETENZORG.map((b) => b.number)).size).toBe(NHG_KETENZORG.length);
    for (const b of NHG_KETENZORG) expect(b.sources.length).toBeGreaterThan(0);
  });

  it('gives LOINC only for the vital-sign pairs the standards confirm', () => {
    const confirmed = NHG_KETENZORG.flatMap((b) => (confirmedLoinc(b) ? [[b.number, confirmedLoinc(b)]] : []));
    expect(confirmed).toEqual([
      ['1744', '8480-6'], ['1740', '8462-4'], ['1875', '8893-0'], ['3963', '8867-4'], ['357', '29463-7'], ['560', '8302-2'], ['2680', '59408-5'], ['1915', '8310-5'],
    ]);
  });

  it('accepts a unit and its spellings, nothing else', () => {
    const egfr = nhgBepaling('3583')!;
    expect(expectedUnit(egfr, 'ml/min/{1.73m2}')).toBe('mL/min/{1.73_m2}');
    expect(expectedUnit(nhgBepaling('2816')!, '%')).toBeUndefined();
    expect(expectedUnit(nhgBepaling('560')!, 'cm')).toBeUndefined();
    for (const b of NHG_KETENZORG) if (b.unitAliases) expect(b.unit).toBeDefined();
  });
});

describe('ICPC programme rules', () => {
  it('are valid configuration', () => {
    for (const r of DEFAULT_PROGRAMME_RULES) expect(ProgrammeRule.parse(r)).toEqual(r);
  });

  it.each([
    ['T90.02', 'DM2'], ['T90', 'DM2'], ['T90.01', undefined], ['R95', 'COPD'], ['R95.00', 'COPD'], ['K86.00', 'CVRM'], ['K87', 'CVRM'],
    ['K92', undefined], ['K92.01', 'CVRM'], ['K77', undefined], ['T93', undefined], ['K860', undefined],
  ])('%s → %s', (code, program) => expect(programmeOf(code, DEFAULT_PROGRAMME_RULES)).toBe(program));
});
