import type { FhirResource } from 'fhir/r4.js';
import type { ConsentedReader, HistoryWindow, VersionedType, Windowed } from '../outbound/consented-reader.js';
import type { Disclosure } from '../outbound/pipeline.js';
import type { ResourceType } from './capability-table.js';
import { isOurId } from './params.js';
import { renderAny, renderVersion, type Renderable } from './render.js';
import { conditions, documents, enrolments, observations, reports } from './search/clinical.js';
import { consentRead, consentSearch } from './search/consent.js';
import { patientSearch } from './search/patients.js';
import type { SearchRequest, SearchResult } from './search/request.js';
import { scopedSearch } from './search/scoped.js';

export interface ResourceHandler {
  read?(id: string, baseUrl: string): Disclosure<FhirResource | undefined>;
  vread?(id: string, version: number, baseUrl: string): Disclosure<FhirResource | undefined>;
  /** The kept versions in the window, newest first; undefined for what the caller may not see or we do not hold. */
  history?(id: string, window: HistoryWindow, baseUrl: string): Disclosure<Windowed<FhirResource> | undefined>;
  search?(request: SearchRequest): Disclosure<SearchResult>;
}

type OwnedType = 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'EpisodeOfCare';

/** Whose record `type/id` is: the one patient the consent decision is about. */
function ownerOf(type: OwnedType, id: string): Disclosure<unknown>['subjects'] {
  return async (find) => {
    if (!isOurId(id)) return [];
    const owner = await find.ownerOf(type, id);
    return owner ? [owner] : [];
  };
}

/** A record read by id: its patient decides; a denied or unknown one is simply not found. */
function readById(type: OwnedType, load: (read: ConsentedReader, id: string) => Promise<Renderable | undefined>) {
  return (id: string, baseUrl: string): Disclosure<FhirResource | undefined> => ({
    subjects: ownerOf(type, id),
    async respond(read, verdict) {
      if (verdict.permitted.length === 0 || !isOurId(id)) return undefined;
      const record = await load(read, id);
      return record ? (await renderAny(read, type, [record], baseUrl))[0] : undefined;
    },
  });
}

/** One version of a record: decided, like a read, by the patient whose record it is now. */
function vreadById(type: VersionedType) {
  return (id: string, version: number, baseUrl: string): Disclosure<FhirResource | undefined> => ({
    subjects: ownerOf(type, id),
    async respond(read, verdict) {
      if (verdict.permitted.length === 0 || !isOurId(id)) return undefined;
      const found = await read.version(type, id, version);
      return found ? renderVersion(type, found.record, found.stamp, baseUrl) : undefined;
    },
  });
}

/** All versions of a record, decided like a read. */
function historyById(type: VersionedType) {
  return (id: string, window: HistoryWindow, baseUrl: string): Disclosure<Windowed<FhirResource> | undefined> => ({
    subjects: ownerOf(type, id),
    async respond(read, verdict) {
      if (verdict.permitted.length === 0 || !isOurId(id)) return undefined;
      const history = await read.history(type, id, window);
      return { versions: history.versions.map((h) => renderVersion(type, h.record, h.stamp, baseUrl)), total: history.total };
    },
  });
}

function patientRead(id: string, baseUrl: string): Disclosure<FhirResource | undefined> {
  return {
    subjects: async (find) => {
      if (!isOurId(id)) return [];
      const found = await find.byId(id, { withRecord: true });
      return found ? [found] : [];
    },
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return undefined;
      // An id merged into another record is read as itself, which the renderer serves inactive and replaced-by.
      const record = patientId === id ? await read.patient(patientId) : await read.replacedPatient(id, patientId);
      return record ? (await renderAny(read, 'Patient', [record], baseUrl))[0] : undefined;
    },
  };
}

/** The patient an id names now (itself, or the record it was merged into): whose consent decides for that id. */
const patientNamed = (id: string): Disclosure<unknown>['subjects'] => async (find) => {
  if (!isOurId(id)) return [];
  const found = await find.byId(id);
  return found ? [found] : [];
};

/** One version of a patient's record: decided, like a read, by the patient the id names now. */
function patientVread(id: string, version: number, baseUrl: string): Disclosure<FhirResource | undefined> {
  return {
    subjects: patientNamed(id),
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId || version === 0) return undefined;
      const record = await read.patientVersion(id, version, patientId);
      return record ? (await renderAny(read, 'Patient', [record], baseUrl))[0] : undefined;
    },
  };
}

/** All kept versions of a patient's record, decided likewise. */
function patientHistory(id: string, window: HistoryWindow, baseUrl: string): Disclosure<Windowed<FhirResource> | undefined> {
  return {
    subjects: patientNamed(id),
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return undefined;
      const history = await read.patientHistory(id, patientId, window);
      return { versions: history.versions.map((r) => renderVersion('Patient', r, r, baseUrl)), total: history.total };
    },
  };
}

function directoryRead(type: 'Organization' | 'Practitioner') {
  return (id: string, baseUrl: string): Disclosure<FhirResource | undefined> => ({
    subjects: async () => [],
    async respond(read) {
      if (!isOurId(id)) return undefined;
      const record = type === 'Organization' ? await read.organization(id) : await read.practitioner(id);
      return record ? (await renderAny(read, type, [record], baseUrl))[0] : undefined;
    },
  });
}

/** The consent-gated interactions per type; AuditEvent is not a disclosure and has its own path (audit-events.ts). */
export const HANDLERS: Readonly<Record<Exclude<ResourceType, 'AuditEvent'>, ResourceHandler>> = {
  Patient: { read: patientRead, vread: patientVread, history: patientHistory, search: patientSearch },
  Observation: { read: readById('Observation', (read, id) => read.observation(id)), vread: vreadById('Observation'), history: historyById('Observation'), search: scopedSearch(observations) },
  Condition: { read: readById('Condition', (read, id) => read.condition(id)), vread: vreadById('Condition'), history: historyById('Condition'), search: scopedSearch(conditions) },
  DiagnosticReport: { read: readById('DiagnosticReport', (read, id) => read.report(id)), vread: vreadById('DiagnosticReport'), history: historyById('DiagnosticReport'), search: scopedSearch(reports) },
  DocumentReference: { read: readById('DocumentReference', (read, id) => read.document(id)), search: scopedSearch(documents) },
  EpisodeOfCare: { read: readById('EpisodeOfCare', (read, id) => read.enrolment(id)), vread: vreadById('EpisodeOfCare'), history: historyById('EpisodeOfCare'), search: scopedSearch(enrolments) },
  Consent: { read: consentRead, search: consentSearch },
  Binary: {},
  Organization: { read: directoryRead('Organization') },
  Practitioner: { read: directoryRead('Practitioner') },
};
