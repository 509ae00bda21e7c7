/**
 * Store benchmark: insert rates and indexed lookups through the Store API (zod validation included) on PGlite
 * and PostgreSQL, each lookup beside a ceiling measured on the same connection in the same run.
 *
 *   npm run build && node dist/bench/store.js [--engine pglite|postgres|both] [--patients N] [--observations N]
 *     [--lookups N] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Each engine gets a scratch database (PostgreSQL: a new database on the server at --postgres-url; PGlite: a data
 * directory under the system's temporary directory), removed at the end. Progress goes to stderr; the figures go
 * to stdout as a table and as one JSON object per line.
 */
import { parseArgs } from 'node:util';
import { CodeSystems, familyKey, type InboundFormat, type ObservationInput, type PatientInput } from '../canonical/index.js';
import { DEFAULT_SYNTHETIC, syntheticPatient, type SyntheticDocument } from '../fixtures/synthetic/generate.js';
import { codingsOf, MEASUREMENTS, type MeasurementSpec } from '../fixtures/synthetic/measurements.js';
import { Random } from '../fixtures/synthetic/random.js';
import type { Database, Engine } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { openDatabase, type StoreOptions } from '../store/open.js';
import { createStore, type RootStore } from '../store/store.js';
import { jsonLines, table, type Figure } from './lib/report.js';
import { scratchPglite, scratchPostgres } from './lib/scratch.js';
import { summarize, timeCalls, timeInTurns, type Timing } from './lib/stats.js';

const DEFAULT_OBSERVATIONS: Record<Engine, number> = { postgres: 5_000_000, pglite: 1_000_000 };
const PATIENT_BATCH = 1000;
const OBSERVATION_BATCH = 4000;
const DOCUMENTS = 5000;
const INBOUND_MESSAGES = 10_000;
const CONCURRENT_CALLERS = 8;
/** Calls made before each timed run (with keys of their own), so JIT compilation and cold catalog caches are not in the figures. */
const WARMUP = 200;
const OBSERVATION_SEED = 4501;
const LOOKUP_SEED = 4502;
const INBOUND_SEED = 4503;

const DAY_MS = 86_400_000;
const AS_OF_MS = Date.parse(`${DEFAULT_SYNTHETIC.asOf}T00:00:00Z`);
const HISTORY_MS = 10 * 365 * DAY_MS;
const MEASUREMENT_SPECS: readonly MeasurementSpec[] = Object.values(MEASUREMENTS);

/** The SQL of store.patients.findByIdentifier (store/patients.ts), sent bare: no zod before or after. */
const PATIENT_BY_IDENTIFIER_SQL = `
  SELECT p.id, p.version, p.resource,
    COALESCE((SELECT jsonb_agg(i.detail ORDER BY i.seq) FROM patient_identifiers i WHERE i.patient_id = p.id), '[]'::jsonb) AS identifiers
  FROM patients p WHERE p.id = (SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2)`;

interface Options {
  readonly engines: readonly Engine[];
  readonly patients: number;
  /** Undefined: each engine's default scale. */
  readonly observations: number | undefined;
  readonly lookups: number;
  readonly postgresUrl: string;
}

interface PatientKey {
  readonly id: string;
  readonly identifiers: readonly { readonly system: string; readonly value: string }[];
  readonly familyKey: string;
  readonly birthDate: string | undefined;
}

interface InboundInput {
  readonly sender: string;
  readonly messageId: string;
  readonly format: InboundFormat;
  readonly raw: Uint8Array;
}

interface Scale {
  readonly patients: number;
  readonly observations: number;
  readonly documents: number;
  readonly inboundMessages: number;
}

/** What an engine's scratch database holds once loaded, and where the lookups draw their keys from. */
interface Loaded {
  readonly patients: readonly PatientKey[];
  readonly observations: number;
  readonly documentPatientIds: readonly string[];
  readonly inbound: readonly InboundInput[];
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      engine: { type: 'string', default: 'both' },
      patients: { type: 'string', default: '100000' },
      observations: { type: 'string' },
      lookups: { type: 'string', default: '5000' },
      'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    },
  });
  const count = (flag: string, text: string) => {
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${flag} must be a positive whole number, not "${text}"`);
    return n;
  };
  const engines: Record<string, readonly Engine[]> = { pglite: ['pglite'], postgres: ['postgres'], both: ['pglite', 'postgres'] };
  const chosen = engines[values.engine];
  if (!chosen) throw new Error(`--engine must be pglite, postgres or both, not "${values.engine}"`);
  return {
    engines: chosen,
    patients: count('patients', values.patients),
    observations: values.observations === undefined ? undefined : count('observations', values.observations),
    lookups: count('lookups', values.lookups),
    postgresUrl: values['postgres-url'],
  };
}

function log(engine: Engine, message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${engine}: ${message}\n`);
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** Reports a long load at most every few seconds. */
function progress(engine: Engine, what: string, total: number): (done: number, timedMs: number) => void {
  let reported = performance.now();
  return (done, timedMs) => {
    if (performance.now() - reported < 5000 && done < total) return;
    reported = performance.now();
    log(engine, `${what} ${thousands(done)}/${thousands(total)} (${thousands(done / (timedMs / 1000))}/s in the store)`);
  };
}

