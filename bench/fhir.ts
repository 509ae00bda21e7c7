/**
 * FHIR benchmark: requests per second and latency of the FHIR surface as a partner uses it (UDAP B2B access
 * token, consent decided per patient, audit records committed before each answer), against PostgreSQL holding
 * the synthetic patients of `crossgate seed`, beside two references on the same machine, measured in the same run
 * with the same client: a bare express app answering the same bytes, the ceiling, and an in-memory FHIR server
 * without storage, consent or audit (bench/lib/fhir-reference.ts), the comparator the gateway's aim is set against.
 *
 *   npm run build && node dist/bench/fhir.js [--patients N] [--duration S] [--warmup S] [--connections N]
 *     [--cpu-prof DIR] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * The gateway runs as `crossgate start` runs it, startGateway in a process of its own configured from its
 * environment (bench/lib/fhir-server.ts), logging at warn; the references run in the same kind of process. Every
 * workload's answers are checked on the gateway first (CHECKED_SAMPLES keys): the ceiling sends one of them for
 * every request of the workload; the in-memory server holds the resources of all of them, is checked on the same
 * keys, and is asked for those keys only, so that it answers from data it has. Each workload is timed on the
 * ceiling, the in-memory server, then the gateway, alike: the load comes from this process, `--connections`
 * keep-alive connections, each sending its next request when the previous answer is in, for `--duration` seconds
 * after `--warmup` seconds that are not counted, with the same CPU accounting (bench/lib/fhir-cpu.ts). With
 * --cpu-prof the gateway process writes a V8 CPU profile into DIR when it stops (its figures are then not the
 * clean ones). Progress goes to stderr; the figures go to stdout as tables and as one JSON object per line.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { IdentifierSystems } from '../canonical/index.js';
import { Random } from '../fixtures/synthetic/random.js';
import { NODE_FLAGS } from '../gateway/cli/node-flags.js';
import { CONFIG_VARIABLES } from '../gateway/config.js';
import { BASE_PATH } from '../gateway/fhir/surface.js';
import type { Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open.js';
import { createStore, type RootStore } from '../store/store.js';
import { cpuMark, cpuShare, type CpuShare, type ServerUsage } from './lib/fhir-cpu.js';
import { loadClient, serverBenchOptions, type LoadClient, type LoadResult, type ServerBenchOptions } from './lib/fhir-load.js';
import { accessToken, adminSession, registerPartner } from './lib/fhir-partner.js';
import type { CeilingRoute, FromServer, ServerTask, ToServer } from './lib/fhir-protocol.js';
import { jsonLines, markdownTable, table, type Figure } from './lib/report.js';
import { Forked } from './lib/forked.js';
import { scratchPostgres, seedScratch, type Seeded } from './lib/scratch.js';
import { summarize } from './lib/stats.js';

/** The gateway's configured public address: the token audience and the links in answers are built from it. */
const PUBLIC_URL = 'https://crossgate.bench.invalid';
const KEY_SEED = 4701;
/** Answers checked per workload before the timed runs; the ceiling serves one of them, the in-memory server all their resources. */
const CHECKED_SAMPLES = 50;
const OBSERVATION_PAGE = 20;
const BSN = IdentifierSystems.bsn.uri;
const SERVER_STOP_MS = 30_000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} fhir: ${message}\n`);
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** A server process (bench/lib/fhir-server.ts) and the replies it has sent that nobody has taken yet. */
class ServerProcess {
  private readonly process: Forked<ToServer, FromServer>;

  constructor(env: NodeJS.ProcessEnv, execArgv: readonly string[]) {
    const script = fileURLToPath(new URL('./lib/fhir-server.js', import.meta.url));
    // The server's own output (the gateway's warn-level log) goes to stderr, apart from the figures on stdout.
    this.process = new Forked(script, { env, execArgv: [...NODE_FLAGS, ...execArgv], stdio: ['ignore', 2, 2, 'ipc'] }, 'server process');
  }

  /** Sends `message` and waits for the reply of type `reply`. */
  async call<T extends FromServer['type']>(message: ToServer, reply: T): Promise<Extract<FromServer, { type: T }>> {
    this.process.send(message);
    return this.process.expect(reply);
  }

  async start(task: ServerTask): Promise<string> {
    return (await this.call({ type: 'start', task }, 'listening')).url;
  }

  async usage(): Promise<ServerUsage> {
    const { cpuMicros, loopActiveMs, loopIdleMs } = await this.call({ type: 'usage' }, 'usage');
    return { cpuS: cpuMicros / 1e6, loopActiveMs, loopIdleMs };
  }

  /** A clean stop, so a CPU profile gets written; killed if it does not end in time. */
  async stop(): Promise<void> {
    if (!this.process.running) return;
    const timer = setTimeout(() => this.process.kill(), SERVER_STOP_MS);
    try {
      await this.call({ type: 'stop' }, 'stopped');
    } catch {
      this.process.kill();
    }
    // A killed server ends with a signal: that is the stop asked for, not a failure.
    await this.process.exited.catch(() => undefined);
    clearTimeout(timer);
  }
}

/**
 * The gateway's environment: every configuration variable set here, none inherited, so that a CROSSGATE_* or
 * PORT of the shell running the bench cannot change what is measured. The keys are fresh for every run.
 */
function gatewayEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name));
  const auditKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    ...Object.fromEntries(inherited),
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    CROSSGATE_DEMO_DATA: 'off',
    // One partner's 32 connections are the load: its allowance is the highest there is, so the limiter runs but never refuses.
    CROSSGATE_FHIR_REQUESTS_PER_MINUTE: '10000000',
    CROSSGATE_PUBLIC_URL: PUBLIC_URL,
    CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    CROSSGATE_AUDIT_SIGNING_KEY: auditKey,
  };
}

/** What the scratch database holds once seeded, and the keys the requests are drawn from. */
interface Loaded extends Seeded {
  readonly patientIds: readonly string[];
  /** Patients with at least one observation: the others' Observation search is an empty Bundle. */
  readonly observedPatientIds: readonly string[];
  readonly bsns: readonly { readonly value: string; readonly patientId: string }[];
}

async function load(db: Database, store: RootStore, patients: number): Promise<Loaded> {
  const seeded = await seedScratch(db, store, patients, log);
  const ids = (sql: string, params: unknown[] = []) => db.query<{ id: string }>(sql, params).then((rows) => rows.map((r) => r.id));
  const bsns = await db.query<{ value: string; patientId: string }>(
    'SELECT value, patient_id AS "patientId" FROM patient_identifiers WHERE system = $1 ORDER BY value', [BSN],
  );
  return {
    ...seeded,
    patientIds: await ids('SELECT id FROM patients ORDER BY id'),
    observedPatientIds: await ids('SELECT DISTINCT patient_id AS id FROM observations ORDER BY 1'),
    bsns,
  };
}

/** One request of a workload: its path, and the patient whose record the answer must be about. */
interface Sample {
  readonly path: string;
  readonly patientId: string;
}

/** Loose, so that a checked resource keeps all it was sent with: the in-memory server is handed it as it is. */
const AnyResource = z.looseObject({ resourceType: z.string(), id: z.string().optional(), subject: z.looseObject({ reference: z.string() }).optional() });
type AnyResource = z.infer<typeof AnyResource>;
const SearchBundle = z.object({
  resourceType: z.literal('Bundle'),
  type: z.literal('searchset'),
  link: z.array(z.object({ relation: z.string() })).default([]),
  entry: z.array(z.object({ resource: AnyResource })).default([]),
});

interface Workload {
  readonly operation: string;
  /** The ceiling's route for the same paths. */
  readonly route: string;
  pick(rng: Random): Sample;
  /** What is wrong with an answer, if anything, and the resources it carried. */
  check(body: unknown, sample: Sample): { problem?: string; resources: readonly AnyResource[] };
}

function workloads(loaded: Loaded): Workload[] {
  const bundleOf = (body: unknown) => SearchBundle.safeParse(body);
  return [
    {
      operation: 'Patient read',
      route: `${BASE_PATH}/Patient/:id`,
      pick: (rng) => {
        const id = rng.pick(loaded.patientIds);
        return { path: `${BASE_PATH}/Patient/${id}`, patientId: id };
      },
      check(body, sample) {
        const r = AnyResource.safeParse(body);
        return r.success && r.data.resourceType === 'Patient' && r.data.id === sample.patientId ? { resources: [r.data] } : { problem: 'not the Patient asked for', resources: [] };
      },
    },
    {
      operation: `Observation search (patient, _count=${OBSERVATION_PAGE})`,
      route: `${BASE_PATH}/Observation`,
      pick: (rng) => {
        const id = rng.pick(loaded.observedPatientIds);
        return { path: `${BASE_PATH}/Observation?patient=${id}&_count=${OBSERVATION_PAGE}`, patientId: id };
      },
      check(body, sample) {
        const b = bundleOf(body);
        if (!b.success) return { problem: 'not a searchset Bundle', resources: [] };
        const resources = b.data.entry.map((e) => e.resource);
        const foreign = resources.some((r) => r.resourceType !== 'Observation' || !r.subject?.reference.endsWith(`Patient/${sample.patientId}`));
        if (foreign || resources.length === 0 || resources.length > OBSERVATION_PAGE) return { problem: `${resources.length} entries, or not all this patient's Observations`, resources };
        return { resources };
      },
    },
    {
      operation: 'Patient search (identifier=bsn|…)',
      route: `${BASE_PATH}/Patient`,
      pick: (rng) => {
        const bsn = rng.pick(loaded.bsns);
        return { path: `${BASE_PATH}/Patient?identifier=${encodeURIComponent(`${BSN}|${bsn.value}`)}`, patientId: bsn.patientId };
      },
      check(body, sample) {
        const b = bundleOf(body);
        const resources = b.success ? b.data.entry.map((e) => e.resource) : [];
        return resources.length === 1 && resources[0]!.id === sample.patientId ? { resources } : { problem: 'not exactly the one Patient with this BSN', resources };
      },
    },
  ];
}

