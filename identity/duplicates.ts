import { displayName, type Gender, type Identifier, type Patient } from '../canonical/index.js';
import type { Store } from '../store/index.js';
import { scoreCandidate, type Demographics } from './match.js';

/**
 * Patients who look like the same person, for staff to merge: the same family name (own or partner's, folded for
 * prefixes written anywhere and for diacritics: "van den Berg", "Berg, van den" and "VAN DEN BERG" meet) and the
 * same birth date, then compared in pairs with the matching score. A pair is left out when it cannot be one
 * person: two different BSNs, or initials that disagree ("J." and "P."; initials are compared as letters, so "J.P."
 * and given names "Jan Peter" agree). Every remaining pair carries its score and reasons; nothing is merged here.
 */
export interface DuplicatePatient {
  readonly id: string;
  readonly name: string;
  readonly birthDate?: string;
  readonly gender: Gender;
  readonly identifiers: readonly Pick<Identifier, 'system' | 'value'>[];
}

export interface DuplicateGroupReport {
  readonly familyKey: string;
  readonly birthDate: string;
  readonly patients: readonly DuplicatePatient[];
  /** Strongest first. */
  readonly pairs: readonly { readonly a: string; readonly b: string; readonly score: number; readonly reasons: readonly string[] }[];
}

const CANNOT_BE_ONE = new Set(['BSN differs', 'first initial differs']);

function demographicsOf(p: Patient): Demographics {
  return {
    identifiers: p.identifiers, names: p.names, gender: p.gender,
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.addresses[0]?.postalCode ? { postalCode: p.addresses[0].postalCode } : {}),
  };
}

export async function duplicateCandidates(store: Store, limit = 100): Promise<DuplicateGroupReport[]> {
  const report: DuplicateGroupReport[] = [];
  for (const group of await store.patients.duplicateGroups(limit)) {
    const patients = (await store.patients.getMany(group.patientIds)).map((r) => r.patient);
    const pairs = patients.flatMap((a, i) =>
      patients.slice(i + 1).flatMap((b) => {
        const scored = scoreCandidate(demographicsOf(a), b);
        return scored.reasons.some((r) => CANNOT_BE_ONE.has(r)) ? [] : [{ a: a.id, b: b.id, score: scored.score, reasons: scored.reasons }];
      }),
    ).sort((x, y) => y.score - x.score);
    if (pairs.length === 0) continue;
    const paired = new Set(pairs.flatMap((p) => [p.a, p.b]));
    report.push({
      familyKey: group.familyKey,
      birthDate: group.birthDate,
      patients: patients.filter((p) => paired.has(p.id)).map((p) => ({
        id: p.id, name: p.names[0] ? displayName(p.names[0]) : '', ...(p.birthDate ? { birthDate: p.birthDate } : {}), gender: p.gender,
        identifiers: p.identifiers.map((i) => ({ system: i.system, value: i.value })),
      })),
      pairs,
    });
  }
  return report.sort((x, y) => y.pairs[0]!.score - x.pairs[0]!.score);
}
