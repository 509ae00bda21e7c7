import type { AtClock } from './change-feed.js';
import { coalesce } from './coalesce.js';
import type { DocumentQuery } from './documents.js';
import type { Store } from './store.js';
import { isUuid } from './uuid.js';

/** Items read in one statement at most; a batch is as large as the requests that ask while one is read. */
const MAX_BATCH = 200;

/**
 * The store as the outbound pipeline uses it: the lookups most outbound requests make once (their patient by id or
 * identifier, the patient's record, a registry listing with its record stamp) are read for all the requests that
 * ask at the same time in one statement (store/coalesce.ts), each answered as if it had read alone. Everything
 * else, transactions included, is the store itself.
 */
export function coalescedReads(store: Store): Store {
  const resolveIds = coalesce(async (ids: readonly string[]) => spread(await store.patients.resolveIds(ids)), MAX_BATCH);
  const resolveIdentifiers = coalesce(async (identifiers: readonly { system: string; value: string }[]) => spread(await store.patients.resolveIdentifiers(identifiers)), MAX_BATCH);
  const patients = coalesce(async (ids: readonly string[]) => {
    const found = new Map((await store.patients.getMany(ids.filter(isUuid))).map((r) => [r.patient.id, r]));
    return ids.map((id) => found.get(id));
  }, MAX_BATCH);
  const listings = coalesce((items: readonly { patientId: string; query: DocumentQuery }[]) => bySameQuery(items, (ids, query) => store.documents.registeredWithStampMany(ids, query)), MAX_BATCH);

  return {
    ...store,
    patients: {
      ...store.patients,
      resolveId: (id: string) => resolveIds(id),
      resolveIdentifier: (system: string, value: string) => resolveIdentifiers({ system, value }),
      get: (id: string) => patients(id),
    },
    documents: { ...store.documents, registeredWithStamp: (patientId: string, query: DocumentQuery = {}) => listings({ patientId, query }) },
  };
}

/** Each item of a batch read with the change clock the batch's statement read. */
function spread<T>(read: AtClock<readonly T[]>): AtClock<T>[] {
  return read.value.map((value) => ({ value, changeClock: read.changeClock }));
}

/** Items asking the same query are read together, one statement for each different query. */
async function bySameQuery<R>(
  items: readonly { patientId: string; query: DocumentQuery }[],
  read: (patientIds: string[], query: DocumentQuery) => Promise<readonly R[]>,
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
    const found = await read(indexes.map((i) => items[i]!.patientId), items[indexes[0]!]!.query);
    indexes.forEach((i, j) => (results[i] = found[j]!));
  }));
  return results;
}
