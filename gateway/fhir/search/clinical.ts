import { oidOf } from '../../../canonical/index.js';
import { CONDITION_CATEGORY } from '../../../mappers/fhir/condition.js';
import { escapeV2 } from '../../../mappers/fhir/parse/hl7v2.js';
import type { ConditionQuery, DocumentQuery, ObservationQuery, ReportQuery, StoredWindow } from '../../../store/index.js';
import { FhirError } from '../outcome.js';
import { alternatives, dateBounds, parseToken, type SearchParams } from '../params.js';
import { keyset, type ScopedKind } from './scoped.js';
import { codeTokens, dateWindow, fixedCodes, recordIds, storedWindow, storedWindowFrom } from './request.js';

/** The filters of each patient-scoped type, as the store answers them in SQL (so pages stay whole). */
const OBSERVATION_STATUS = 'http://hl7.org/fhir/observation-status';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

const defined = <T extends object>(q: T): T => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as T;

export const observations: ScopedKind<ObservationQuery> = {
  type: 'Observation',
  query({ params }) {
    const range = dateWindow(params, 'date');
    return defined<ObservationQuery>({
      codes: codeTokens(params, 'code'), from: range.from, to: range.to, statuses: fixedCodes(params, 'status', OBSERVATION_STATUS),
      categories: fixedCodes(params, 'category', OBSERVATION_CATEGORY), ...storedWindow(params),
    });
  },
  page: (read, patientId, query, count, after) => read.observations(patientId, { ...query, ...keyset(count, after) }),
  countable: (query) => ({ type: 'Observation', query }),
};

export const conditions: ScopedKind<ConditionQuery> = {
  type: 'Condition',
  query: ({ params }) => {
    // Every Condition is a problem-list item: a category asking for another kind asks for none of them.
    const categories = fixedCodes(params, 'category', CONDITION_CATEGORY);
    const none = categories && !categories.includes('problem-list-item') ? { ids: [] } : {};
    return defined<ConditionQuery>({
      codes: codeTokens(params, 'code'), clinicalStatuses: fixedCodes(params, 'clinical-status', CONDITION_CLINICAL), ...storedWindow(params), ...none,
    });
  },
  page: (read, patientId, query, count, after) => read.conditions(patientId, { ...query, ...keyset(count, after) }),
  countable: (query) => ({ type: 'Condition', query }),
};

export const reports: ScopedKind<ReportQuery> = {
  type: 'DiagnosticReport',
  query: ({ params }) => storedWindow(params),
  page: (read, patientId, query, count, after) => read.reports(patientId, { ...query, ...keyset(count, after) }),
  countable: (query) => ({ type: 'DiagnosticReport', query }),
};

export const enrolments: ScopedKind<StoredWindow> = {
  type: 'EpisodeOfCare',
  query: ({ params }) => storedWindow(params),
  page: (read, patientId, query, count, after) => read.enrolments(patientId, { ...query, ...keyset(count, after) }),
  countable: (query) => ({ type: 'EpisodeOfCare', query }),
};

/** R4's DocumentReference statuses as XDS has them; entered-in-error has no XDS counterpart, so nothing of ours is. */
const DOCUMENT_STATUS: Readonly<Record<string, 'approved' | 'deprecated' | null>> = { current: 'approved', superseded: 'deprecated', 'entered-in-error': null };
const URI = 'urn:ietf:rfc:3986';

/**
 * `identifier` as the DocumentReference shows it: the masterIdentifier (an OID uniqueId as urn:ietf:rfc:3986|urn:oid:…,
 * an OID^extension as urn:oid:<oid>|<extension>) or the entryUUID (urn:ietf:rfc:3986|urn:uuid:…).
 */
function documentIdentifiers(params: SearchParams): Pick<DocumentQuery, 'uniqueIds' | 'entryUuids'> {
  const values = params.get('identifier');
  if (!values) return {};
  if (values.length > 1) throw new FhirError(400, 'not-supported', 'parameter identifier may be given once (use commas for alternatives)', 'identifier');
  const uniqueIds: string[] = [];
  const entryUuids: string[] = [];
  for (const value of values.flatMap(alternatives)) {
    const t = parseToken(value, 'identifier');
    if (!t.code) throw new FhirError(400, 'invalid', 'identifier needs a value', 'identifier');
    if (t.system && t.system !== URI) {
      if (t.system.startsWith('urn:oid:')) uniqueIds.push(`${t.system.slice('urn:oid:'.length)}^${t.code}`);
      continue;
    }
    if (t.code.startsWith('urn:uuid:')) entryUuids.push(t.code);
    else if (t.code.startsWith('urn:oid:')) uniqueIds.push(t.code.slice('urn:oid:'.length));
  }
  return { uniqueIds, entryUuids };
}

