import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aDocument, anObservation, aPatient } from '../test/support/factories.js';
import { coalescedReads } from './coalesced-reads.js';
import type { Store } from './store.js';

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => t.close());

/** The store with the batch reads behind the coalesced lookups counted. */
function counting(store: Store) {
  const calls = { resolveIds: 0, resolveIdentifiers: 0, getMany: 0, listings: 0, pages: 0 };
  const counted: Store = {
    ...store,
    patients: {
      ...store.patients,
      resolveIds: (ids) => { calls.resolveIds += 1; return store.patients.resolveIds(ids); },
      resolveIdentifiers: (identifiers) => { calls.resolveIdentifiers += 1; return store.patients.resolveIdentifiers(identifiers); },
      getMany: (ids) => { calls.getMany += 1; return store.patients.getMany(ids); },
    },
    documents: { ...store.documents, registeredWithStampMany: (ids, query) => { calls.listings += 1; return store.documents.registeredWithStampMany(ids, query); } },
    observations: { ...store.observations, listMany: (asks, query) => { calls.pages += 1; return store.observations.listMany(asks, query); } },
  };
  return { counted, calls };
}

describe(`coalesced reads on ${engineUnderTest}`, () => {
  it('answers lookups asked at the same time from one statement each, every caller as if it had read alone', async () => {
    const { store } = t;
    const patients = await Promise.all(Array.from({ length: 6 }, () => store.patients.insert(aPatient())));
    for (const [i, p] of patients.entries()) {
      if (i % 2 > 0) continue;
      const d = aDocument(p.id, `d${i}`);
      await store.documents.insert(d.doc, d.content);
    }
    const ids = [...patients.map((p) => p.id), randomUUID(), 'not-a-uuid'];
    const { counted, calls } = counting(store);
    const reads = coalescedReads(counted);

    const asked = ids.map((id, i) => ({ id, query: i % 3 === 0 ? { limit: 1 } : {} }));
    const [resolved, byIdentifier, records, listings] = await Promise.all([
      Promise.all(ids.map((id) => reads.patients.resolveId(id))),
      Promise.all(patients.map((p) => reads.patients.resolveIdentifier(p.identifiers[0]!.system, p.identifiers[0]!.value))),
      Promise.all(ids.map((id) => reads.patients.get(id))),
      Promise.all(asked.map((a) => reads.documents.registeredWithStamp(a.id, a.query))),
    ]);

    expect(resolved.map((r) => r.value)).toEqual([...patients.map((p) => p.id), undefined, undefined]);
    expect(byIdentifier.map((r) => r.value)).toEqual(patients.map((p) => p.id));
    for (const [i, id] of ids.entries()) {
      expect(records[i]).toEqual(id === 'not-a-uuid' ? undefined : await store.patients.get(id));
      expect(listings[i]).toEqual(id === 'not-a-uuid' ? undefined : await store.documents.registeredWithStamp(id, asked[i]!.query));
    }
    // Each clock was read by a statement that started after every lookup of its batch was asked.
    const clock = await store.changeClock();
    expect(resolved.every((r) => r.changeClock === clock)).toBe(true);
    // One statement for each kind of lookup; the listings asked two different queries.
    expect(calls).toEqual({ resolveIds: 1, resolveIdentifiers: 1, getMany: 1, listings: 2, pages: 0 });
  });

  it('reads the pages of list searches asked at the same time together, each from its own cursor', async () => {
    const { store } = t;
    const patients = await Promise.all(Array.from({ length: 3 }, () => store.patients.insert(aPatient())));
    await store.observations.insertMany(patients.flatMap((p) => ['2024-01-01', '2024-02-01', '2024-03-01'].map((effective) => anObservation(p.id, { effective }))));
    const first = await store.observations.list(patients[0]!.id, { limit: 2 });
    const { counted, calls } = counting(store);
    const reads = coalescedReads(counted);
    const asked = [
      { patientId: patients[0]!.id, query: { limit: 2, after: first.next! } }, { patientId: patients[1]!.id, query: { limit: 2 } },
      { patientId: patients[2]!.id, query: { limit: 2 } }, { patientId: patients[2]!.id, query: { limit: 1, codes: ['urn:none|x'] } },
    ];
    const pages = await Promise.all(asked.map((a) => reads.observations.list(a.patientId, a.query)));
    for (const [i, a] of asked.entries()) expect(pages[i]).toEqual(await store.observations.list(a.patientId, a.query));
    expect(pages.map((p) => p.items.length)).toEqual([1, 2, 2, 0]);
    // Two different queries (the cursor is not part of one): two batch reads.
    expect(calls.pages).toBe(2);
  });

  it('reads what changed after an earlier batch: nothing is kept between batches', async () => {
    const { store } = t;
    const reads = coalescedReads(store);
    const p = await store.patients.insert(aPatient());
    const before = await reads.documents.registeredWithStamp(p.id);
    const later = aDocument(p.id, 'later');
    await store.documents.insert(later.doc, later.content);
    const after = await reads.documents.registeredWithStamp(p.id);
    expect(before!.documents).toHaveLength(0);
    expect(after!.documents).toHaveLength(1);
  });

  it('fails only the callers of a batch whose statement failed', async () => {
    const { store } = t;
    let fail = true;
    const reads = coalescedReads({
      ...store,
      patients: { ...store.patients, resolveIds: (ids) => (fail ? Promise.reject(new Error('connection lost')) : store.patients.resolveIds(ids)) },
    });
    const p = await store.patients.insert(aPatient());
    await expect(Promise.all([reads.patients.resolveId(p.id), reads.patients.resolveId(p.id)])).rejects.toThrow('connection lost');
    fail = false;
    expect((await reads.patients.resolveId(p.id)).value).toBe(p.id);
  });
});
