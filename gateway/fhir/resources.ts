import type { FhirResource } from 'fhir/r4.js';
import { familyKey, type Condition, type DiagnosticReport, type Observation } from '../../canonical/index.js';
import type { DocumentQuery, ListOptions, Page } from '../../store/index.js';
import type { ConsentedReader } from '../outbound/consented-reader.js';
import type { Disclosure } from '../outbound/pipeline.js';
import type { SubjectFinder } from '../outbound/subject-finder.js';
import { FhirError } from './outcome.js';
import { alternatives, dateRange, isOurId, parseToken, referenceId, single, type SearchParams } from './params.js';
import type { ResourceType } from './capability-table.js';
import { renderAny, type Renderable } from './render.js';

/** What a search disclosed: the matches of this page, and where the next page starts (absent on the last). */
export interface SearchResult {
  readonly matches: readonly FhirResource[];
  readonly next?: unknown;
}

export interface SearchRequest {
  readonly params: SearchParams;
  /** Keyset position from a page token, undefined for the first page. */
  readonly after: unknown;
  readonly count: number;
  readonly baseUrl: string;
}

export interface ResourceHandler {
  read?(id: string, baseUrl: string): Disclosure<FhirResource | undefined>;
  search?(request: SearchRequest): Disclosure<SearchResult>;
}

/** `system|code` tokens as the store indexes them; a token without a system matches no stored coding. */
function codeTokens(params: SearchParams, name: string): string[] | undefined {
  const values = params.get(name);
  if (!values) return undefined;
  const tokens = values.flatMap(alternatives).map((v) => parseToken(v, name));
  if (values.length > 1) throw new FhirError(400, 'not-supported', `parameter ${name} may be given once (use commas for alternatives)`, name);
  return tokens.map((t) => {
    if (!t.system || !t.code) throw new FhirError(400, 'not-supported', `parameter ${name} must be written system|code`, name);
    return `${t.system}|${t.code}`;
  });
}

/**
 * The one patient a patient-scoped search is about: `patient` or `subject` (a reference) or `patient.identifier`
 * (system|value). Searches across patients are refused: every disclosure is decided per patient, and a partner
 * asks about the patient it treats.
 */
async function scopedPatient(params: SearchParams, find: SubjectFinder, baseUrl: string, type: ResourceType): Promise<string[]> {
  const given = ['patient', 'subject', 'patient.identifier'].filter((n) => params.has(n));
  if (given.length === 0) throw new FhirError(400, 'too-costly', `a ${type} search must name its patient: patient, subject or patient.identifier`, 'patient');
  if (given.length > 1) throw new FhirError(400, 'invalid', `give only one of ${given.join(', ')}`, given[1]);
  const name = given[0]!;
  const value = single(params, name)!;
  if (alternatives(value).length > 1) throw new FhirError(400, 'not-supported', `parameter ${name} names one patient per search`, name);
  if (name === 'patient.identifier') {
    const t = parseToken(value, name);
    if (!t.system || !t.code) throw new FhirError(400, 'invalid', 'patient.identifier must be written system|value', name);
    const id = await find.byIdentifier(t.system, t.code);
    return id ? [id] : [];
  }
  const id = referenceId(value, 'Patient', name, baseUrl);
  if (!isOurId(id)) return [];
  const found = await find.byId(id);
  return found ? [found] : [];
}

/** Reads one page of a permitted patient's records, or nothing when the patient was denied or not found. */
function scopedSearch<T extends Observation | Condition | DiagnosticReport>(
  type: ResourceType,
  readPage: (read: ConsentedReader, patientId: string, request: SearchRequest, options: ListOptions) => Promise<Page<T>>,
): (request: SearchRequest) => Disclosure<SearchResult> {
  return (request) => ({
    subjects: (find) => scopedPatient(request.params, find, request.baseUrl, type),
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return { matches: [] };
      const after = request.after as ListOptions['after'] | undefined;
      const page = await readPage(read, patientId, request, { limit: request.count, ...(after ? { after } : {}) });
      return { matches: await renderAny(read, type, page.items, request.baseUrl), ...(page.next ? { next: page.next } : {}) };
    },
  });
}

/** A record read by id: its patient decides; a denied or unknown one is simply not found. */
function readById(type: Exclude<ResourceType, 'Patient' | 'Organization' | 'Practitioner' | 'Binary'>, load: (read: ConsentedReader, id: string) => Promise<Renderable | undefined>) {
  return (id: string, baseUrl: string): Disclosure<FhirResource | undefined> => ({
    subjects: async (find) => {
      if (!isOurId(id)) return [];
      const owner = await find.ownerOf(type, id);
      return owner ? [owner] : [];
    },
    async respond(read, verdict) {
      if (verdict.permitted.length === 0 || !isOurId(id)) return undefined;
      const record = await load(read, id);
      return record ? (await renderAny(read, type, [record], baseUrl))[0] : undefined;
    },
  });
}

function observationPage(read: ConsentedReader, patientId: string, request: SearchRequest, options: ListOptions) {
  const codes = codeTokens(request.params, 'code');
  const date = single(request.params, 'date');
  const range = date ? dateRange(date, 'date') : {};
  return read.observations(patientId, { ...options, ...(codes ? { codes } : {}), ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) });
}

const DOCUMENT_STATUS: Readonly<Record<string, 'approved' | 'deprecated'>> = { current: 'approved', superseded: 'deprecated' };

