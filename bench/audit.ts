/**
 * Audit benchmark: appends per second through createAuditAppender (group commit, one hash chain) with one and
 * with several writer processes, beside two ceilings measured in the same run (the same rows as bare batched
 * INSERTs, and as single-row autocommit INSERTs, without chain or lock); then verifyChain's rate over a long
 * chain, checking the links only and deep, beside reading that chain without checking it.
 *
 *   npm run build && node dist/bench/audit.js [--engine pglite|postgres|both] [--appends N] [--verify-records N]
 *     [--in-flight N] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * On PostgreSQL each writer is a process of its own (bench/lib/audit-writer.ts) with its own pool, store and
 * appender, as gateway processes would be; on PGlite, whose data directory one process owns, the appends run in
 * this process. Each engine gets a scratch database, removed at the end. Progress goes to stderr; the figures go
 * to stdout as a table and as one JSON object per line.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chainPages, VERIFY_PAGE, verifyChain } from '../audit/index.js';
import type { Database, Engine } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { openDatabase, type StoreOptions } from '../store/open.js';
import { createStore, type RootStore, type Store } from '../store/store.js';
import { auditEvent, CREATE_CEILING_TABLES, pendingFor, prepare, type FromWriter, type ToWriter, type WriterResult, type WriterTask } from './lib/audit-work.js';
import { jsonLines, table, type Figure } from './lib/report.js';
import { Forked } from './lib/forked.js';
import { scratchPglite, scratchPostgres } from './lib/scratch.js';
import { summarize, type Timing } from './lib/stats.js';

const DEFAULT_VERIFY_RECORDS: Record<Engine, number> = { postgres: 1_000_000, pglite: 1_000_000 };
/** Writer processes in the concurrent PostgreSQL run (the issue's "8 concurrent writers"). */
const WRITER_PROCESSES = 8;
/** Concurrent append loops in PGlite's one process. */
const PGLITE_LOOPS = 8;
/** The one-at-a-time runs are slow by nature (a commit each); this many show their rate and latency. */
const SEQUENTIAL_APPENDS = 5000;
/** Appends (or rows) each writer makes before the clock starts, for JIT, connections and catalog caches. */
const WARMUP = 200;
/** The fast load into the chain: appendChained with batches this large, far above the appender's 500. */
const LOAD_BATCH = 5000;
/** Single-row INSERTs need a connection per INSERT in flight; this caps them all together below max_connections (100). */
const MAX_CEILING_CONNECTIONS = 64;
/** Stream numbers of auditEvent for the chain's fast load, apart from the writers' streams. */
const LOAD_STREAM = 1_000_000;

interface Options {
  readonly engines: readonly Engine[];
  readonly appends: number;
  /** Undefined: each engine's default. */
  readonly verifyRecords: number | undefined;
  readonly inFlight: number;
  readonly postgresUrl: string;
}

/** How the appends of one measurement are made: by how many processes, each with how many appends in flight. */
interface Layout {
  readonly processes: number;
  readonly inFlight: number;
  readonly count: number;
}

interface AuditFigure extends Figure {
  readonly processes?: number;
  readonly inFlight?: number;
  /** Records a transaction the appender wrote, on average. */
  readonly meanBatch?: number;
}

/** The timed part of every writer's task, started together: wall time from start to the last writer's end. */
interface Run {
  readonly timing: Timing;
  readonly results: readonly WriterResult[];
}
type Runner = (tasks: readonly WriterTask[]) => Promise<Run>;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      engine: { type: 'string', default: 'both' },
      appends: { type: 'string', default: '100000' },
      'verify-records': { type: 'string' },
      'in-flight': { type: 'string', default: '16' },
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
    appends: count('appends', values.appends),
    verifyRecords: values['verify-records'] === undefined ? undefined : count('verify-records', values['verify-records']),
    inFlight: count('in-flight', values['in-flight']),
    postgresUrl: values['postgres-url'],
  };
}

function log(engine: Engine, message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${engine}: ${message}\n`);
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 'es'}`;

/** A writer process (bench/lib/audit-writer.ts). */
const forkWriter = (script: string) => new Forked<ToWriter, FromWriter>(script, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }, 'writer');

