import {
  familyKey,
  foldText,
  IdentifierSystems,
  initialsKey,
  type Gender,
  type HumanName,
  type Identifier,
  type Patient,
} from '../canonical/index.js';

/**
 * Demographic matching, pure. A query (what a message or a partner tells us about a person) is scored against
 * one stored patient; the score and every reason that made it are returned so a person can see why.
 *
 * Scoring (points add up, 100 means certain):
 *   shared identifier (same system and value) ........ certain (100), unless the full birth dates or the known
 *                                                      sexes differ: then the identifier names someone else (0)
 *   both carry a BSN and they differ ................. never the same person (0)
 *   family name, folded (own or partner name) ........ +40; one edit apart +25
 *   birth date equal ................................. +30; same year and month, or day and month swapped +10
 *   sex equal ........................................ +10; both known and different −20
 *   initials all equal ............................... +15; first initial equal +10; first initial differs −15
 *   a given name equal ............................... +5
 *   postal code equal ................................ +5
 * A score of 85 or more is a match, 60 to 84 a possible match for a person to review, less is no match.
 */
export interface Demographics {
  readonly identifiers?: readonly Pick<Identifier, 'system' | 'value'>[];
  readonly names?: readonly Pick<HumanName, 'family' | 'familyPrefix' | 'partnerFamily' | 'partnerPrefix' | 'given' | 'initials'>[];
  readonly birthDate?: string;
  readonly gender?: Gender;
  readonly postalCode?: string;
}

export type MatchGrade = 'match' | 'possible' | 'none';

export interface MatchResult {
  readonly patientId: string;
  readonly score: number;
  readonly grade: MatchGrade;
  readonly reasons: readonly string[];
}

export const MATCH_THRESHOLD = 85;
export const POSSIBLE_THRESHOLD = 60;

export function gradeOf(score: number): MatchGrade {
  return score >= MATCH_THRESHOLD ? 'match' : score >= POSSIBLE_THRESHOLD ? 'possible' : 'none';
}

export function scoreCandidate(query: Demographics, candidate: Patient): MatchResult {
  const reasons: string[] = [];
  const result = (score: number): MatchResult => {
    const bounded = Math.max(0, Math.min(100, score));
    return { patientId: candidate.id, score: bounded, grade: gradeOf(bounded), reasons };
  };

  const shared = (query.identifiers ?? []).find((q) => candidate.identifiers.some((c) => c.system === q.system && c.value === q.value));
  if (shared) {
    const contradicted = contradictions(query, candidate);
    reasons.push(contradicted.length === 0 ? `identifier ${shared.system} equal` : `identifier ${shared.system} equal, but ${contradicted.join(' and ')} differ${contradicted.length === 1 ? 's' : ''}`);
    return result(contradicted.length === 0 ? 100 : 0);
  }
  const queryBsn = query.identifiers?.find((i) => i.system === IdentifierSystems.bsn.uri)?.value;
  const candidateBsn = candidate.identifiers.find((i) => i.system === IdentifierSystems.bsn.uri)?.value;
  if (queryBsn && candidateBsn && queryBsn !== candidateBsn) {
    reasons.push('BSN differs');
    return result(0);
  }

  let score = 0;
  const queryKeys = familyKeys(query.names ?? []);
  const candidateKeys = familyKeys(candidate.names);
  if ([...queryKeys].some((k) => candidateKeys.has(k))) {
    score += 40;
    reasons.push('family name equal');
  } else if ([...queryKeys].some((q) => [...candidateKeys].some((c) => withinOneEdit(q, c)))) {
    score += 25;
    reasons.push('family name one edit apart');
  }

  if (query.birthDate && candidate.birthDate) {
    if (query.birthDate === candidate.birthDate) {
      score += 30;
      reasons.push('birth date equal');
    } else if (nearBirthDate(query.birthDate, candidate.birthDate)) {
      score += 10;
      reasons.push('birth date close (same month, or day and month swapped)');
    }
  }

  if (query.gender && known(query.gender) && known(candidate.gender)) {
    if (query.gender === candidate.gender) {
      score += 10;
      reasons.push('sex equal');
    } else {
      score -= 20;
      reasons.push('sex differs');
    }
  }

  const qi = bestInitials(query.names ?? []);
  const ci = bestInitials(candidate.names);
  if (qi && ci) {
    if (qi === ci) {
      score += 15;
      reasons.push('initials equal');
    } else if (qi[0] === ci[0]) {
      score += 10;
      reasons.push('first initial equal');
    } else {
      score -= 15;
      reasons.push('first initial differs');
    }
  }

  const queryGiven = new Set((query.names ?? []).flatMap((n) => n.given ?? []).map(foldText));
  if (candidate.names.some((n) => n.given.some((g) => queryGiven.has(foldText(g))))) {
    score += 5;
    reasons.push('given name equal');
  }

  const postal = normalPostal(query.postalCode);
  const theirs = candidate.addresses.map((a) => normalPostal(a.postalCode)).filter(Boolean);
  if (postal && theirs.includes(postal)) {
    score += 5;
    reasons.push('postal code equal');
  } else if (postal && theirs.length > 0) {
    reasons.push(POSTAL_DIFFERS);
  }
  return result(score);
}

