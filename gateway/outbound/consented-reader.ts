import { IdentifierSystems, type CareProgramEnrolment, type Condition, type DiagnosticReport, type Document, type Observation, type Organization, type Practitioner } from '../../canonical/index.js';
import { renderConsent, type EffectivePolicy } from '../../mappers/fhir/consent.js';
import type {
  ConditionQuery, DocumentQuery, ListOptions, ObservationQuery, Page, PatientRecord, RecordStamp, RegisteredDocument, ReportQuery, Store, Stamped, StoredWindow, VersionStamp,
} from '../../store/index.js';

/**
 * The only way an outbound surface reads records: every read names patients, and a patient the consent step
 * did not permit is refused here, whatever the surface asked. Everything handed out is noted per patient, so
 * the audit record lists exactly what could have left.
 */
export interface ConsentedReader {
  patient(patientId: string): Promise<PatientRecord | undefined>;
  /**
   * A record merged into a permitted patient, read by its own id, which partners may still hold: it is served
   * inactive and pointing at the record that replaced it. Undefined unless the id is a merged record that resolves
   * to `survivorId` now; noted under the survivor, whose consent it was disclosed under.
   */
  replacedPatient(id: string, survivorId: string): Promise<PatientRecord | undefined>;
  /**
   * One version of a patient's record (the current one or one a change replaced), read by the record's own id;
   * `patientId` is the permitted patient that id names now (itself, or the record it was merged into), under whom
   * it is noted.
   */
  patientVersion(id: string, version: number, patientId: string): Promise<PatientRecord | undefined>;
  /** The kept versions of a patient's record in `window`, newest first, each noted; `patientId` as for `patientVersion`. */
  patientHistory(id: string, patientId: string, window: HistoryWindow): Promise<Windowed<PatientRecord>>;
  observations(patientId: string, query?: ObservationQuery): Promise<Page<Observation>>;
  observation(id: string): Promise<Observation | undefined>;
  conditions(patientId: string, query?: ConditionQuery): Promise<Page<Condition>>;
  condition(id: string): Promise<Condition | undefined>;
  reports(patientId: string, query?: ReportQuery): Promise<Page<DiagnosticReport>>;
  report(id: string): Promise<DiagnosticReport | undefined>;
  /** The observations a report names as its results, those of the report's own patient only, at most `limit`. */
  reportResults(report: DiagnosticReport, limit: number): Promise<Observation[]>;
  enrolments(patientId: string, options?: ListOptions): Promise<Page<CareProgramEnrolment>>;
  enrolment(id: string): Promise<CareProgramEnrolment | undefined>;
  /** How many records a list would page through; nothing is handed out, so nothing is noted. */
  count(patientId: string, what: Countable): Promise<number>;
  /** The purpose-of-use policy that applies to a patient now; noted as the Consent it is served as. */
  consentPolicy(patientId: string): Promise<EffectivePolicy>;
  documents(patientId: string, query?: DocumentQuery): Promise<Document[]>;
  /** The XDS registry's view of a patient's stored documents (each with its submission set), each noted. */
  registered(patientId: string, query?: DocumentQuery): Promise<RegisteredDocument[]>;
  /**
   * `registered`, read in one statement with the patient's record stamp (store RECORD_STAMP). The listing is handed
   * out (and noted) only when `current` accepts the stamp; otherwise only the stamp is answered and nothing is noted
   * (no stamp for an unknown patient).
   */
  registeredIfCurrent(patientId: string, query: DocumentQuery, current: (stamp: string) => boolean): Promise<{ readonly documents: RegisteredDocument[] } | { readonly stamp?: RecordStamp }>;
  /**
   * The record a document made on demand is built from: the patient, their conditions and programme enrolments,
   * and their newest reports and observations up to the limits. Nothing is noted: the caller notes the document
   * it makes, which is what leaves.
   */
  summaryRecord(patientId: string, limits: { readonly observations: number; readonly reports: number }): Promise<SummaryRecord | undefined>;
  document(id: string): Promise<Document | undefined>;
  documentByUniqueId(uniqueId: string): Promise<Document | undefined>;
  /** A document's bytes; noted as the document's retrieval. */
  documentContent(document: Document): Promise<Uint8Array | undefined>;
  /** Directory entries concern no patient: no consent applies, they are noted as returned all the same. */
  organization(id: string): Promise<Organization | undefined>;
  practitioner(id: string): Promise<Practitioner | undefined>;
  /** One version of a clinical record (the current one or one it replaced), if its patient is permitted. */
  version(type: VersionedType, id: string, version: number): Promise<Stamped<VersionedRecord> | undefined>;
  /** The versions of a clinical record in `window`, newest first, each noted; none unless its patient is permitted. */
  history(type: VersionedType, id: string, window: HistoryWindow): Promise<Windowed<Stamped<VersionedRecord>>>;
  /** Version and last change of records already handed out. */
  stamps(type: StampedType, ids: readonly string[]): Promise<Map<string, VersionStamp>>;
  /** Something the surface itself disclosed about a permitted patient (e.g. their Consent resource). */
  note(patientId: string, reference: string): void;
}