function patientKey(p: PatientInput): PatientKey {
  const name = p.names[0]!;
  return {
    id: p.id,
    identifiers: (p.identifiers ?? []).map((i) => ({ system: i.system, value: i.value })),
    familyKey: familyKey(name.family, name.familyPrefix),
    birthDate: p.birthDate,
  };
}

/**
 * Observation j, the same on every run. Observations go round-robin over the patients, as results arriving over
 * the years would, so one patient's rows lie scattered over the table rather than side by side.
 */
function observationParts(j: number, patients: readonly PatientKey[]) {
  const rng = new Random(OBSERVATION_SEED, j);
  const spec = rng.pick(MEASUREMENT_SPECS);
  return {
    id: rng.uuid(),
    patientId: patients[j % patients.length]!.id,
    spec,
    value: rng.normal(spec.mean, spec.sd, spec.min, spec.max).toFixed(spec.decimals),
    effectiveMs: AS_OF_MS - rng.int(0, HISTORY_MS / 1000) * 1000,
  };
}

function benchObservation(j: number, patients: readonly PatientKey[]): ObservationInput {
  const { id, patientId, spec, value, effectiveMs } = observationParts(j, patients);
  return {
    id, patientId, status: 'final', category: spec.category, codings: codingsOf(spec),
    value: { kind: 'quantity', quantity: { value, unit: spec.unit } },
    effective: new Date(effectiveMs).toISOString(),
    ...(spec.range ? { referenceRange: { ...spec.range, unit: spec.unit } } : {}),
    provenance: { source: 'bench:store' },
  };
}

/** A MEDLAB-like message of a few kilobytes: the bytes are stored and hashed, never parsed here. */
function inboundMessage(k: number): InboundInput {
  const rng = new Random(INBOUND_SEED, k);
  const sender = `lab-${String(k % 20).padStart(2, '0')}`;
  const messageId = `M${String(k).padStart(9, '0')}`;
  const segments = [`UNB+UNOA:1+${sender}+CROSSGATE+260101:0800+${messageId}'`, `UNH+${messageId}+MEDLAB:1'`];
  for (let s = 0; s < 40; s++) {
    const spec = rng.pick(MEASUREMENT_SPECS);
    segments.push(`RES+${spec.nhg}+${rng.normal(spec.mean, spec.sd, spec.min, spec.max).toFixed(spec.decimals)}:${spec.unit}'`, `FTX+${spec.display}'`);
  }
  segments.push(`UNT+${segments.length}+${messageId}'`, `UNZ+1+${messageId}'`);
  return { sender, messageId, format: 'medlab-edifact', raw: new TextEncoder().encode(segments.join('\n')) };
}

/** A load done in batches: the rate counts only the time spent in the store, not in generating the input. */
function batchFigure(engine: Engine, operation: string, count: number, batchMs: readonly number[]): Figure {
  const timing: Timing = { latenciesMs: batchMs, wallMs: batchMs.reduce((a, b) => a + b, 0) };
  return { engine, operation, callers: 1, ...summarize(count, timing) };
}

async function loadPatients(store: RootStore, count: number) {
  const report = progress(store.engine, 'patients', count);
  const patients: PatientKey[] = [];
  const documents: SyntheticDocument[] = [];
  const batchMs: number[] = [];
  let timedMs = 0;
  for (let from = 0; from < count; from += PATIENT_BATCH) {
    const batch: PatientInput[] = [];
    for (let i = from; i < Math.min(from + PATIENT_BATCH, count); i++) {
      const record = syntheticPatient(DEFAULT_SYNTHETIC, i);
      batch.push(record.patient);
      patients.push(patientKey(record.patient));
      if (documents.length < DOCUMENTS) documents.push(...record.documents);
    }
    const started = performance.now();
    await store.patients.insertMany(batch);
    const ms = performance.now() - started;
    batchMs.push(ms);
    timedMs += ms;
    report(patients.length, timedMs);
  }
  const figure = batchFigure(store.engine, `patients insertMany (batches of ${PATIENT_BATCH})`, count, batchMs);
  return { figure, patients, documents: documents.slice(0, DOCUMENTS) };
}

