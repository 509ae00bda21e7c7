import type { Identifier, Patient } from '../canonical/index.js';
import type { PatientMerge, PatientRecord, Store } from '../store/index.js';
import { decideMatch, familyKeys, scoreCandidate, type Demographics, type MatchResult } from './match.js';

/** Patient identity over the store: find by identifier, link, find by demographics, report and merge duplicates. */

const MAX_MERGE_HOPS = 20;

/** The patient an identifier names, following merges to the surviving record. */
export async function findByIdentifier(store: Store, identifier: Pick<Identifier, 'system' | 'value'>): Promise<PatientRecord | undefined> {
  const found = await store.patients.findByIdentifier(identifier.system, identifier.value);
  return found ? resolve(store, found) : undefined;
}

/** A patient id as given (perhaps of a merged record) resolved to the record that is active now. */
export async function findById(store: Store, id: string): Promise<PatientRecord | undefined> {
  const found = await store.patients.get(id);
  return found ? resolve(store, found) : undefined;
}

async function resolve(store: Store, record: PatientRecord): Promise<PatientRecord | undefined> {
  let current: PatientRecord | undefined = record;
  for (let hops = 0; current && current.patient.status === 'merged'; hops++) {
    if (hops >= MAX_MERGE_HOPS) throw new Error('merge chain too long');
    current = await store.patients.get(current.patient.mergedInto!);
  }
  return current;
}

/** Links a partner's own id (with its assigning authority) so later messages and queries with it reach the patient. */
export async function linkIdentifier(store: Store, patientId: string, identifier: Identifier, linkedBy: string) {
  const target = await findById(store, patientId);
  if (!target) return { outcome: 'not-found' as const };
  const result = await store.patients.linkIdentifier(target.patient.id, identifier, linkedBy);
  return { outcome: result, patientId: target.patient.id };
}

export interface CandidateSearch {
  readonly results: MatchResult[];
  readonly decision: ReturnType<typeof decideMatch>;
}

/**
 * Scores every stored patient that could be the person described: those holding one of the identifiers, those
 * with the family name (any spelling of the prefix), and those born that day (to catch a misspelt name).
 */
export async function findCandidates(store: Store, query: Demographics, limit = 20): Promise<CandidateSearch> {
  const pool = new Map<string, Patient>();
  const add = (records: readonly PatientRecord[]) => records.forEach((r) => pool.set(r.patient.id, r.patient));
  for (const identifier of query.identifiers ?? []) {
    const found = await findByIdentifier(store, identifier);
    if (found) add([found]);
  }
  for (const key of familyKeys(query.names ?? [])) add(await store.patients.findByFamilyKey(key, query.birthDate));
  if (query.birthDate && /^\d{4}-\d{2}-\d{2}$/.test(query.birthDate)) add(await store.patients.findByBirthDate(query.birthDate));
  const results = [...pool.values()]
    .map((p) => scoreCandidate(query, p))
    .sort((a, b) => b.score - a.score || a.patientId.localeCompare(b.patientId))
    .slice(0, limit);
  return { results, decision: decideMatch(results) };
}

export interface DuplicateReportEntry {
  readonly familyKey: string;
  readonly birthDate: string;
  readonly patients: { id: string; score: number; reasons: readonly string[] }[];
}

/**
 * Patients who look like the same person (folded family name and birth date equal), each scored against the
 * first of its group so staff see the strongest pairs first. Nothing is merged here.
 */
export async function duplicateReport(store: Store, limit = 100): Promise<DuplicateReportEntry[]> {
  const groups = await store.patients.duplicateGroups(limit);
  const report: DuplicateReportEntry[] = [];
  for (const group of groups) {
    const records = await store.patients.getMany(group.patientIds);
    const [first, ...rest] = records.map((r) => r.patient);
    if (!first) continue;
    const query: Demographics = {
      identifiers: first.identifiers, names: first.names, gender: first.gender,
      ...(first.birthDate ? { birthDate: first.birthDate } : {}),
      ...(first.addresses[0]?.postalCode ? { postalCode: first.addresses[0].postalCode } : {}),
    };
    const scored = rest.map((p) => {
      const r = scoreCandidate(query, p);
      return { id: p.id, score: r.score, reasons: r.reasons };
    });
    report.push({ familyKey: group.familyKey, birthDate: group.birthDate, patients: [{ id: first.id, score: 100, reasons: ['reference record'] }, ...scored] });
  }
  return report.sort((a, b) => Math.max(...b.patients.slice(1).map((p) => p.score)) - Math.max(...a.patients.slice(1).map((p) => p.score)));
}

/**
 * Merges a duplicate into the record that survives, and in the same transaction carries the duplicate's consent
 * choice over (store consent.carryChoiceOnMerge): a patient who said no on either record is not shared more after.
 * Requests held for review under the duplicate move with it (consent.moveRequestsOnMerge), so deciding them counts.
 */
export function merge(
  store: Store, survivorId: string, mergedId: string, by: { mergedBy: string; reason: string; /** As the consent history names its setters; mergedBy when not given. */ choiceSetBy?: string },
): Promise<PatientMerge> {
  return store.transaction(async (tx) => {
    const merged = await tx.patients.merge(survivorId, mergedId, { mergedBy: by.mergedBy, reason: by.reason });
    const consentChoice = await tx.consent.carryChoiceOnMerge(survivorId, mergedId, by.choiceSetBy ?? by.mergedBy);
    const accessRequestsMoved = await tx.consent.moveRequestsOnMerge(survivorId, mergedId);
    return { ...merged, ...(consentChoice ? { consentChoice } : {}), accessRequestsMoved };
  });
}