/** PostgreSQL: one process a task, all of them ready (warmed up) before any starts its timed part. */
function inProcesses(databaseUrl: string): Runner {
  const script = fileURLToPath(new URL('./lib/audit-writer.js', import.meta.url));
  return async (tasks) => {
    const writers = tasks.map(() => forkWriter(script));
    try {
      writers.forEach((w, k) => w.send({ type: 'start', databaseUrl, task: tasks[k]! }));
      await Promise.all(writers.map((w) => w.expect('ready')));
      const started = performance.now();
      for (const w of writers) w.send({ type: 'go' });
      const results = await Promise.all(writers.map(async (w) => (await w.expect('done')).result));
      const wallMs = performance.now() - started;
      await Promise.all(writers.map((w) => w.exited));
      return { timing: { latenciesMs: results.flatMap((r) => r.latenciesMs), wallMs }, results };
    } catch (error) {
      for (const w of writers) w.kill();
      throw error;
    }
  };
}

/** PGlite: the tasks run in this process, on the one connection the store has. */
function inThisProcess(store: Store, db: Database): Runner {
  return async (tasks) => {
    const runs = [];
    for (const task of tasks) runs.push(await prepare(task, store, db));
    const started = performance.now();
    const results = await Promise.all(runs.map((run) => run()));
    return { timing: { latenciesMs: results.flatMap((r) => r.latenciesMs), wallMs: performance.now() - started }, results };
  };
}

/** `total` split over `parts` as evenly as whole numbers allow. */
function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(total / parts) + (k < total % parts ? 1 : 0));
}

interface Measured {
  readonly figures: AuditFigure[];
  /** Records this measurement added to the chain, warm-up included. */
  readonly appended: number;
}

/**
 * The appender in one layout, then the same records, by the same processes, as the two ceilings: bare INSERTs
 * in batches of the size the appender's group commit reached, one batch in flight a process as the appender
 * has; and single-row autocommit INSERTs with as many in flight as the appender had callers.
 */
async function measureLayout(engine: Engine, runner: Runner, layout: Layout, firstStream: number, seqs: { next: number }): Promise<Measured> {
  const counts = shares(layout.count, layout.processes);
  const take = (n: number) => {
    const first = seqs.next;
    seqs.next += n;
    return first;
  };
  const where = engine === 'postgres' ? plural(layout.processes, 'process') : 'in process';
  const callers = layout.processes * layout.inFlight;
  log(engine, `append (${where}), ${callers} caller(s): ${thousands(layout.count)} records`);
  const appends = await runner(counts.map((count, w) => ({ kind: 'append', stream: firstStream + w, warmup: WARMUP, count, inFlight: layout.inFlight })));
  const batches = appends.results.flatMap((r) => r.batchSizes);
  const meanBatch = layout.count / batches.length;
  const batchSize = Math.max(1, Math.round(meanBatch));

  log(engine, `bare INSERT, batches of ${batchSize} (${where})`);
  const batched = await runner(counts.map((count, w) => ({
    kind: 'batched-insert', stream: firstStream + w, warmup: WARMUP, count, batchSize, firstSeq: take(WARMUP + count),
  })));
  const connections = Math.min(layout.inFlight, Math.floor(MAX_CEILING_CONNECTIONS / layout.processes));
  log(engine, `single-row INSERT, autocommit (${where})`);
  const single = await runner(counts.map((count, w) => ({
    kind: 'single-insert', stream: firstStream + w, warmup: WARMUP, count, inFlight: layout.inFlight, connections, firstSeq: take(WARMUP + count),
  })));

  const batchedSummary = summarize(layout.count, batched.timing);
  const appendSummary = summarize(layout.count, appends.timing);
  log(engine, `append (${where}), ${callers} caller(s): ${thousands(appendSummary.opsPerSec)}/s, mean batch ${meanBatch.toFixed(1)}, p50 ${appendSummary.p50Ms.toFixed(2)} ms, p99 ${appendSummary.p99Ms.toFixed(2)} ms`);
  const layoutOf = { processes: layout.processes, inFlight: layout.inFlight };
  return {
    appended: layout.processes * WARMUP + layout.count,
    figures: [
      {
        engine, operation: `append (${where})`, callers, ...appendSummary,
        ceiling: { operation: `bare INSERT, batches of ${batchSize}`, opsPerSec: batchedSummary.opsPerSec }, ...layoutOf, meanBatch,
      },
      { engine, operation: `bare INSERT, batches of ${batchSize} (${where})`, callers: layout.processes, ...batchedSummary, ...layoutOf },
      {
        engine, operation: `single-row INSERT, autocommit (${engine === 'postgres' ? `${where}, ${connections} connection(s) each` : where})`,
        callers, ...summarize(layout.count, single.timing), ...layoutOf,
      },
    ],
  };
}

