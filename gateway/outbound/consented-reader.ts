import type { Condition, DiagnosticReport, Document, Observation, Organization, Practitioner } from '../../canonical/index.js';
import type { DocumentQuery, ListOptions, ObservationQuery, Page, PatientRecord, Store } from '../../store/index.js';

/**
 * The only way an outbound surface reads records: every read names patients, and a patient the consent step
 * did not permit is refused here, whatever the surface asked. Everything handed out is noted per patient, so
 * the audit record lists exactly what could have left.
 */
export interface ConsentedReader {
  patient(patientId: string): Promise<PatientRecord | undefined>;
  observations(patientId: string, query?: ObservationQuery): Promise<Page<Observation>>;
  observation(id: string): Promise<Observation | undefined>;
  conditions(patientId: string, options?: ListOptions): Promise<Page<Condition>>;
  condition(id: string): Promise<Condition | undefined>;
  reports(patientId: string, options?: ListOptions): Promise<Page<DiagnosticReport>>;
  report(id: string): Promise<DiagnosticReport | undefined>;
  documents(patientId: string, query?: DocumentQuery): Promise<Document[]>;
  document(id: string): Promise<Document | undefined>;
  /** A document's bytes; noted as the document's retrieval. */
  documentContent(document: Document): Promise<Uint8Array | undefined>;
  /** Directory entries concern no patient: no consent applies, they are noted as returned all the same. */
  organization(id: string): Promise<Organization | undefined>;
  practitioner(id: string): Promise<Practitioner | undefined>;
  /** Version and last change of records already handed out (clinical records have one version, stored once). */
  stamps(type: StampedType, ids: readonly string[]): Promise<Map<string, { version: number; updatedAt: string }>>;
  /** Something the surface itself disclosed about a permitted patient (e.g. their Consent resource). */
  note(patientId: string, reference: string): void;
}

export type StampedType = 'Patient' | 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'Binary' | 'Organization' | 'Practitioner';

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

export function consentedReader(store: Store, permitted: ReadonlySet<string>): ConsentedReader & ReaderLedger {
  const returned = new Map<string, string[]>();
  const note = (patientId: string, reference: string) => {
    const list = returned.get(patientId);
    if (list) list.push(reference);
    else returned.set(patientId, [reference]);
  };
  const allow = (patientId: string) => {
    if (!permitted.has(patientId)) throw new ConsentRefused(patientId);
  };
  /** A patient's records page by page, each page noted as handed out. */
  const pages = <T extends { id: string }, O>(type: string, list: (patientId: string, options?: O) => Promise<Page<T>>) =>
    async (patientId: string, options?: O): Promise<Page<T>> => {
      allow(patientId);
      const p = await list(patientId, options);
      for (const item of p.items) note(patientId, `${type}/${item.id}`);
      return p;
    };
  /** A record found by id leaves only when its own patient is permitted; otherwise it does not exist for the caller. */
  const one = <T extends { id: string; patientId: string }>(type: string, record: T | undefined): T | undefined => {
    if (!record || !permitted.has(record.patientId)) return undefined;
    note(record.patientId, `${type}/${record.id}`);
    return record;
  };

  return {
    returned,
    note(patientId, reference) {
      allow(patientId);
      note(patientId, reference);
    },
    async patient(patientId) {
      allow(patientId);
      const record = await store.patients.get(patientId);
      if (record) note(patientId, `Patient/${record.patient.id}`);
      return record;
    },
    observations: pages('Observation', store.observations.list),
    observation: async (id) => one('Observation', await store.observations.get(id)),
    conditions: pages('Condition', store.conditions.list),
    condition: async (id) => one('Condition', await store.conditions.get(id)),
    reports: pages('DiagnosticReport', store.reports.list),
    report: async (id) => one('DiagnosticReport', await store.reports.get(id)),
    async documents(patientId, query) {
      allow(patientId);
      const docs = await store.documents.list(patientId, query);
      for (const d of docs) note(patientId, `DocumentReference/${d.id}`);
      return docs;
    },
    document: async (id) => one('DocumentReference', await store.documents.get(id)),
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
      const stored = type === 'Observation' ? await store.observations.storedAt(ids)
        : type === 'Condition' ? await store.conditions.storedAt(ids)
          : type === 'DiagnosticReport' ? await store.reports.storedAt(ids)
            : await store.documents.storedAt(ids);
      return new Map([...stored].map(([id, at]) => [id, { version: 1, updatedAt: at }]));
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
