import { IdentifierSystems } from '../../canonical/index.js';
import { findCandidates, type Demographics } from '../../identity/index.js';
import type { AtClock, DocumentOwner, PatientConsentFacts, PatientFilter, PatientRecord, ResolvedOne, Store } from '../../store/index.js';

/**
 * Finds which patients a request concerns. It answers with ids only: nothing it reads leaves the gateway, and
 * what is disclosed afterwards goes through the consent step and the consented reader.
 */
export interface SubjectFinder {
  /**
   * A patient id as given, resolved through merges to the record active now. With `withRecord`, the same statement
   * reads the patient's record, held for the consented reader to hand out if consent permits (`prefetched`).
   */
  byId(id: string, options?: FindOptions): Promise<string | undefined>;
  byIdentifier(system: string, value: string, options?: FindOptions): Promise<string | undefined>;
  /** Active patients matching a search, in id order from `afterId`. */
  matching(filter: PatientFilter, afterId: string | undefined, limit: number): Promise<string[]>;
  /**
   * The one patient demographics identify (identity/match.ts scoring: exactly one confident candidate and no other
   * plausible one), or why there is none. Candidates are read to be scored; none of them leaves. A match carries
   * its score (0–100) of how closely the demographics agree.
   */
  byDemographics(query: Demographics): Promise<{ outcome: 'match'; patientId: string; score: number } | { outcome: 'none' } | { outcome: 'ambiguous' }>;
  /** Documents named by their uniqueId or entryUUID, or by those of the submission sets that registered them. */
  documentOwners(ids: readonly string[]): Promise<DocumentOwner[]>;
  /** The patient a clinical record or document belongs to. */
  ownerOf(type: 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'EpisodeOfCare', id: string): Promise<string | undefined>;
  /**
   * The change clock as the newest of these lookups read it (store AtClock), when one did: read after the request
   * was asked, so the consent step can tell from it whether its cache is current without reading the clock again.
   */
  readonly changeClock: number | undefined;
  /**
   * What consent needs to know of a patient found by id or identifier, read by the statement that found them
   * (after the request was asked), so the decision needs no read of its own.
   */
  consentFacts(patientId: string): PatientConsentFacts | undefined;
  /** A patient's record as a lookup `withRecord` read it; never handed out but by the consented reader. */
  prefetched(patientId: string): PatientRecord | undefined;
}

export interface FindOptions {
  readonly withRecord?: boolean;
}

export interface FinderOptions {
  /** The BSN finds nobody (a Carequality partner's exchange, requester.ts): asked for, it is as if unknown. */
  readonly withholdBsn?: boolean;
}

/** A finder for one exchange: it keeps the change clock its lookups read. */
export function subjectFinder(store: Store, options: FinderOptions = {}): SubjectFinder {
  const withheld = (system: string) => options.withholdBsn === true && system === IdentifierSystems.bsn.uri;
  let changeClock: number | undefined;
  const facts = new Map<string, PatientConsentFacts>();
  const records = new Map<string, PatientRecord>();
  const observed = <T>(read: AtClock<T>): T => {
    changeClock = Math.max(changeClock ?? read.changeClock, read.changeClock);
    return read.value;
  };
  const found = (read: ResolvedOne): string | undefined => {
    if (read.value !== undefined && read.consent) facts.set(read.value, read.consent);
    if (read.value !== undefined && read.record) records.set(read.value, read.record);
    return observed(read);
  };
  return {
    get changeClock() {
      return changeClock;
    },
    consentFacts: (patientId) => facts.get(patientId),
    prefetched: (patientId) => records.get(patientId),
    byId: async (id, options = {}) => found(await store.patients.resolveId(id, { withRecords: options.withRecord ?? false })),
    byIdentifier: async (system, value, find = {}) => withheld(system) ? undefined : found(await store.patients.resolveIdentifier(system, value, { withRecords: find.withRecord ?? false })),
    matching: (filter, afterId, limit) => store.patients.searchIds(filter, afterId, limit),
    async byDemographics(query) {
      const identifiers = query.identifiers?.filter((i) => !withheld(i.system));
      const { decision } = await findCandidates(store, identifiers ? { ...query, identifiers } : query);
      return decision.outcome === 'ambiguous' ? { outcome: 'ambiguous' } : decision;
    },
    documentOwners: async (ids) => observed(await store.documents.owners(ids)),
    async ownerOf(type, id) {
      const record = type === 'Observation' ? await store.observations.get(id)
        : type === 'Condition' ? await store.conditions.get(id)
          : type === 'DiagnosticReport' ? await store.reports.get(id)
            : type === 'EpisodeOfCare' ? await store.carePrograms.get(id)
              : await store.documents.get(id);
      return record?.patientId;
    },
  };
}
