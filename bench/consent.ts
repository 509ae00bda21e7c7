import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PURPOSES, type Purpose } from '../canonical/index.js';
import { createConsentService } from '../consent/service.js';
import { decide } from '../consent/decide.js';
import { matchPurpose, purposeCoding } from '../profiles/purposes.js';
import { createStore, migrate, openDatabase, type RootStore } from '../store/index.js';
import { DEFAULT_SYNTHETIC, syntheticPatient } from '../fixtures/synthetic/generate.js';
import { Random } from '../fixtures/synthetic/random.js';
import { scratchPglite, scratchPostgres } from './lib/scratch.js';
import { summarize, timeCalls } from './lib/stats.js';
import { jsonLines, table, type Figure } from './lib/report.js';

/**
 * Consent decisions per second from the cache, with N patients each holding a choice of their own, beside the
 * pure decide() on the same facts (the ceiling: no cache lookup, no promise), and the time from a committed
 * change to its effect in another gateway process (a second store: its own connections and listener). Every
 * decision waits for a read of the consent clock begun after it was asked, shared by the decisions of one turn of
 * the event loop (consent/service.ts): one caller pays a round trip a decision, many callers (a loaded gateway)
 * share it, so both are measured.
 *
 *   node dist/bench/consent.js [--engine pglite|postgres|both] [--patients N] [--decisions N] [--changes N] [--callers N]
 */
const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    patients: { type: 'string', default: '100000' },
    decisions: { type: 'string', default: '1000000' },
    changes: { type: 'string', default: '300' },
    callers: { type: 'string', default: '256' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const PATIENTS = Number(values.patients);
const DECISIONS = Number(values.decisions);
const CHANGES = Number(values.changes);
const CALLERS = Number(values.callers);
/** One caller pays a clock read a decision: fewer decisions keep that row short. */
const SINGLE_CALLER_DECISIONS = Math.min(DECISIONS, 20_000);
const log = (text: string) => process.stderr.write(`${text}\n`);

const purposeMatches = Object.fromEntries(PURPOSES.map((p) => [p, matchPurpose([purposeCoding(p)])])) as Record<Purpose, ReturnType<typeof matchPurpose>>;

async function load(store: RootStore, db: Awaited<ReturnType<typeof openDatabase>>): Promise<string[]> {
  const ids: string[] = [];
  const rng = new Random(7);
  for (let from = 0; from < PATIENTS; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, PATIENTS - from) }, (_, i) => syntheticPatient(DEFAULT_SYNTHETIC, from + i).patient);
    await store.patients.insertMany(batch, 'bench');
    const choices = batch.map((p) => ({ patient_id: p.id, purposes: PURPOSES.filter(() => rng.chance(0.5)) }));
    // Choices go in as rows: one setChoice per patient would measure the loader, not the decisions.
    await db.query(
      `INSERT INTO consent_patient_choices (patient_id, version, purposes, set_by, set_by_kind)
       SELECT x.patient_id, 1, ARRAY(SELECT jsonb_array_elements_text(x.purposes)), 'bench', 'staff' FROM jsonb_to_recordset($1::jsonb) AS x(patient_id uuid, purposes jsonb)`,
      [JSON.stringify(choices)],
    );
    ids.push(...batch.map((p) => p.id));
    if ((from / 1000) % 20 === 0) log(`  ${from + batch.length} patients`);
  }
  await store.consent.setDefaults(0, ['Treatment'], 'bench');
  return ids;
}

