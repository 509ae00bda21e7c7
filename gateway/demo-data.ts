import type { Store } from '../store/index.js';
import { DEFAULT_SYNTHETIC, syntheticDirectory, syntheticPatient, type SyntheticOptions } from '../fixtures/synthetic/generate.js';

export interface SeedResult {
  readonly created: number;
  readonly existing: number;
  readonly observations: number;
  readonly documents: number;
}

const PATIENTS_PER_TRANSACTION = 100;

/** The purposes the demo clinic answers by default (a new real install starts opt-in, with none). */
export const DEMO_DEFAULT_PURPOSES = ['Treatment', 'Patient Request'] as const;

/**
 * Writes synthetic patients 0..count-1 with their records. Patients already present (same deterministic id) are
 * left alone, so seeding again, or with a larger count, adds only what is missing. Each batch is one transaction.
 */
export async function seedSynthetic(
  store: Store,
  count: number,
  options: SyntheticOptions = DEFAULT_SYNTHETIC,
  onProgress?: (done: number, total: number) => void,
): Promise<SeedResult> {
  const { organization, practitioner } = syntheticDirectory(options.clinic);
  await store.organizations.save(organization);
  await store.practitioners.save(practitioner);
  let created = 0;
  let existing = 0;
  let observations = 0;
  let documents = 0;
  for (let from = 0; from < count; from += PATIENTS_PER_TRANSACTION) {
    const batch = Array.from({ length: Math.min(PATIENTS_PER_TRANSACTION, count - from) }, (_, i) => syntheticPatient(options, from + i));
    const present = new Set((await store.patients.getMany(batch.map((r) => r.patient.id))).map((r) => r.patient.id));
    const missing = batch.filter((r) => !present.has(r.patient.id));
    existing += batch.length - missing.length;
    if (missing.length > 0) {
      await store.transaction(async (tx) => {
        await tx.patients.insertMany(missing.map((r) => r.patient), 'synthetic');
        await tx.conditions.insertMany(missing.flatMap((r) => r.conditions));
        await tx.carePrograms.insertMany(missing.flatMap((r) => r.enrolments));
        await tx.reports.insertMany(missing.flatMap((r) => r.reports));
        await tx.observations.insertMany(missing.flatMap((r) => r.observations));
        for (const d of missing.flatMap((r) => r.documents)) await tx.documents.insert(d.doc, d.content);
      });
      created += missing.length;
      observations += missing.reduce((n, r) => n + r.observations.length, 0);
      documents += missing.reduce((n, r) => n + r.documents.length, 0);
    }
    onProgress?.(Math.min(from + PATIENTS_PER_TRANSACTION, count), count);
  }
  return { created, existing, observations, documents };
}