export interface SummaryRecord {
  readonly patient: PatientRecord;
  readonly conditions: readonly Condition[];
  readonly enrolments: readonly CareProgramEnrolment[];
  readonly observations: readonly Observation[];
  readonly reports: readonly DiagnosticReport[];
}

/** The clinical records that keep every version (store/migrations/0015). */
export type VersionedType = 'Observation' | 'Condition' | 'DiagnosticReport' | 'EpisodeOfCare';
export type VersionedRecord = Observation | Condition | DiagnosticReport | CareProgramEnrolment;

export type StampedType =
  | 'Patient' | 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'Binary' | 'Organization' | 'Practitioner' | 'EpisodeOfCare';

export type Countable =
  | { readonly type: 'Observation'; readonly query: ObservationQuery }
  | { readonly type: 'Condition'; readonly query: ConditionQuery }
  | { readonly type: 'DiagnosticReport'; readonly query: ReportQuery }
  | { readonly type: 'DocumentReference'; readonly query: DocumentQuery }
  | { readonly type: 'EpisodeOfCare'; readonly query: StoredWindow };

/**
 * Which versions of a record a history answer hands out: of those stored at or after `since`, newest first, `count`
 * after the first `offset`.
 */
export interface HistoryWindow {
  /** Milliseconds since the epoch. */
  readonly since?: number;
  readonly count: number;
  readonly offset?: number;
}

/** The versions handed out, newest first, and how many the window's `since` let through before paging cut. */
export interface Windowed<T> {
  readonly versions: readonly T[];
  readonly total: number;
}

/** Cuts versions (oldest first, as the store lists them) to a window, newest first. */
function windowed<T>(versions: readonly T[], storedAt: (version: T) => string, window: HistoryWindow): Windowed<T> {
  const since = window.since;
  const recent = since === undefined ? [...versions] : versions.filter((v) => Date.parse(storedAt(v)) >= since);
  const offset = window.offset ?? 0;
  return { versions: recent.reverse().slice(offset, offset + window.count), total: recent.length };
}

export class ConsentRefused extends Error {
  constructor(readonly patientId: string) {
    super('a read for a patient without a permit decision was refused');
    this.name = 'ConsentRefused';
  }
}

export interface ReaderLedger {
  /** What was handed out for each patient (`''` for directory entries), as `Type/id` references. */
  readonly returned: ReadonlyMap<string, readonly string[]>;
}

/** A patient as noted on the trail: with the version that left, as patients change (so do clinical records: `stamped`). */
const versioned = (record: PatientRecord) => `Patient/${record.patient.id}/_history/${record.version}`;

export interface ReaderOptions {
  /** Patients are handed out without their BSN (a Carequality partner's exchange, requester.ts). */
  readonly withholdBsn?: boolean;
  /** A partner's organization: the Consent it is handed shows that organization's approvals only (staff see all). */
  readonly organizationId?: string;
}

