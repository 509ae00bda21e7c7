import type { FhirResource } from 'fhir/r4.js';
import type { StoredWindow } from '../../../store/index.js';
import type { SubjectFinder } from '../../outbound/subject-finder.js';
import type { IncludeName, ResourceType, RevIncludeName } from '../capability-table.js';
import { FhirError } from '../outcome.js';
import { alternatives, dateRange, isOurId, parseToken, referenceId, single, type SearchParams } from '../params.js';

/** One search as a handler sees it: the applied filters and how the answer is to be shaped. */
export interface SearchRequest {
  readonly params: SearchParams;
  /** Position from a page token, undefined for the first page. */
  readonly after: unknown;
  readonly count: number;
  readonly baseUrl: string;
  /** A page of matches, or (`_summary=count`) only how many match of what consent lets out. */
  readonly answer: 'page' | 'count';
  /** `_total=accurate|estimate`: the count beside the page, where it is one count query. */
  readonly total: boolean;
  readonly include: readonly IncludeName[];
  readonly revinclude: readonly RevIncludeName[];
}

/** What a search disclosed: this page's matches and included resources, and where the next page starts. */
export interface SearchResult {
  readonly matches: readonly FhirResource[];
  readonly included: readonly FhirResource[];
  /** More resources were to be included than a page carries. */
  readonly includeCapped: boolean;
  readonly total?: number;
  readonly next?: unknown;
}

export const NOTHING: SearchResult = { matches: [], included: [], includeCapped: false };

/** The answer for a patient we may say nothing about (unknown, or denied by consent). */
export function nothingFor(request: SearchRequest): SearchResult {
  return request.answer === 'count' || request.total ? { ...NOTHING, total: 0 } : NOTHING;
}

/**
 * Codes as the store matches them: `system|code`; a code alone (`code`) is of any system; `system|` is any code of
 * that system; `|code` (explicitly no system) is kept as written, which no stored coding (each has a system) matches.
 */
export function codeTokens(params: SearchParams, name: string): string[] | undefined {
  const values = params.get(name);
  if (!values) return undefined;
  if (values.length > 1) throw new FhirError(400, 'not-supported', `parameter ${name} may be given once (use commas for alternatives)`, name);
  return values.flatMap(alternatives).map((v) => {
    const t = parseToken(v, name);
    if (!t.code && !t.system) throw new FhirError(400, 'invalid', `parameter ${name}: a code, a system (system|) or both are needed`, name);
    if (!t.code) return `${t.system}|`;
    if (!t.system) return v.startsWith('|') ? v : t.code;
    return `${t.system}|${t.code}`;
  });
}

/**
 * Codes of a parameter whose codes come from one code system (status, category): given with that system or
 * without one. A code of another system matches nothing, so the list may come back empty; `system|` alone
 * (any code of the system) is no filter at all.
 */
export function fixedCodes(params: SearchParams, name: string, system: string): string[] | undefined {
  const values = params.get(name);
  if (!values) return undefined;
  if (values.length > 1) throw new FhirError(400, 'not-supported', `parameter ${name} may be given once (use commas for alternatives)`, name);
  const codes: string[] = [];
  for (const value of values.flatMap(alternatives)) {
    const t = parseToken(value, name);
    if (t.system && t.system !== system) continue;
    if (!t.code) return undefined;
    codes.push(t.code);
  }
  return codes;
}

/**
 * A date parameter that may be repeated to bound both ends (`ge2025&le2026`), as one range [from, to); several
 * names for the same instant (a DocumentReference's `date` and `_lastUpdated`) AND together.
 */
export function dateWindow(params: SearchParams, ...names: readonly string[]): { from?: string; to?: string } {
  let from: string | undefined;
  let to: string | undefined;
  for (const name of names) {
    for (const value of params.get(name) ?? []) {
      const r = dateRange(value, name);
      if (r.from && (!from || r.from > from)) from = r.from;
      if (r.to && (!to || r.to < to)) to = r.to;
    }
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

export function storedWindowFrom(from: string | undefined, to?: string): StoredWindow {
  return { ...(from ? { storedFrom: from } : {}), ...(to ? { storedTo: to } : {}) };
}

/** `_lastUpdated` as a window on the stored time, and `_id` as the records it may match. */
export function storedWindow(params: SearchParams): StoredWindow {
  const { from, to } = dateWindow(params, '_lastUpdated');
  return { ...storedWindowFrom(from, to), ...recordIds(params) };
}

/** `_id`: any of a value's comma-separated ids; a repeated `_id` keeps the ids every one names (search.html#combining). */
export function recordIds(params: SearchParams): Pick<StoredWindow, 'ids'> {
  const values = params.get('_id');
  if (!values || values.length === 0) return {};
  const named = values.map((v) => new Set(alternatives(v)));
  if (named.some((n) => n.has(''))) throw new FhirError(400, 'invalid', '_id has an empty value', '_id');
  return { ids: [...named[0]!].filter((id) => named.every((n) => n.has(id))) };
}

/**
 * The one patient a patient-scoped search is about: `patient` or `subject` (a reference) or `patient.identifier`
 * (system|value). Searches across patients are refused: every disclosure is decided per patient, and a partner
 * asks about the patient it treats.
 */
export async function scopedPatient(params: SearchParams, find: SubjectFinder, baseUrl: string, type: ResourceType): Promise<string[]> {
  const given = ['patient', 'subject', 'patient.identifier'].filter((n) => params.has(n));
  if (given.length === 0) throw new FhirError(400, 'too-costly', `a ${type} search must name its patient: ${type === 'Consent' ? 'patient' : 'patient, subject or patient.identifier'}`, 'patient');
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