/** A checked answer: the ceiling may send it as its fixed answer, the in-memory server holds its resources. */
interface CheckedAnswer {
  readonly sample: Sample;
  readonly body: object;
  readonly bytes: number;
  readonly resources: readonly AnyResource[];
}

/** The keys of a workload whose answers are checked, the same on every run. */
function checkedSamples(workload: Workload, stream: number): Sample[] {
  const rng = new Random(KEY_SEED, stream, 0);
  return Array.from({ length: CHECKED_SAMPLES }, () => workload.pick(rng));
}

/** Asks `client` for every sample, one at a time, and checks each answer; a wrong one ends the run. */
async function checkAnswers(client: LoadClient, workload: Workload, samples: readonly Sample[]): Promise<CheckedAnswer[]> {
  const checked: CheckedAnswer[] = [];
  for (const sample of samples) {
    const answer = await client.fetch(sample.path);
    if (answer.status !== 200) throw new Error(`${workload.operation}: GET ${sample.path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    const body = JSON.parse(answer.body) as object;
    const { problem, resources } = workload.check(body, sample);
    if (problem) throw new Error(`${workload.operation}: GET ${sample.path}: ${problem}`);
    checked.push({ sample, body, bytes: Buffer.byteLength(answer.body), resources });
  }
  return checked;
}

/**
 * The gateway answer the ceiling sends for a workload: of the answers carrying the most resources (a full page for
 * the Observation search), the one of median size, so that it is as large as a typical one of the gateway.
 */
function ceilingAnswer(checked: readonly CheckedAnswer[]): CheckedAnswer {
  const most = Math.max(...checked.map((a) => a.resources.length));
  const fullest = checked.filter((a) => a.resources.length === most).sort((a, b) => a.bytes - b.bytes);
  return fullest[Math.floor(fullest.length / 2)]!;
}

/**
 * The in-memory server's answers for the keys checked on the gateway, checked alike, and each with the gateway's
 * resources in the gateway's order (the same page).
 */
async function checkReference(client: LoadClient, workload: Workload, gateway: readonly CheckedAnswer[]): Promise<void> {
  const ids = (a: CheckedAnswer) => a.resources.map((r) => `${r.resourceType}/${r.id}`).join(' ');
  const answers = await checkAnswers(client, workload, gateway.map((a) => a.sample));
  for (const [k, answer] of answers.entries()) {
    if (ids(answer) !== ids(gateway[k]!)) throw new Error(`${workload.operation}: GET ${answer.sample.path}: the in-memory server answered ${ids(answer)}, the gateway ${ids(gateway[k]!)}`);
  }
}

/**
 * What the in-memory server holds: the resources of every checked answer, as the gateway sent them. Of a patient's
 * Observations it has the first page only, the one the gateway answered, and it answers from what it has: a total
 * of that page, and no next link where the gateway's answer has one (they are counted in the notes).
 */
function referenceData(checked: readonly (readonly CheckedAnswer[])[]): AnyResource[] {
  return checked.flatMap((answers) => answers.flatMap((a) => a.resources));
}

/** Whether a checked searchset links to a next page. */
const paged = (a: CheckedAnswer) => SearchBundle.safeParse(a.body).data?.link.some((l) => l.relation === 'next') ?? false;

interface FhirFigure extends Figure {
  readonly errors: number;
  readonly firstError: string | null;
  readonly meanAnswerBytes: number;
  /** Audit records the gateway committed during the timed run (null for the references, which audit nothing). */
  readonly auditRecords: number | null;
  readonly cpu: CpuShare;
  /** The in-memory server's rate on the same workload, and the gateway's ratio to it (null for the references). */
  readonly inMemory: { readonly operation: string; readonly opsPerSec: number; readonly ratio: number } | null;
}

interface Timed {
  readonly result: LoadResult;
  readonly cpu: CpuShare;
}

/** Where a timed run happens: the server under load, and the scratch database whose backends serve it. */
interface Target {
  readonly server: ServerProcess;
  readonly database: string;
}

/** A warm-up whose requests are not counted, then the timed run; `between` runs after the warm-up has drained. */
async function measure(client: LoadClient, target: Target, options: ServerBenchOptions, nextPath: () => string, between: () => Promise<void>): Promise<Timed> {
  const mark = () => cpuMark(() => target.server.usage(), target.database);
  await client.run(options.warmupMs, nextPath);
  await between();
  const before = await mark();
  const result = await client.run(options.durationMs, nextPath);
  const after = await mark();
  return { result, cpu: cpuShare(before, after, result.wallMs) };
}

interface Measured {
  readonly engine: 'postgres' | 'memory' | 'none';
  readonly operation: string;
  readonly timed: Timed;
  readonly auditRecords: number | null;
}

function figureOf(connections: number, measured: Measured, ceiling?: FhirFigure, inMemory?: FhirFigure): FhirFigure {
  const { engine, operation, timed: { result, cpu }, auditRecords } = measured;
  const summary = summarize(result.requests, result);
  return {
    engine, operation, callers: connections, ...summary,
    ...(ceiling ? { ceiling: { operation: 'bare express, same answer', opsPerSec: ceiling.opsPerSec } } : {}),
    errors: result.errors, firstError: result.firstError ?? null, meanAnswerBytes: Math.round(result.bytes / Math.max(1, result.requests)), auditRecords, cpu,
    inMemory: inMemory ? { operation: 'in-memory FHIR server, same workload', opsPerSec: inMemory.opsPerSec, ratio: summary.opsPerSec / inMemory.opsPerSec } : null,
  };
}

const SERVER_NAMES: Readonly<Record<string, string>> = { postgres: 'gateway', memory: 'in-memory', none: 'ceiling' };

function detailTable(figures: readonly FhirFigure[]): string {
  const cores = (n: number) => n.toFixed(2);
  return markdownTable(
    [
      'server', 'workload', 'requests', 'errors', 'audit records', 'answer bytes', 'ratio to in-memory', 'server CPU ms/req', 'server loop busy', 'CPU server',
      'CPU PostgreSQL', 'CPU load gen.', 'CPU other', 'CPU machine',
    ],
    figures.map((f) => [
      SERVER_NAMES[f.engine]!, f.operation, thousands(f.count), String(f.errors), f.auditRecords === null ? '-' : thousands(f.auditRecords),
      thousands(f.meanAnswerBytes), f.inMemory ? f.inMemory.ratio.toFixed(2) : '-', ((f.cpu.server * 1000) / f.opsPerSec).toFixed(3), `${Math.round(f.cpu.serverLoop * 100)}%`,
      cores(f.cpu.server), Number.isNaN(f.cpu.postgres) ? '-' : cores(f.cpu.postgres), cores(f.cpu.loadGenerator), cores(f.cpu.other), cores(f.cpu.machine),
    ]),
    2,
  );
}

interface Context {
  readonly patients: number;
  readonly observations: number;
  readonly documents: number;
  readonly loadSeconds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
}

async function run(options: ServerBenchOptions): Promise<{ figures: FhirFigure[]; notes: string[]; context: Omit<Context, 'loadAverageBefore' | 'loadAverageAfter'> }> {
  const scratch = await scratchPostgres(options.postgresUrl);
  log(`scratch database ${scratch.location}`);
  const database = new URL(scratch.location).pathname.slice(1);
  const servers: ServerProcess[] = [];
  try {
    const db = await openDatabase({ databaseUrl: scratch.location });
    try {
      await migrate(db);
      const store = createStore(db);
      const loaded = await load(db, store, options.patients);
      log(`${thousands(loaded.observedPatientIds.length)} patients with observations, ${thousands(loaded.bsns.length)} with a BSN`);

      const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
      const gateway = new ServerProcess(gatewayEnv(scratch.location), profile);
      servers.push(gateway);
      const gatewayUrl = await gateway.start({ kind: 'gateway' });
      log(`gateway listening at ${gatewayUrl}${options.cpuProfDir ? `, profiling into ${options.cpuProfDir}` : ''}`);

      const partner = await registerPartner(gatewayUrl, await adminSession(store));
      const headersFor = async () => ({ authorization: `Bearer ${await accessToken(gatewayUrl, PUBLIC_URL, partner)}`, accept: 'application/fhir+json' });

      const all = workloads(loaded);
      const checker = loadClient(gatewayUrl, 1, await headersFor());
      const checked: CheckedAnswer[][] = [];
      for (const [w, workload] of all.entries()) {
        checked.push(await checkAnswers(checker, workload, checkedSamples(workload, w)));
        log(`${workload.operation}: ${CHECKED_SAMPLES} answers checked`);
      }
      checker.close();

      const ceilingAnswers = checked.map(ceilingAnswer);
      const routes: CeilingRoute[] = all.map((w, k) => ({ path: w.route, body: ceilingAnswers[k]!.body }));
      const ceiling = new ServerProcess(process.env, []);
      servers.push(ceiling);
      const ceilingUrl = await ceiling.start({ kind: 'ceiling', routes });

      const reference = new ServerProcess(process.env, []);
      servers.push(reference);
      const referenceUrl = await reference.start({ kind: 'reference', baseUrl: `${PUBLIC_URL}${BASE_PATH}`, resources: referenceData(checked) });
      const referenceChecker = loadClient(referenceUrl, 1, await headersFor());
      for (const [w, workload] of all.entries()) await checkReference(referenceChecker, workload, checked[w]!);
      referenceChecker.close();
      log(`in-memory FHIR server listening at ${referenceUrl}, its answers for the same keys checked`);

      const figures: FhirFigure[] = [];
      const notes: string[] = [];
      for (const [w, workload] of all.entries()) {
        // A fresh token for each workload, as a partner takes one when the last has run out.
        const headers = await headersFor();
        // Streams of their own, so that the gateway's keys are the same on every run, however fast the others were.
        const keys = (stream: number) => new Random(KEY_SEED, w, stream);
        const picked = (rng: Random) => () => workload.pick(rng).path;
        const timeOn = async (name: string, url: string, server: ServerProcess, nextPath: () => string, between = async () => undefined) => {
          log(`${workload.operation}: ${name}, ${options.connections} connections, ${options.warmupMs / 1000} + ${options.durationMs / 1000} s`);
          const client = loadClient(url, options.connections, headers);
          const timed = await measure(client, { server, database }, options, nextPath, between);
          client.close();
          return timed;
        };

        const bare = await timeOn('ceiling', ceilingUrl, ceiling, picked(keys(2)));
        const ceilingFigure = figureOf(options.connections, { engine: 'none', operation: `bare express, fixed ${workload.operation} answer`, timed: bare, auditRecords: null });

        const referenceKeys = keys(3);
        const inMemory = await timeOn('in-memory FHIR server', referenceUrl, reference, () => referenceKeys.pick(checked[w]!).sample.path);
        const referenceFigure = figureOf(options.connections, { engine: 'memory', operation: `in-memory FHIR server, ${workload.operation}`, timed: inMemory, auditRecords: null }, ceilingFigure);

        let headBefore = 0;
        const timed = await timeOn('gateway', gatewayUrl, gateway, picked(keys(1)), async () => {
          headBefore = (await store.audit.head()).seq;
        });
        const auditRecords = (await store.audit.head()).seq - headBefore;
        const figure = figureOf(options.connections, { engine: 'postgres', operation: workload.operation, timed, auditRecords }, ceilingFigure, referenceFigure);
        figures.push(figure, referenceFigure, ceilingFigure);

        log(`${workload.operation}: ${thousands(figure.opsPerSec)}/s (ceiling ${thousands(ceilingFigure.opsPerSec)}/s, ratio ${(figure.opsPerSec / ceilingFigure.opsPerSec).toFixed(2)}; ` +
          `in-memory ${thousands(referenceFigure.opsPerSec)}/s, ratio ${figure.inMemory!.ratio.toFixed(2)}; in-memory to ceiling ${(referenceFigure.opsPerSec / ceilingFigure.opsPerSec).toFixed(2)}), ` +
          `p50 ${figure.p50Ms.toFixed(2)} ms, p99 ${figure.p99Ms.toFixed(2)} ms, ${figure.errors} errors, ${thousands(auditRecords)} audit records for ${thousands(figure.count)} requests`);
        for (const f of [figure, referenceFigure, ceilingFigure]) {
          if (f.errors > 0) throw new Error(`${f.operation}: ${f.errors} of ${f.count} requests failed; the first: ${f.firstError}`);
        }
        // Each of these requests concerns one patient, so one audit record each, committed before the answer.
        if (auditRecords !== figure.count) throw new Error(`${workload.operation}: ${figure.count} requests answered but ${auditRecords} audit records written`);
        const pagedAnswers = checked[w]!.filter(paged).length;
        notes.push(`${workload.operation}: the ceiling sends ${thousands(ceilingFigure.meanAnswerBytes)} bytes (a checked gateway answer with ` +
          `${ceilingAnswers[w]!.resources.length} resource(s)); the in-memory server's answers averaged ${thousands(referenceFigure.meanAnswerBytes)} bytes, ` +
          `the gateway's ${thousands(figure.meanAnswerBytes)} bytes${pagedAnswers ? `; ${pagedAnswers} of the ${CHECKED_SAMPLES} checked gateway answers link to a next page` : ''}`);
      }
      notes.push(`the in-memory server holds the resources of the ${all.length} × ${CHECKED_SAMPLES} checked gateway answers and is asked for their keys only, drawn (seeded); ` +
        'of a patient\'s Observations it holds the page the gateway answered, so its Bundle total is that page\'s size and it links to no next page');
      return {
        figures, notes,
        context: {
          patients: loaded.patients, observations: loaded.observations, documents: loaded.documents, loadSeconds: Math.round(loaded.loadSeconds),
          durationS: options.durationMs / 1000, warmupS: options.warmupMs / 1000, connections: options.connections,
        },
      };
    } finally {
      for (const server of servers) await server.stop();
      await db.close();
    }
  } finally {
    await scratch.dispose();
    log('scratch database removed');
  }
}