async function loadObservations(store: RootStore, patients: readonly PatientKey[], count: number): Promise<Figure> {
  const report = progress(store.engine, 'observations', count);
  const batchMs: number[] = [];
  let timedMs = 0;
  for (let from = 0; from < count; from += OBSERVATION_BATCH) {
    const batch: ObservationInput[] = [];
    for (let j = from; j < Math.min(from + OBSERVATION_BATCH, count); j++) batch.push(benchObservation(j, patients));
    const started = performance.now();
    await store.observations.insertMany(batch);
    const ms = performance.now() - started;
    batchMs.push(ms);
    timedMs += ms;
    report(from + batch.length, timedMs);
  }
  return batchFigure(store.engine, `observations insertMany (batches of ${OBSERVATION_BATCH})`, count, batchMs);
}

/** `count` calls one after another, each timed. */
async function sequentialFigure(engine: Engine, operation: string, count: number, call: (i: number) => Promise<unknown>): Promise<Figure> {
  return { engine, operation, callers: 1, ...summarize(count, await timeCalls(count, 1, call)) };
}

/** `count` keys from a seeded stream of their own: each figure has its keys, and every run asks for the same ones. */
function draw<T>(count: number, stream: number[], pick: (rng: Random) => T): T[] {
  const rng = new Random(LOOKUP_SEED, ...stream);
  return Array.from({ length: count }, () => pick(rng));
}

function mustFind(found: boolean, what: string): void {
  if (!found) throw new Error(`benchmark lookup found nothing: ${what}`);
}

interface Lookup {
  readonly operation: string;
  readonly call: (i: number) => Promise<unknown>;
  /** The operation whose rate bounds this one's. */
  readonly ceiling?: string;
}

async function lookups(db: Database, store: RootStore, loaded: Loaded, count: number, callers: number): Promise<Figure[]> {
  const warmup = Math.min(WARMUP, count);
  // Keys 0 … count-1 are measured and the rest only warm up, so the warm-up does not pre-load measured rows.
  const keyed = <K>(stream: number, pick: (rng: Random) => K, call: (key: K) => Promise<unknown>) => {
    const keys = draw(count + warmup, [callers, stream], pick);
    return (i: number) => call(keys[i]!);
  };
  const identifier = (rng: Random) => rng.pick(rng.pick(loaded.patients).identifiers);
  const roundTrip = 'SELECT 1';
  const bare = 'patient by identifier, bare SQL';

  const all: Lookup[] = [
    { operation: roundTrip, call: () => db.query('SELECT 1') },
    {
      operation: bare,
      call: keyed(1, identifier, async (key) => {
        mustFind((await db.query(PATIENT_BY_IDENTIFIER_SQL, [key.system, key.value])).length === 1, `bare identifier ${key.value}`);
      }),
    },
    {
      operation: 'patient by identifier',
      ceiling: bare,
      call: keyed(2, identifier, async (key) => {
        mustFind((await store.patients.findByIdentifier(key.system, key.value)) !== undefined, `identifier ${key.value}`);
      }),
    },
    {
      operation: 'patients by family key + birth date',
      ceiling: roundTrip,
      call: keyed(3, (rng) => rng.pick(loaded.patients), async (p) => {
        const found = await store.patients.findByFamilyKey(p.familyKey, p.birthDate);
        mustFind(found.some((r) => r.patient.id === p.id), `family key ${p.familyKey}`);
      }),
    },
    {
      operation: 'observations by patient + code + 2-year window',
      ceiling: roundTrip,
      call: keyed(4, (rng) => {
        const o = observationParts(rng.int(0, loaded.observations - 1), loaded.patients);
        const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        return { id: o.id, patientId: o.patientId, codes: [`${CodeSystems.nhgTabel45.uri}|${o.spec.nhg}`], from: day(o.effectiveMs - 365 * DAY_MS), to: day(o.effectiveMs + 366 * DAY_MS) };
      }, async (key) => {
        const page = await store.observations.list(key.patientId, { codes: key.codes, from: key.from, to: key.to, limit: 50 });
        mustFind(page.items.some((o) => o.id === key.id), `observation ${key.id}`);
      }),
    },
    {
      operation: 'documents by patient',
      ceiling: roundTrip,
      call: keyed(5, (rng) => rng.pick(loaded.documentPatientIds), async (patientId) => {
        mustFind((await store.documents.list(patientId)).length > 0, `documents of ${patientId}`);
      }),
    },
    {
      operation: 'inbound by sender + message id (duplicate receive)',
      ceiling: roundTrip,
      call: keyed(6, (rng) => rng.pick(loaded.inbound), async (message) => {
        mustFind((await store.inbound.receive(message)).duplicate, `inbound ${message.messageId}`);
      }),
    },
  ];

  for (const lookup of all) await timeCalls(warmup, callers, (i) => lookup.call(count + i));
  const timings = await timeInTurns(count, callers, all.map((l) => l.call));
  const rates = new Map(all.map((l, k) => [l.operation, summarize(count, timings[k]!)]));
  return all.map((l) => {
    const summary = rates.get(l.operation)!;
    const ceiling = l.ceiling ? { operation: l.ceiling, opsPerSec: rates.get(l.ceiling)!.opsPerSec } : undefined;
    log(store.engine, `${l.operation}, ${callers} caller(s): ${thousands(summary.opsPerSec)}/s, p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms`);
    return { engine: store.engine, operation: l.operation, callers, ...summary, ...(ceiling ? { ceiling } : {}) };
  });
}

