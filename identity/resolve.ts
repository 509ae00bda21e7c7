import { IdentifierSystems, initialsKey, type InboundSubject, type MatchCandidate, type Patient } from '../canonical/index.js';
import type { Store } from '../store/index.js';
import { contradictions, familyKeys, scoreCandidate } from './match.js';

/**
 * Whose records an inbound message carries.
 * - With a BSN: the patient holding it, unless the message's full birth date or known sex contradicts theirs (a
 *   mistyped BSN can pass the 11-proef and name somebody else): then the part waits for a person, the holder among
 *   the candidates. Nobody holding it: a new patient, as a BSN names one person.
 * - Without: the patient already holding one of the sender's own identifiers for the person (a lab's patient
 *   number, linked when an earlier message of theirs was filed); else exactly one active patient with the same
 *   family name (own or partner's, folded for prefixes and diacritics), the same full birth date and the same
 *   known sex, and initials that agree where both are known (equal, or one the start of the other, as "J." and
 *   "J.P."). None or several: the part waits for a person, with the scored candidates. Nothing under a guess.
 */
export type Resolution =
  | { readonly outcome: 'found'; readonly patientId: string; readonly by: 'bsn' | 'identifier' | 'demographics' }
  | { readonly outcome: 'new' }
  | { readonly outcome: 'waiting'; readonly reason: string; readonly candidates: MatchCandidate[] };

const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CANDIDATES_SHOWN = 10;

/** How `identifiersHeld` keys its answer. */
export function identifierKey(i: { readonly system: string; readonly value: string }): string {
  return `${i.system}|${i.value}`;
}

export function bsnOfSubject(subject: InboundSubject): string | undefined {
  return subject.identifiers.find((i) => i.system === IdentifierSystems.bsn.uri)?.value;
}

/** Which active patient holds each identifier the subjects carry (keyed by identifierKey): one look-up for all. */
export function identifiersHeld(store: Store, subjects: readonly InboundSubject[]): Promise<ReadonlyMap<string, string>> {
  return store.filing.activePatientIds(subjects.flatMap((s) => s.identifiers));
}

/** `held` must cover the subject's identifiers (identifiersHeld); demographics are looked up here. */
export async function resolveSubject(store: Store, subject: InboundSubject, held: ReadonlyMap<string, string>): Promise<Resolution> {
  const bsn = bsnOfSubject(subject);
  if (bsn) {
    const patientId = held.get(identifierKey({ system: IdentifierSystems.bsn.uri, value: bsn }));
    if (!patientId) return { outcome: 'new' };
    const holder = (await store.patients.get(patientId))?.patient;
    const contradicted = holder ? contradictions(subject, holder) : [];
    if (contradicted.length === 0) return { outcome: 'found', patientId, by: 'bsn' };
    return waiting(store, subject, `the message's ${contradicted.join(' and ')} contradict${contradicted.length === 1 ? 's' : ''} the record of the patient holding its BSN`, holder);
  }
  const byIdentifier = new Set(subject.identifiers.flatMap((i) => held.get(identifierKey(i)) ?? []));
  if (byIdentifier.size === 1) return { outcome: 'found', patientId: [...byIdentifier][0]!, by: 'identifier' };
  if (byIdentifier.size > 1) return waiting(store, subject, "the sender's identifiers for the patient name different patients");

  const problem = unmatchable(subject);
  if (problem) return waiting(store, subject, problem);
  const fitting = new Map<string, Patient>();
  for (const familyKey of familyKeys(subject.names)) {
    for (const record of await store.patients.findByFamilyKey(familyKey, subject.birthDate)) {
      if (fits(subject, record.patient)) fitting.set(record.patient.id, record.patient);
    }
  }
  if (fitting.size === 1) return { outcome: 'found', patientId: [...fitting.keys()][0]!, by: 'demographics' };
  return waiting(store, subject, fitting.size === 0 ? 'no patient has this name, birth date and sex' : `${fitting.size} patients have this name, birth date and sex`);
}

/** Why the subject cannot be matched on demographics at all, if it cannot. */
function unmatchable(subject: InboundSubject): string | undefined {
  if (familyKeys(subject.names).size === 0) return 'no BSN and no family name to match on';
  if (!subject.birthDate || !FULL_DATE.test(subject.birthDate)) return 'no BSN and no full birth date to match on';
  if (subject.gender !== 'male' && subject.gender !== 'female') return 'no BSN and no sex to match on';
  return undefined;
}

function fits(subject: InboundSubject, patient: Patient): boolean {
  if (patient.status !== 'active' || patient.birthDate !== subject.birthDate || patient.gender !== subject.gender) return false;
  const wanted = familyKeys(subject.names);
  if (![...familyKeys(patient.names)].some((k) => wanted.has(k))) return false;
  const theirs = initialsOf(subject.names);
  const ours = initialsOf(patient.names);
  return !theirs || !ours || theirs.startsWith(ours) || ours.startsWith(theirs);
}

function initialsOf(names: readonly Patient['names'][number][]): string {
  for (const name of names) {
    const initials = initialsKey(name);
    if (initials) return initials;
  }
  return '';
}

/**
 * The candidates a person chooses from: everyone with the family name (whatever their birth date, so a mistyped
 * date still shows them) or with the birth date, scored against the subject, best first.
 */
async function waiting(store: Store, subject: InboundSubject, reason: string, also?: Patient): Promise<Resolution> {
  const pool = new Map<string, Patient>(also ? [[also.id, also]] : []);
  for (const familyKey of familyKeys(subject.names)) {
    for (const r of await store.patients.findByFamilyKey(familyKey)) pool.set(r.patient.id, r.patient);
  }
  if (subject.birthDate && FULL_DATE.test(subject.birthDate)) {
    for (const r of await store.patients.findByBirthDate(subject.birthDate)) pool.set(r.patient.id, r.patient);
  }
  const query = { identifiers: subject.identifiers, names: subject.names, gender: subject.gender, ...(subject.birthDate ? { birthDate: subject.birthDate } : {}) };
  const candidates = [...pool.values()]
    .map((p) => scoreCandidate(query, p))
    // The BSN's holder stays among them whatever it scores: the reasons say what contradicts them.
    .filter((r) => r.score > 0 || r.patientId === also?.id)
    .sort((a, b) => b.score - a.score || a.patientId.localeCompare(b.patientId))
    .slice(0, CANDIDATES_SHOWN)
    .map((r) => ({ patientId: r.patientId, score: r.score, reasons: [...r.reasons] }));
  return { outcome: 'waiting', reason, candidates };
}