const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * What a query says of a person that a patient's record says otherwise, where both are definite: full birth dates,
 * known sexes. Names are left out: they change, and are written in too many ways to contradict anything.
 */
export function contradictions(query: Pick<Demographics, 'birthDate' | 'gender'>, patient: Pick<Patient, 'birthDate' | 'gender'>): ('birth date' | 'sex')[] {
  const dated = (d: string | undefined): d is string => d !== undefined && FULL_DATE.test(d);
  return [
    ...(dated(query.birthDate) && dated(patient.birthDate) && query.birthDate !== patient.birthDate ? ['birth date' as const] : []),
    ...(query.gender && known(query.gender) && known(patient.gender) && query.gender !== patient.gender ? ['sex' as const] : []),
  ];
}

const POSTAL_DIFFERS = 'postal code differs';

/**
 * The one patient a query identifies, or none: exactly one candidate must reach the match grade and no other
 * may be even a possible match. Several plausible candidates mean "ask for more", never a guess; what the asker
 * then sends settles it only when it tells them apart: one match at the query's postal code, every other
 * plausible candidate living at another one.
 */
export function decideMatch(results: readonly MatchResult[]): { outcome: 'match'; patientId: string; score: number } | { outcome: 'none' } | { outcome: 'ambiguous'; patientIds: string[] } {
  const plausible = results.filter((r) => r.grade !== 'none');
  const matches = plausible.filter((r) => r.grade === 'match');
  if (matches.length === 1 && plausible.length === 1) return { outcome: 'match', patientId: matches[0]!.patientId, score: matches[0]!.score };
  const here = matches.filter((r) => r.reasons.includes('postal code equal'));
  if (here.length === 1 && plausible.every((r) => r === here[0] || r.reasons.includes(POSTAL_DIFFERS))) {
    return { outcome: 'match', patientId: here[0]!.patientId, score: here[0]!.score };
  }
  if (plausible.length === 0) return { outcome: 'none' };
  return { outcome: 'ambiguous', patientIds: plausible.map((r) => r.patientId) };
}

export function familyKeys(names: Demographics['names'] & object): Set<string> {
  const keys = new Set<string>();
  for (const n of names) {
    keys.add(familyKey(n.family, n.familyPrefix));
    if (n.partnerFamily) keys.add(familyKey(n.partnerFamily, n.partnerPrefix));
  }
  keys.delete('');
  return keys;
}

function bestInitials(names: NonNullable<Demographics['names']>): string {
  for (const n of names) {
    const key = initialsKey({ given: n.given ?? [], ...(n.initials ? { initials: n.initials } : {}) });
    if (key) return key;
  }
  return '';
}

const known = (g: Gender) => g === 'male' || g === 'female';

function nearBirthDate(a: string, b: string): boolean {
  if (a.length !== 10 || b.length !== 10) return a.slice(0, 4) === b.slice(0, 4) && a.length !== b.length;
  if (a.slice(0, 7) === b.slice(0, 7)) return true;
  return a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7);
}

function normalPostal(code: string | undefined): string {
  return (code ?? '').replace(/\s+/g, '').toUpperCase();
}

/** True when a and b differ by at most one insertion, deletion or substitution (and are long enough to mean it). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.min(a.length, b.length) < 4 || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}