async function main(): Promise<void> {
  const options = serverBenchOptions(process.argv.slice(2));
  const loadAverageBefore = loadavg().map((n) => Number(n.toFixed(2)));
  log(`load average before: ${loadAverageBefore.join(', ')} (${cpus().length} CPUs)`);
  const { figures, notes, context } = await run(options);
  const loadAverageAfter = loadavg().map((n) => Number(n.toFixed(2)));
  const full: Context = { ...context, loadAverageBefore, loadAverageAfter };
  const heading = `${thousands(full.patients)} patients (${thousands(full.observations)} observations, ${thousands(full.documents)} documents, seeded in ${full.loadSeconds} s), ` +
    `${full.connections} keep-alive connections, ${full.warmupS} s warm-up + ${full.durationS} s a run`;
  notes.push('CPU columns: cores kept busy on average during the timed run (2.00 = both cores of a 2-CPU machine); "server loop busy": the share of that time the server\'s event loop was running callbacks, not waiting for I/O');
  notes.push(`load average (1, 5, 15 min) before ${loadAverageBefore.join(', ')}, after ${loadAverageAfter.join(', ')}, on ${cpus().length} CPUs`);
  process.stdout.write(
    `\nfhir, postgres: ${heading}\n\n${table(figures)}\n\n${detailTable(figures)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n${jsonLines('fhir', figures, full)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`fhir bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
