import { coalesce } from './coalesce.js';
import type { DocumentQuery } from './documents.js';
import { resolvedAt, type Resolved, type ResolveOptions } from './patients.js';
import type { ListOptions, Page, PageAsk } from './record-table.js';
import type { Store } from './store.js';
import { isUuid } from './uuid.js';

/** Items read in one statement at most; a batch is as large as the requests that ask while one is read. */
const MAX_BATCH = 200;

/**
 * The store as the outbound pipeline uses it: the lookups most outbound requests make once (their patient by id or
 * identifier, the patient's record, a page of a list search, a registry listing with its record stamp) are read
 * for all the requests that ask at the same time in one statement (store/coalesce.ts), each answered as if it had
 * read alone. Everything else, transactions included, is the store itself.
 */
export function coalescedReads(store: Store): Store {
  // Lookups that read the patient's record too are batched apart: the others do not pay for reading records.
  const resolveIds = [false, true].map((withRecords) => coalesce(async (ids: readonly string[]) => each(await store.patients.resolveIds(ids, { withRecords })), MAX_BATCH));
  const resolveIdentifiers = [false, true].map((withRecords) => coalesce(
    async (identifiers: readonly { system: string; value: string }[]) => each(await store.patients.resolveIdentifiers(identifiers, { withRecords })), MAX_BATCH,
  ));
  const patients = coalesce(async (ids: readonly string[]) => {
    const found = new Map((await store.patients.getMany(ids.filter(isUuid))).map((r) => [r.patient.id, r]));
    return ids.map((id) => found.get(id));
  }, MAX_BATCH);
  const observations = pagedLists(store.observations.listMany);
  const conditions = pagedLists(store.conditions.listMany);
  const reports = pagedLists(store.reports.listMany);
  const enrolments = pagedLists(store.carePrograms.listMany);
  const listings = coalesce((items: readonly { patientId: string; query: DocumentQuery }[]) => bySameQuery(items, (group, query: DocumentQuery) => store.documents.registeredWithStampMany(group.map((g) => g.patientId), query)), MAX_BATCH);

  return {
    ...store,
    patients: {
      ...store.patients,
      resolveId: (id: string, options: ResolveOptions = {}) => resolveIds[Number(options.withRecords ?? false)]!(id),
      resolveIdentifier: (system: string, value: string, options: ResolveOptions = {}) => resolveIdentifiers[Number(options.withRecords ?? false)]!({ system, value }),
      get: (id: string) => patients(id),
    },
    documents: { ...store.documents, registeredWithStamp: (patientId: string, query: DocumentQuery = {}) => listings({ patientId, query }) },
    observations: { ...store.observations, list: (patientId, query = {}) => observations({ patientId, query }) },
    conditions: { ...store.conditions, list: (patientId, query = {}) => conditions({ patientId, query }) },
    reports: { ...store.reports, list: (patientId, query = {}) => reports({ patientId, query }) },
    carePrograms: { ...store.carePrograms, list: (patientId, options = {}) => enrolments({ patientId, query: options }) },
  };
}

/** Each lookup of a batch with the change clock and consent facts the batch's statement read. */
const each = (read: Resolved) => read.value.map((_, i) => resolvedAt(read, i));

/**
 * A list search (one patient's page of records) whose calls are coalesced: pages asked with the same query, each
 * from its own cursor, are read together.
 */
function pagedLists<Q extends ListOptions, T>(listMany: (asks: readonly PageAsk[], query: Q) => Promise<Page<T>[]>): (ask: { patientId: string; query: Q }) => Promise<Page<T>> {
  return coalesce(async (asks: readonly { patientId: string; query: Q }[]) => {
    const split = asks.map(({ patientId, query }) => {
      const { after, ...shared } = query;
      return { ask: after ? { patientId, after } : { patientId }, query: shared as Q };
    });
    return bySameQuery(split, (group, query) => listMany(group.map((g) => g.ask), query));
  }, MAX_BATCH);
}

/** Items asking the same query are read together, one statement for each different query, each in its place. */
async function bySameQuery<I extends { readonly query: unknown }, Q extends I['query'], R>(
  items: readonly I[],
  read: (group: readonly I[], query: Q) => Promise<readonly R[]>,
): Promise<R[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = JSON.stringify(item.query);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const results: R[] = new Array<R>(items.length);
  await Promise.all([...groups.values()].map(async (indexes) => {
    const found = await read(indexes.map((i) => items[i]!), items[indexes[0]!]!.query as Q);
    indexes.forEach((i, j) => (results[i] = found[j]!));
  }));
  return results;
}