/**
 * A reader for the `permitted` patients; `prefetched` holds patient records a lookup read before the decision,
 * handed out like those read now (only to a permitted patient, and noted).
 */
export function consentedReader(
  store: Store, permitted: ReadonlySet<string>, prefetched: (patientId: string) => PatientRecord | undefined = () => undefined, options: ReaderOptions = {},
): ConsentedReader & ReaderLedger {
  const disclosed = (record: PatientRecord): PatientRecord => options.withholdBsn
    ? { ...record, patient: { ...record.patient, identifiers: record.patient.identifiers.filter((i) => i.system !== IdentifierSystems.bsn.uri) } }
    : record;
  const returned = new Map<string, string[]>();
  const note = (patientId: string, reference: string) => {
    const list = returned.get(patientId);
    if (list) list.push(reference);
    else returned.set(patientId, [reference]);
  };
  const allow = (patientId: string) => {
    if (!permitted.has(patientId)) throw new ConsentRefused(patientId);
  };
  // The versions of the records handed out, as their pages were read: `stamps` for them needs no statement.
  const stampsSeen = new Map<string, VersionStamp>();
  /** A patient's records page by page, each page noted as handed out. */
  const pages = <T extends { id: string }, O>(type: StampedType, list: (patientId: string, options?: O) => Promise<Page<T>>) =>
    async (patientId: string, options?: O): Promise<Page<T>> => {
      allow(patientId);
      const p = await list(patientId, options);
      for (const item of p.items) {
        const stamp = p.stamps?.get(item.id);
        if (stamp) stamped(type, patientId, item.id, stamp);
        else note(patientId, `${type}/${item.id}`);
      }
      return p;
    };
  /**
   * A clinical record as noted on the trail: with the version that left (a record its sender corrected has more than
   * one), and that version remembered for `stamps`.
   */
  const stamped = (type: StampedType, patientId: string, id: string, stamp: VersionStamp) => {
    note(patientId, `${type}/${id}/_history/${stamp.version}`);
    stampsSeen.set(`${type}/${id}`, stamp);
  };
  /** A record found by id leaves only when its own patient is permitted; otherwise it does not exist for the caller. */
  const one = <T extends { id: string; patientId: string }>(type: string, record: T | undefined): T | undefined => {
    if (!record || !permitted.has(record.patientId)) return undefined;
    note(record.patientId, `${type}/${record.id}`);
    return record;
  };
  /** `one` for records read with their versions. */
  const oneStamped = <T extends { id: string; patientId: string }>(type: StampedType, found: readonly Stamped<T>[]): T[] =>
    found.flatMap(({ record, stamp }) => {
      if (!permitted.has(record.patientId)) return [];
      stamped(type, record.patientId, record.id, stamp);
      return [record];
    });

  /**
   * A clinical record's versions if its patient is permitted, each with that patient: the versions of one record
   * are one patient's (a merge moves the record, and its history with its id), the current one decides.
   */
  const permittedHistory = async (type: VersionedType, id: string): Promise<(Stamped<VersionedRecord> & { patientId: string })[]> => {
    const history: readonly Stamped<VersionedRecord>[] = type === 'Observation' ? await store.observations.history(id)
      : type === 'Condition' ? await store.conditions.history(id)
        : type === 'DiagnosticReport' ? await store.reports.history(id)
          : await store.carePrograms.history(id);
    const patientId = history.at(-1)?.record.patientId;
    return patientId && permitted.has(patientId) ? history.map((h) => ({ ...h, patientId })) : [];
  };

  return {
    returned,
    note(patientId, reference) {
      allow(patientId);
      note(patientId, reference);
    },
    async patient(patientId) {
      allow(patientId);
      const record = prefetched(patientId) ?? await store.patients.get(patientId);
      if (!record) return undefined;
      note(patientId, versioned(record));
      return disclosed(record);
    },
    async replacedPatient(id, survivorId) {
      allow(survivorId);
      const [record, resolved] = await Promise.all([store.patients.get(id), store.patients.resolveId(id)]);
      if (!record || record.patient.status !== 'merged' || resolved.value !== survivorId) return undefined;
      note(survivorId, versioned(record));
      return disclosed(record);
    },
    async patientHistory(id, patientId, window) {
      allow(patientId);
      const history = windowed(await store.patients.history(id), (r) => r.updatedAt, window);
      for (const record of history.versions) note(patientId, versioned(record));
      return { versions: history.versions.map(disclosed), total: history.total };
    },
    async patientVersion(id, version, patientId) {
      allow(patientId);
      const record = await store.patients.version(id, version);
      if (!record) return undefined;
      note(patientId, versioned(record));
      return disclosed(record);
    },
    observations: pages('Observation', store.observations.list),
    observation: async (id) => oneStamped('Observation', await store.observations.getStamped([id]))[0],
    conditions: pages('Condition', store.conditions.list),
    condition: async (id) => oneStamped('Condition', await store.conditions.getStamped([id]))[0],
    reports: pages('DiagnosticReport', store.reports.list),
    report: async (id) => oneStamped('DiagnosticReport', await store.reports.getStamped([id]))[0],
    async reportResults(report, limit) {
      allow(report.patientId);
      const results = await store.observations.getStamped(report.observationIds.slice(0, limit));
      return oneStamped('Observation', results.filter((o) => o.record.patientId === report.patientId));
    },
    enrolments: pages('EpisodeOfCare', store.carePrograms.list),
    enrolment: async (id) => oneStamped('EpisodeOfCare', await store.carePrograms.getStamped([id]))[0],
    async version(type, id, version) {
      const found = (await permittedHistory(type, id)).find((h) => h.stamp.version === version);
      if (found) note(found.patientId, `${type}/${id}/_history/${version}`);
      return found;
    },
    async history(type, id, window) {
      const history = windowed(await permittedHistory(type, id), (h) => h.stamp.updatedAt, window);
      for (const h of history.versions) note(h.patientId, `${type}/${id}/_history/${h.stamp.version}`);
      return history;
    },
    async count(patientId, what) {
      allow(patientId);
      switch (what.type) {
        case 'Observation': return store.observations.count(patientId, what.query);
        case 'Condition': return store.conditions.count(patientId, what.query);
        case 'DiagnosticReport': return store.reports.count(patientId, what.query);
        case 'DocumentReference': return store.documents.count(patientId, what.query);
        case 'EpisodeOfCare': return store.carePrograms.count(patientId, what.query);
      }
    },
    async consentPolicy(patientId) {
      allow(patientId);
      const policy = await effectivePolicy(store, patientId, options.organizationId);
      const consent = renderConsent(policy);
      // The version is what left: the id is the same for every policy the patient has had.
      note(patientId, `Consent/${consent.id}/_history/${consent.meta!.versionId}`);
      return policy;
    },
    async documents(patientId, query) {
      allow(patientId);
      const docs = await store.documents.list(patientId, query);
      for (const d of docs) note(patientId, `DocumentReference/${d.id}`);
      return docs;
    },
    document: async (id) => one('DocumentReference', await store.documents.get(id)),
    documentByUniqueId: async (uniqueId) => one('DocumentReference', await store.documents.getByUniqueId(uniqueId)),
    async registered(patientId, query) {
      allow(patientId);
      const found = await store.documents.registered(patientId, query);
      for (const r of found) note(patientId, `DocumentReference/${r.document.id}`);
      return found;
    },
    async registeredIfCurrent(patientId, query, current) {
      allow(patientId);
      const read = await store.documents.registeredWithStamp(patientId, query);
      if (!read) return {};
      if (!current(read.stamp.stamp)) return { stamp: read.stamp };
      for (const r of read.documents) note(patientId, `DocumentReference/${r.document.id}`);
      return { documents: read.documents };
    },
    async summaryRecord(patientId, limits) {
      allow(patientId);
      const patient = await store.patients.get(patientId);
      if (!patient) return undefined;
      const [conditions, enrolments, observations, reports] = await Promise.all([
        allPages((after) => store.conditions.list(patientId, { limit: 200, ...(after ? { after } : {}) }), 1000),
        allPages((after) => store.carePrograms.list(patientId, { limit: 200, ...(after ? { after } : {}) }), 100),
        allPages((after) => store.observations.list(patientId, { limit: Math.min(limits.observations, 500), ...(after ? { after } : {}) }), limits.observations),
        allPages((after) => store.reports.list(patientId, { limit: Math.min(limits.reports, 500), ...(after ? { after } : {}) }), limits.reports),
      ]);
      return { patient: disclosed(patient), conditions, enrolments, observations, reports };
    },
    async documentContent(document) {
      allow(document.patientId);
      const content = await store.documents.getContent(document.id);
      if (content) note(document.patientId, `Binary/${document.id}`);
      return content;
    },
    async stamps(type, ids) {
      if (type === 'Patient') return store.patients.stamps(ids);
      if (type === 'Organization') return store.organizations.stamps(ids);
      if (type === 'Practitioner') return store.practitioners.stamps(ids);
      const seen = ids.map((id) => stampsSeen.get(`${type}/${id}`));
      if (seen.every((stamp) => stamp !== undefined)) return new Map(ids.map((id, i) => [id, seen[i]!]));
      if (type === 'Observation') return store.observations.stamps(ids);
      if (type === 'Condition') return store.conditions.stamps(ids);
      if (type === 'DiagnosticReport') return store.reports.stamps(ids);
      if (type === 'EpisodeOfCare') return store.carePrograms.stamps(ids);
      // A document is stored once: a newer one is another document that deprecates it, not a version of it.
      return new Map([...await store.documents.storedAt(ids)].map(([id, at]) => [id, { version: 1, updatedAt: at }]));
    },
    async organization(id) {
      const org = await store.organizations.get(id);
      if (org) note('', `Organization/${org.id}`);
      return org;
    },
    async practitioner(id) {
      const p = await store.practitioners.get(id);
      if (p) note('', `Practitioner/${p.id}`);
      return p;
    },
  };
}

