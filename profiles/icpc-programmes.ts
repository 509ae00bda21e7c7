import { z } from 'zod';
import { CareProgramCode } from '../canonical/index.js';

/**
 * Which ICPC-1-NL episodes put a patient in which ketenzorg programme. The real per-programme set lives in the
 * non-public NHG Tabel Bepalingenclusters (nl-ketenzorg-medlab.md §3, §5), so this is configuration with a
 * default: a deployment may pass its own rules to the parser. `status` says how sure each default row is:
 * `confirmed` = the standards file names the code as the programme's condition; `assumed` = our reading of
 * the NHG standards (CVRM covers established cardiovascular disease and hypertension), to be checked with the
 * care group. Heart failure (K77), atrial fibrillation (K78) and lipid disorder (T93) are left out: they are
 * kept as conditions but enrol nobody until a care group says otherwise.
 */
export const ProgrammeRule = z
  .object({
    /** ICPC code as GPs write it, with or without the Dutch subcode (`T90.02`, `K86`). */
    code: z.string().regex(/^[A-Z]\d{2}(\.\d{2})?$/),
    /** `prefix`: the code and every Dutch subcode of it (`K86` matches `K86.00`); `exact`: that code only. */
    match: z.enum(['exact', 'prefix']),
    program: CareProgramCode,
    status: z.enum(['confirmed', 'assumed']),
    source: z.string().min(1),
  })
  .strict();
export type ProgrammeRule = z.infer<typeof ProgrammeRule>;

const rule = (r: ProgrammeRule) => r;

export const DEFAULT_PROGRAMME_RULES: readonly ProgrammeRule[] = [
  rule({ code: 'T90.02', match: 'prefix', program: 'DM2', status: 'confirmed', source: 'nl-ketenzorg-medlab.md §5' }),
  // A bare T90 predates the subcodes; most such patients are type 2, but T90.01 (type 1) must never enrol.
  rule({ code: 'T90', match: 'exact', program: 'DM2', status: 'assumed', source: 'nl-ketenzorg-medlab.md §5 (bare T90 occurs)' }),
  rule({ code: 'R95', match: 'prefix', program: 'COPD', status: 'confirmed', source: 'nl-ketenzorg-medlab.md §5' }),
  rule({ code: 'K86', match: 'prefix', program: 'CVRM', status: 'confirmed', source: 'nl-ketenzorg-medlab.md §5' }),
  rule({ code: 'K87', match: 'prefix', program: 'CVRM', status: 'confirmed', source: 'nl-ketenzorg-medlab.md §5' }),
  rule({ code: 'K74', match: 'prefix', program: 'CVRM', status: 'assumed', source: 'NHG-Standaard CVRM (coronary heart disease)' }),
  rule({ code: 'K75', match: 'prefix', program: 'CVRM', status: 'assumed', source: 'NHG-Standaard CVRM (coronary heart disease)' }),
  rule({ code: 'K76', match: 'prefix', program: 'CVRM', status: 'assumed', source: 'NHG-Standaard CVRM (coronary heart disease)' }),
  rule({ code: 'K90', match: 'prefix', program: 'CVRM', status: 'assumed', source: 'NHG-Standaard CVRM (CVA)' }),
  rule({ code: 'K92.01', match: 'prefix', program: 'CVRM', status: 'assumed', source: 'NHG-Standaard CVRM (claudicatio intermittens)' }),
];

export function programmeOf(icpc: string, rules: readonly ProgrammeRule[]): CareProgramCode | undefined {
  const code = icpc.trim().toUpperCase();
  return rules.find((r) => code === r.code || (r.match === 'prefix' && code.startsWith(`${r.code}.`)))?.program;
}