async function benchEngine(engine: Engine, options: Options): Promise<{ figures: Figure[]; scale: Scale }> {
  const scratch = engine === 'postgres' ? await scratchPostgres(options.postgresUrl) : await scratchPglite();
  log(engine, `scratch database ${scratch.location}`);
  try {
    const storeOptions: StoreOptions = engine === 'postgres' ? { databaseUrl: scratch.location } : { dataDir: scratch.location };
    // openStore(storeOptions) is these three steps; spelled out so that the ceilings run on the very connection
    // (PGlite) or pool (PostgreSQL) the store uses, which a second openStore or openDatabase would not share.
    const db = await openDatabase(storeOptions);
    try {
      await migrate(db);
      const store = createStore(db);
      const observationCount = options.observations ?? DEFAULT_OBSERVATIONS[engine];

      const patientLoad = await loadPatients(store, options.patients);
      const figures = [patientLoad.figure];
      figures.push(await loadObservations(store, patientLoad.patients, observationCount));

      const documents = patientLoad.documents;
      log(engine, `documents: inserting ${documents.length}`);
      figures.push(await sequentialFigure(engine, 'document insert (metadata + content)', documents.length, (i) => store.documents.insert(documents[i]!.doc, documents[i]!.content)));

      const inbound = Array.from({ length: INBOUND_MESSAGES }, (_, k) => inboundMessage(k));
      log(engine, `inbound: receiving ${inbound.length}`);
      figures.push(await sequentialFigure(engine, 'inbound receive (new message)', inbound.length, (i) => store.inbound.receive(inbound[i]!)));

      // Autovacuum settles (and analyzes) freshly loaded tables at some moment, or never where it is switched off;
      // settling them now makes the lookups measure that state rather than whatever autovacuum had reached.
      log(engine, 'VACUUM ANALYZE');
      await db.exec('VACUUM ANALYZE');

      const loaded: Loaded = {
        patients: patientLoad.patients,
        observations: observationCount,
        documentPatientIds: [...new Set(documents.map((d) => d.doc.patientId))],
        inbound,
      };
      // PGlite is one connection in this process: concurrent callers would only queue behind each other.
      for (const callers of engine === 'postgres' ? [1, CONCURRENT_CALLERS] : [1]) {
        figures.push(...(await lookups(db, store, loaded, options.lookups, callers)));
      }
      const scale: Scale = { patients: options.patients, observations: observationCount, documents: documents.length, inboundMessages: inbound.length };
      return { figures, scale };
    } finally {
      await db.close();
    }
  } finally {
    await scratch.dispose();
    log(engine, 'scratch database removed');
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  for (const engine of options.engines) {
    const { figures, scale } = await benchEngine(engine, options);
    const heading = `${thousands(scale.patients)} patients, ${thousands(scale.observations)} observations, ${thousands(scale.documents)} documents, ${thousands(scale.inboundMessages)} inbound messages`;
    process.stdout.write(`\nstore, ${engine}: ${heading}\n\n${table(figures)}\n\n${jsonLines('store', figures, scale)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`store bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