/** Fills the chain up to `total` records the fast way: appendChained directly, in batches far larger than the appender's. */
async function fillChain(engine: Engine, store: Store, total: number): Promise<void> {
  let head = (await store.audit.head()).seq;
  const from = head;
  const started = performance.now();
  let reported = started;
  while (head < total) {
    const pending = Array.from({ length: Math.min(LOAD_BATCH, total - head) }, (_, k) => pendingFor(auditEvent(LOAD_STREAM, head + k)));
    head = (await store.audit.appendChained(pending)).at(-1)!.seq;
    if (performance.now() - reported > 5000 || head === total) {
      reported = performance.now();
      log(engine, `chain ${thousands(head)}/${thousands(total)} (${thousands((head - from) / ((reported - started) / 1000))}/s)`);
    }
  }
}

/**
 * The chain read as verifyChain reads it, pages of VERIFY_PAGE through audit.links (the fast verify) or
 * audit.range (the deep one), with `check` (verifyChain itself, or nothing) around the reading. Per page: the
 * interval from one page asked for to the next (pages are asked ahead, so this is the pace, not one page's time).
 */
async function timedPages<T>(store: Store, check: (store: Store) => Promise<T>) {
  const pageMs: number[] = [];
  let last: number | undefined;
  const timedRead = <R>(read: (afterSeq: number, limit: number, toSeq?: number) => Promise<R>) => async (afterSeq: number, limit: number, toSeq?: number) => {
    const started = performance.now();
    if (last !== undefined) pageMs.push(started - last);
    last = started;
    return read(afterSeq, limit, toSeq);
  };
  const timed: Store = { ...store, audit: { ...store.audit, range: timedRead(store.audit.range), links: timedRead(store.audit.links) } };
  const started = performance.now();
  const result = await check(timed);
  return { result, timing: { latenciesMs: pageMs, wallMs: performance.now() - started } };
}

/**
 * Every page of the chain through `read`, read ahead as verifyChain reads it (audit/verify.ts chainPages), and
 * nothing else: the ceiling for the verify that reads that way.
 */
async function readChain(read: (afterSeq: number, limit: number, toSeq: number) => Promise<{ seq: number }[]>, toSeq: number): Promise<number> {
  let count = 0;
  for await (const rows of chainPages(read, toSeq)) count += rows.length;
  return count;
}

/** Repeated on every JSON line. */
interface Context {
  readonly appends: number;
  readonly sequentialAppends: number;
  readonly verifyRecords: number;
  readonly meanBodyBytes: number;
  /** Records whose recorded_at is earlier than their predecessor's (see the note where it is counted). */
  readonly recordedAtBackwards: number;
}

interface EngineResult {
  readonly figures: AuditFigure[];
  readonly notes: string[];
  readonly context: Context;
}