function documentQuery(params: SearchParams): DocumentQuery {
  const statuses = (params.get('status') ?? []).flatMap(alternatives).map((s) => {
    const status = DOCUMENT_STATUS[s];
    if (!status) throw new FhirError(400, 'invalid', `status must be current or superseded, not "${s}"`, 'status');
    return status;
  });
  const creation = single(params, 'creation');
  const period = single(params, 'period');
  const c = creation ? dateRange(creation, 'creation') : {};
  const p = period ? dateRange(period, 'period') : {};
  const codes = (name: string) => codeTokens(params, name);
  const q: Record<string, unknown> = {
    statuses: statuses.length ? statuses : undefined, classCodes: codes('category'), typeCodes: codes('type'), formatCodes: codes('format'),
    practiceSettingCodes: codes('setting'), facilityTypeCodes: codes('facility'), creationFrom: c.from, creationTo: c.to,
    serviceStartFrom: p.from, serviceStartTo: p.to,
  };
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as DocumentQuery;
}

/** Documents are listed whole (at most 1,000 a patient), so their pages are an offset into that list. */
function documentSearch(request: SearchRequest): Disclosure<SearchResult> {
  return {
    subjects: (find) => scopedPatient(request.params, find, request.baseUrl, 'DocumentReference'),
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return { matches: [] };
      const start = typeof request.after === 'number' ? request.after : 0;
      const all = await read.documents(patientId, documentQuery(request.params));
      const page = all.slice(start, start + request.count);
      const next = start + request.count < all.length ? start + request.count : undefined;
      return { matches: await renderAny(read, 'DocumentReference', page, request.baseUrl), ...(next !== undefined ? { next } : {}) };
    },
  };
}

const GENDERS = new Set(['male', 'female', 'other', 'unknown']);

function patientSearch(request: SearchRequest): Disclosure<SearchResult> {
  const p = request.params;
  const ids = p.get('_id')?.flatMap(alternatives);
  const identifier = single(p, 'identifier');
  const family = single(p, 'family');
  const given = single(p, 'given');
  const birthDate = single(p, 'birthdate');
  const gender = single(p, 'gender');
  if (!ids && !identifier && !family && !birthDate) {
    throw new FhirError(400, 'too-costly', 'a Patient search must include _id, identifier, family or birthdate', 'Patient');
  }
  if (birthDate && !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) throw new FhirError(400, 'not-supported', 'birthdate is matched exactly: write YYYY-MM-DD', 'birthdate');
  if (gender && !GENDERS.has(gender)) throw new FhirError(400, 'invalid', 'gender must be male, female, other or unknown', 'gender');
  let matches: string[] = [];
  let next: string | undefined;
  return {
    async subjects(find) {
      let restrictTo = ids?.filter(isOurId);
      if (identifier) {
        const t = parseToken(identifier, 'identifier');
        if (!t.system || !t.code) throw new FhirError(400, 'not-supported', 'identifier must be written system|value', 'identifier');
        const found = await find.byIdentifier(t.system, t.code);
        restrictTo = found ? (restrictTo ? restrictTo.filter((id) => id === found) : [found]) : [];
      }
      if (restrictTo && restrictTo.length === 0) return [];
      const familyKey = family ? familyKeyOf(family) : undefined;
      const page = await find.matching({
        ...(restrictTo ? { ids: restrictTo } : {}), ...(familyKey ? { familyKey } : {}), ...(given ? { given: given.toLowerCase() } : {}),
        ...(birthDate ? { birthDate } : {}), ...(gender ? { gender } : {}),
      }, typeof request.after === 'string' ? request.after : undefined, request.count + 1);
      matches = page.slice(0, request.count);
      next = page.length > request.count ? matches.at(-1) : undefined;
      return matches;
    },
    async respond(read, verdict) {
      const permitted = matches.filter((id) => verdict.permitted.includes(id));
      const records = [];
      for (const id of permitted) {
        const r = await read.patient(id);
        if (r) records.push(r);
      }
      return { matches: await renderAny(read, 'Patient', records, request.baseUrl), ...(next ? { next } : {}) };
    },
  };
}

function familyKeyOf(family: string): string | undefined {
  const key = familyKey(family);
  if (!key) throw new FhirError(400, 'invalid', 'family must contain letters or digits', 'family');
  return key;
}

function patientRead(id: string, baseUrl: string): Disclosure<FhirResource | undefined> {
  return {
    subjects: async (find) => {
      if (!isOurId(id)) return [];
      const found = await find.byId(id);
      return found ? [found] : [];
    },
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId || patientId !== id) return undefined;
      const record = await read.patient(patientId);
      return record ? (await renderAny(read, 'Patient', [record], baseUrl))[0] : undefined;
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

export const HANDLERS: Readonly<Record<ResourceType, ResourceHandler>> = {
  Patient: { read: patientRead, search: patientSearch },
  Observation: {
    read: readById('Observation', (read, id) => read.observation(id)),
    search: scopedSearch('Observation', observationPage),
  },
  Condition: {
    read: readById('Condition', (read, id) => read.condition(id)),
    search: scopedSearch('Condition', (read, patientId, _request, options) => read.conditions(patientId, options)),
  },
  DiagnosticReport: {
    read: readById('DiagnosticReport', (read, id) => read.report(id)),
    search: scopedSearch('DiagnosticReport', (read, patientId, _request, options) => read.reports(patientId, options)),
  },
  DocumentReference: {
    read: readById('DocumentReference', (read, id) => read.document(id)),
    search: documentSearch,
  },
  Binary: {},
  Organization: { read: directoryRead('Organization') },
  Practitioner: { read: directoryRead('Practitioner') },
};
