/**
 * Units as Dutch labs write them (MEDLAB allows 9 characters, so no `{1.73_m2}`), mapped to UCUM codes.
 * Source per row: `§6` = nl-ketenzorg-medlab.md §6 (aliases named there); `ucum` = the UCUM code itself, in the
 * spelling labs use; `assumed` = a common lab spelling we added, unconfirmed, to be checked against real traffic.
 * Only a unit found here is given a UCUM code; anything else is kept as written and never converted.
 */
export type UnitSource = '§6' | 'ucum' | 'assumed';

export interface UnitAlias {
  readonly written: string;
  readonly ucum: string;
  readonly source: UnitSource;
}

export const LAB_UNIT_ALIASES: readonly UnitAlias[] = [
  { written: 'mmol/L', ucum: 'mmol/L', source: 'ucum' },
  { written: 'mmol/l', ucum: 'mmol/L', source: '§6' },
  { written: 'mmol/mol', ucum: 'mmol/mol', source: 'ucum' },
  { written: 'umol/L', ucum: 'umol/L', source: 'ucum' },
  { written: 'umol/l', ucum: 'umol/L', source: '§6' },
  { written: '{micromol/l}', ucum: 'umol/L', source: '§6' },
  { written: 'µmol/l', ucum: 'umol/L', source: 'assumed' },
  { written: 'mL/min/{1.73_m2}', ucum: 'mL/min/{1.73_m2}', source: 'ucum' },
  { written: 'ml/min/{1.73m2}', ucum: 'mL/min/{1.73_m2}', source: '§6' },
  { written: 'mg/mmol', ucum: 'mg/mmol', source: 'ucum' },
  { written: 'mg/L', ucum: 'mg/L', source: 'ucum' },
  { written: 'mg/l', ucum: 'mg/L', source: 'assumed' },
  { written: 'mm[Hg]', ucum: 'mm[Hg]', source: 'ucum' },
  { written: 'mmHg', ucum: 'mm[Hg]', source: 'assumed' },
  { written: 'kg', ucum: 'kg', source: 'ucum' },
  { written: 'm', ucum: 'm', source: 'ucum' },
  { written: 'kg/m2', ucum: 'kg/m2', source: 'ucum' },
  { written: '%', ucum: '%', source: 'ucum' },
  { written: '/min', ucum: '/min', source: 'ucum' },
  { written: 'Cel', ucum: 'Cel', source: 'ucum' },
];

const BY_WRITTEN = new Map(LAB_UNIT_ALIASES.map((a) => [a.written, a.ucum]));

/**
 * The UCUM code for a unit as written, or undefined. Matched exactly after trimming: UCUM is case-sensitive
 * (`mm` is not `Mm`), so a lower-case spelling is accepted only where the table lists it.
 */
export function ucumOf(written: string): string | undefined {
  return BY_WRITTEN.get(written.trim());
}