/**
 * The patient's own choice when they made one, else the clinic defaults, else no policy (nothing is shared): the
 * order consent/decide.ts applies them in.
 */
async function effectivePolicy(store: Store, patientId: string, organizationId: string | undefined): Promise<EffectivePolicy> {
  const [defaults, choice, facts] = await Promise.all([store.consent.currentDefaults(), store.consent.currentChoice(patientId), store.consent.patientFacts(patientId)]);
  // The approvals in force as decisions count them (unexpired, granted since the patient last chose): the store's.
  const approvals = facts.approvals
    .filter((a) => organizationId === undefined || a.organizationId === organizationId)
    .map((a) => ({ requestId: a.id, organizationId: a.organizationId, purpose: a.purpose, until: a.expiresAt, ...(a.decidedAt ? { approvedAt: a.decidedAt } : {}) }));
  const granted = approvals.length > 0 ? { approvals } : {};
  if (choice && choice.purposes !== null) return { patientId, source: 'patient-choice', purposes: choice.purposes, version: choice.version, dateTime: choice.setAt, ...granted };
  if (defaults) return { patientId, source: 'clinic-default', purposes: defaults.purposes ?? [], version: defaults.version, dateTime: defaults.setAt, ...granted };
  return { patientId, source: 'no-policy', purposes: [], version: 0, ...granted };
}

/** Pages of a list, newest first, until it ends or `max` items are read. */
async function allPages<T>(page: (after: Page<T>['next']) => Promise<Page<T>>, max: number): Promise<T[]> {
  const items: T[] = [];
  let after: Page<T>['next'];
  do {
    const p = await page(after);
    items.push(...p.items);
    after = p.next;
  } while (after && items.length < max);
  return items.slice(0, max);
}