async function benchEngine(engine: Engine, options: Options): Promise<EngineResult> {
  const scratch = engine === 'postgres' ? await scratchPostgres(options.postgresUrl) : await scratchPglite();
  log(engine, `scratch database ${scratch.location}`);
  try {
    const storeOptions: StoreOptions = engine === 'postgres' ? { databaseUrl: scratch.location } : { dataDir: scratch.location };
    const db = await openDatabase(storeOptions);
    try {
      await migrate(db);
      await db.exec(CREATE_CEILING_TABLES);
      const store: RootStore = createStore(db);
      const runner = engine === 'postgres' ? inProcesses(scratch.location) : inThisProcess(store, db);
      const sequential = Math.min(SEQUENTIAL_APPENDS, options.appends);
      const layouts: Layout[] = engine === 'postgres'
        ? [
          { processes: 1, inFlight: 1, count: sequential },
          { processes: 1, inFlight: options.inFlight, count: options.appends },
          { processes: WRITER_PROCESSES, inFlight: options.inFlight, count: options.appends },
        ]
        : [{ processes: 1, inFlight: 1, count: sequential }, { processes: 1, inFlight: PGLITE_LOOPS, count: options.appends }];

      const figures: AuditFigure[] = [];
      const notes: string[] = [];
      const seqs = { next: 1 };
      let appended = 0;
      for (const [k, layout] of layouts.entries()) {
        const measured = await measureLayout(engine, runner, layout, 100 * k, seqs);
        figures.push(...measured.figures);
        appended += measured.appended;
      }
      for (const f of figures.filter((f) => f.meanBatch !== undefined)) {
        const single = figures.find((g) => g.operation.startsWith('single-row') && g.processes === f.processes && g.inFlight === f.inFlight)!;
        notes.push(`${f.operation}, ${f.callers} caller(s): ${f.meanBatch!.toFixed(1)} records a transaction on average; ` +
          `${(f.opsPerSec / f.ceiling!.opsPerSec).toFixed(2)} of ${f.ceiling!.operation}, ${(f.opsPerSec / single.opsPerSec).toFixed(2)}× single-row autocommit INSERT`);
      }
      // audit_append reads the clock once it holds the chain lock, so this should stay 0: a count above it would
      // mean times that go backwards along the chain.
      const backwards = (await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM (SELECT recorded_at < lag(recorded_at) OVER (ORDER BY seq) AS back FROM audit_records) x WHERE back',
      ))[0]!.n;
      notes.push(`recorded_at earlier than the record before it in the chain: ${thousands(backwards)} of ${thousands(appended)} appended records`);
      const head = await store.audit.head();
      if (head.seq !== appended) throw new Error(`the chain head is at ${head.seq} after ${appended} appends`);

      const verifyRecords = Math.max(options.verifyRecords ?? DEFAULT_VERIFY_RECORDS[engine], appended);
      log(engine, `filling the chain to ${thousands(verifyRecords)} records`);
      await fillChain(engine, store, verifyRecords);
      // The rows were just written: the first reader would set their hint bits (writing the pages again), and
      // autovacuum may be off, as on the server these figures come from. Settled now, the passes below
      // measure a chain at rest, as an audit verify on an older trail would find it.
      log(engine, 'VACUUM ANALYZE audit_records');
      await db.exec('VACUUM ANALYZE audit_records');

      const ceilings = new Map<boolean, { operation: string; opsPerSec: number }>();
      for (const [deep, reader] of [[false, 'links'], [true, 'range']] as const) {
        log(engine, `reading the chain through audit.${reader}`);
        const read = await timedPages(store, (s) => readChain(s.audit[reader], verifyRecords));
        if (read.result !== verifyRecords) throw new Error(`read ${read.result} records of ${verifyRecords}`);
        const readSummary = summarize(read.result, read.timing);
        const operation = `read chain, audit.${reader}`;
        figures.push({ engine, operation: `${operation} (pages of ${thousands(VERIFY_PAGE)})`, callers: 1, ...readSummary });
        ceilings.set(deep, { operation, opsPerSec: readSummary.opsPerSec });
      }
      for (const deep of [false, true]) {
        const name = deep ? 'verifyChain, deep' : 'verifyChain';
        log(engine, name);
        const verify = await timedPages(store, (s) => verifyChain(s, undefined, { deep }));
        const result = verify.result;
        // One line: every seq from 1 to the head, each linked to the one before, and nothing appended lost.
        if (!result.ok || result.checked !== verifyRecords || result.headSeq !== verifyRecords) {
          throw new Error(`${name} after ${verifyRecords} appended records: ${JSON.stringify(result)}`);
        }
        log(engine, `${name}: ok, ${thousands(result.checked)} records checked`);
        const ceiling = ceilings.get(deep)!;
        figures.push({ engine, operation: `${name} (pages of ${thousands(VERIFY_PAGE)})`, callers: 1, ...summarize(result.checked, verify.timing), ceiling });
        notes.push(`${name}: ok, checked ${thousands(result.checked)} = records appended; pages are read ahead while one is checked, so reading and checking overlap`);
      }

      const sample = Array.from({ length: 2000 }, (_, i) => pendingFor(auditEvent(LOAD_STREAM, i)).body.length);
      const context: Context = { appends: options.appends, sequentialAppends: sequential, verifyRecords, meanBodyBytes: Math.round(sample.reduce((a, b) => a + b, 0) / sample.length), recordedAtBackwards: backwards };
      return { figures, notes, context };
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
    const { figures, notes, context } = await benchEngine(engine, options);
    const heading = `${thousands(context.appends)} appends a run (${thousands(context.sequentialAppends)} with 1 caller), ` +
      `${thousands(context.verifyRecords)} records verified, record bodies of ${context.meanBodyBytes} bytes on average`;
    process.stdout.write(`\naudit, ${engine}: ${heading}\n\n${table(figures)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n${jsonLines('audit', figures, context)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`audit bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
