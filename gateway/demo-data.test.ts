import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { DEFAULT_SYNTHETIC, syntheticPatient } from '../fixtures/synthetic/generate.js';
import { seedSynthetic } from './demo-data.js';

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => t.close());

describe(`demo data seeding on ${engineUnderTest}`, () => {
  it('writes the synthetic patients with all their records, and a second run adds only what is missing', async () => {
    const progress: number[] = [];
    const first = await seedSynthetic(t.store, 120, DEFAULT_SYNTHETIC, (done) => progress.push(done));
    expect(first.created).toBe(120);
    expect(first.existing).toBe(0);
    expect(progress).toEqual([100, 120]);
    const counts = await t.store.counts();
    expect(counts).toMatchObject({ patients: 120, observations: first.observations, documents: first.documents, organizations: 1, practitioners: 1 });
    expect(counts.reports).toBeGreaterThan(0);
    expect(counts.enrolments).toBeGreaterThan(0);

    const again = await seedSynthetic(t.store, 150);
    expect(again).toMatchObject({ created: 30, existing: 120 });
    expect((await t.store.counts()).patients).toBe(150);
  });

  it('stores what the generator made, readable by the identifiers it carries', async () => {
    const record = syntheticPatient(DEFAULT_SYNTHETIC, 7);
    const identifier = record.patient.identifiers![0]!;
    const found = await t.store.patients.findByIdentifier(identifier.system, identifier.value);
    expect(found?.patient.id).toBe(record.patient.id);
    const stored = await t.store.observations.list(record.patient.id, { limit: 1000 });
    expect(stored.items.map((o) => o.id).sort()).toEqual(record.observations.map((o) => o.id).sort());
  });
});