async function run(engine: 'postgres' | 'pglite'): Promise<Figure[]> {
  const scratch = engine === 'postgres' ? await scratchPostgres(values['postgres-url']!) : await scratchPglite();
  const options = engine === 'postgres' ? { databaseUrl: scratch.location } : { dataDir: scratch.location };
  const db = await openDatabase(options);
  try {
    await migrate(db);
    const store = createStore(db);
    log(`${engine}: loading ${PATIENTS} patients with a choice each`);
    const ids = await load(store, db);
    const org = randomUUID();
    const service = createConsentService(store);
    await service.ready();
    const rng = new Random(11);
    const requests = Array.from({ length: DECISIONS }, () => ({
      patientId: ids[rng.int(0, ids.length - 1)]!, organizationId: org, purpose: purposeMatches[rng.pick(PURPOSES)], now: new Date(), connectionActive: true,
    }));
    log(`${engine}: warming the cache`);
    for (const id of ids) await service.decide({ ...requests[0]!, patientId: id });

    log(`${engine}: ${DECISIONS} decisions from the cache, ${CALLERS} callers; ${SINGLE_CALLER_DECISIONS} with one caller`);
    const cached = await timeCalls(DECISIONS, CALLERS, (i) => service.decide(requests[i]!));
    const single = await timeCalls(SINGLE_CALLER_DECISIONS, 1, (i) => service.decide(requests[i]!));
    const facts = new Map<string, Awaited<ReturnType<typeof store.consent.patientFacts>>>();
    for (const id of ids.slice(0, 1000)) facts.set(id, await store.consent.patientFacts(id));
    const pureRequests = requests.map((r, i) => ({ ...r, patientId: ids[i % 1000]! }));
    const pureStarted = performance.now();
    for (const r of pureRequests) {
      const f = facts.get(r.patientId)!;
      decide(r, { connectionActive: true, clinicDefaults: { version: 1, purposes: ['Treatment'] }, ...(f.patientChoice ? { patientChoice: f.patientChoice } : {}), approvals: f.approvals });
    }
    const pureMs = performance.now() - pureStarted;
    const pure = { count: DECISIONS, opsPerSec: DECISIONS / (pureMs / 1000), p50Ms: Number.NaN, p99Ms: Number.NaN };

    log(`${engine}: ${CHANGES} changes, each timed until the other process has dropped its cached copy`);
    const otherDb = engine === 'postgres' ? await openDatabase(options) : db;
    const otherStore = otherDb === db ? store : createStore(otherDb);
    const other = createConsentService(otherStore);
    await other.ready();
    const propagation: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const id = ids[i]!;
      await other.decide({ ...requests[0]!, patientId: id });
      const arrived = other.nextInvalidation(id);
      const current = (await store.consent.currentChoice(id))!.version;
      // From the start of the change (its commit included) until the other process has dropped its copy: the
      // notification can reach the listener before the writer has even read its COMMIT reply.
      const started = performance.now();
      await store.consent.setChoice(id, current, [], { setBy: 'bench', kind: 'staff' });
      await arrived;
      propagation.push(performance.now() - started);
      const after = await other.decide({ ...requests[0]!, patientId: id, purpose: purposeMatches.Treatment });
      if (after.result !== 'deny') throw new Error('a revoked permit was still served after its notification');
    }
    await other.close();
    if (otherDb !== db) await otherDb.close();
    await service.close();
    const prop = { ...summarize(CHANGES, { latenciesMs: propagation, wallMs: 1 }), opsPerSec: Number.NaN };

    return [
      { engine, operation: `decision from the cache (${PATIENTS} patients with own choices)`, callers: CALLERS, ...summarize(DECISIONS, cached), ceiling: { operation: 'pure decide()', opsPerSec: pure.opsPerSec } },
      { engine, operation: `decision from the cache (${PATIENTS} patients with own choices)`, callers: 1, ...summarize(SINGLE_CALLER_DECISIONS, single), ceiling: { operation: 'pure decide()', opsPerSec: pure.opsPerSec } },
      { engine, operation: 'pure decide() on loaded facts', callers: 1, ...pure },
      { engine, operation: 'change (with its commit) → effect in another process', callers: 1, ...prop },
    ];
  } finally {
    await db.close().catch(() => undefined);
    await scratch.dispose();
  }
}

const engines = values.engine === 'both' ? (['pglite', 'postgres'] as const) : [values.engine as 'pglite' | 'postgres'];
const figures: Figure[] = [];
for (const engine of engines) figures.push(...(await run(engine)));
process.stdout.write(`${table(figures)}\n`);
process.stdout.write(`${jsonLines('consent', figures, { patients: PATIENTS, decisions: DECISIONS, changes: CHANGES, callers: CALLERS, date: new Date().toISOString() })}\n`);
