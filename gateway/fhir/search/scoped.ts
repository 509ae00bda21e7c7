import type { ListOptions } from '../../../store/index.js';
import type { ConsentedReader, Countable } from '../../outbound/consented-reader.js';
import type { Disclosure } from '../../outbound/pipeline.js';
import { renderAny, type RecordType, type Renderable } from '../render.js';
import { resolveIncludes } from './includes.js';
import { NOTHING, nothingFor, scopedPatient, type SearchRequest, type SearchResult } from './request.js';

/**
 * How one patient-scoped type is searched: its filters parsed from the request (before anything is read, so a
 * bad parameter is refused without a disclosure), a page of its records, and the count of the same query.
 */
export interface ScopedKind<Q> {
  readonly type: Exclude<RecordType, 'Patient' | 'Organization' | 'Practitioner'>;
  query(request: SearchRequest): Q;
  page(read: ConsentedReader, patientId: string, query: Q, count: number, after: unknown): Promise<{ items: readonly Renderable[]; next?: unknown }>;
  countable(query: Q): Countable;
}

/** A keyset page of a record table, as ListOptions carries its position. */
export function keyset(count: number, after: unknown): Pick<ListOptions, 'limit' | 'after'> {
  return { limit: count, ...(after ? { after: after as NonNullable<ListOptions['after']> } : {}) };
}

/** Reads one page (or the count) of a permitted patient's records; nothing when the patient was denied or not found. */
export function scopedSearch<Q>(kind: ScopedKind<Q>): (request: SearchRequest) => Disclosure<SearchResult> {
  return (request) => {
    const query = kind.query(request);
    return {
      subjects: (find) => scopedPatient(request.params, find, request.baseUrl, kind.type),
      async respond(read, verdict) {
        const patientId = verdict.permitted[0];
        if (!patientId) return nothingFor(request);
        if (request.answer === 'count') return { ...NOTHING, total: await read.count(patientId, kind.countable(query)) };
        const total = request.total ? await read.count(patientId, kind.countable(query)) : undefined;
        const page = await kind.page(read, patientId, query, request.count, request.after);
        const matches = await renderAny(read, kind.type, page.items, request.baseUrl);
        const includes = await resolveIncludes(read, request.include, page.items, request.baseUrl);
        return { matches, ...includes, ...(total !== undefined ? { total } : {}), ...(page.next !== undefined ? { next: page.next } : {}) };
      },
    };
  };
}