export function documentQuery(params: SearchParams): DocumentQuery {
  const asked = (params.get('status') ?? []).flatMap(alternatives).map((s) => {
    const status = DOCUMENT_STATUS[s];
    if (status === undefined) throw new FhirError(400, 'invalid', `status must be current, superseded or entered-in-error, not "${s}"`, 'status');
    return status;
  });
  const statuses = asked.filter((s): s is 'approved' | 'deprecated' => s !== null);
  // Only entered-in-error asked for: no document matches (an empty list of ids matches none).
  const none = asked.length > 0 && statuses.length === 0 ? { ids: [] } : {};
  const c = dateWindow(params, 'creation');
  const codes = (name: string) => codeTokens(params, name);
  return defined<DocumentQuery>({
    statuses: statuses.length ? statuses : undefined, classCodes: codes('category'), typeCodes: codes('type'), formatCodes: codes('format'),
    practiceSettingCodes: codes('setting'), facilityTypeCodes: codes('facility'), eventCodes: codes('event'),
    confidentialityCodes: codes('security-label'), creationFrom: c.from, creationTo: c.to, ...servicePeriod(params),
    authorFamilies: authorNames(params, 'author.family'), authorGivens: authorNames(params, 'author.given'),
    referenceIds: relatedIds(params), ...documentIdentifiers(params), ...registered(params), ...none,
  });
}

/** `date` (when the entry was registered here, DocumentReference.date) and `_lastUpdated` are the same instant. */
function registered(params: SearchParams): StoredWindow {
  const { from, to } = dateWindow(params, 'date', '_lastUpdated');
  return { ...storedWindowFrom(from, to), ...recordIds(params) };
}

/** A string parameter on the author's name: each occurrence ANDs, commas give alternatives (search.html#string). */
function authorNames(params: SearchParams, name: string): string[] | undefined {
  const values = params.get(name);
  if (!values) return undefined;
  if (values.length > 1) throw new FhirError(400, 'not-supported', `parameter ${name} may be given once (use commas for alternatives)`, name);
  const names = alternatives(values[0]!).map((v) => v.trim()).filter((v) => v.length > 0);
  if (names.length === 0) throw new FhirError(400, 'invalid', `parameter ${name} has an empty value`, name);
  return names.map(escapeV2);
}

/** `related`: a reference id by its value, or system|value to name the authority that issued it. */
function relatedIds(params: SearchParams): DocumentQuery['referenceIds'] {
  const values = params.get('related');
  if (!values) return undefined;
  if (values.length > 1) throw new FhirError(400, 'not-supported', 'parameter related may be given once (use commas for alternatives)', 'related');
  return alternatives(values[0]!).map((v) => {
    const t = parseToken(v, 'related');
    if (!t.code) throw new FhirError(400, 'invalid', 'related needs a value', 'related');
    if (!t.system) return { value: escapeV2(t.code) };
    const authority = oidOf(t.system);
    if (!authority) throw new FhirError(400, 'invalid', `related: ${t.system} names no OID authority, as XDS reference ids carry`, 'related');
    return { value: escapeV2(t.code), authority };
  });
}

type PeriodBounds = Pick<DocumentQuery, 'serviceStartFrom' | 'serviceStartTo' | 'serviceStopTo' | 'serviceEndFrom'>;

/**
 * `period` on the service period, as FHIR compares a date with a Period (search.html#prefix): eq, the period lies
 * within the value; ge/gt and le/lt, it overlaps the range above or below; sa/eb, it lies wholly after or before.
 * A period without an end is ongoing. Repeats AND.
 */
function servicePeriod(params: SearchParams): PeriodBounds {
  const bounds: { -readonly [K in keyof PeriodBounds]: string } = {};
  const later = (key: 'serviceStartFrom' | 'serviceEndFrom', at: string) => { if (!bounds[key] || at > bounds[key]) bounds[key] = at; };
  const earlier = (key: 'serviceStartTo' | 'serviceStopTo', at: string) => { if (!bounds[key] || at < bounds[key]) bounds[key] = at; };
  for (const value of params.get('period') ?? []) {
    const { prefix, start, end } = dateBounds(value, 'period');
    switch (prefix) {
      case 'eq': later('serviceStartFrom', start); earlier('serviceStopTo', end); break;
      case 'ge': later('serviceEndFrom', start); break;
      case 'gt': later('serviceEndFrom', end); break;
      case 'le': earlier('serviceStartTo', end); break;
      case 'lt': earlier('serviceStartTo', start); break;
      case 'sa': later('serviceStartFrom', end); break;
      case 'eb': earlier('serviceStopTo', start); break;
    }
  }
  return bounds;
}

/** Documents (at most 1,000 a patient) are paged by an offset into their newest-first list. */
export const documents: ScopedKind<DocumentQuery> = {
  type: 'DocumentReference',
  query: ({ params }) => documentQuery(params),
  async page(read, patientId, query, count, after) {
    const start = typeof after === 'number' ? after : 0;
    const items = await read.documents(patientId, { ...query, limit: count, offset: start });
    // Counted rather than read one ahead: a document read is a disclosure, noted as such.
    const more = items.length === count && (await read.count(patientId, { type: 'DocumentReference', query })) > start + count;
    return { items, ...(more ? { next: start + count } : {}) };
  },
  countable: (query) => ({ type: 'DocumentReference', query }),
};
