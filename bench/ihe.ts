/**
 * Carequality benchmark: requests per second and latency of the responding gateway's ITI-38 Cross Gateway Query
 * (FindDocuments) and ITI-39 Cross Gateway Retrieve (MTOM) as a partner's initiating gateway uses them: every
 * request carries a SAML assertion signed by the partner's certificate, which the gateway verifies in full (hardened
 * parse, wrapping defences, canonicalization, signature, chain to the trust bundle, claims), a fresh wsa:MessageID
 * checked for replay, consent decided per patient and an audit record committed before each answer; against
 * PostgreSQL holding the synthetic patients of `crossgate seed`. Beside it a bare express handler in the same kind
 * of process answers each workload with fixed copies of the gateway answers checked for it, in turn (same headers,
 * same bytes), the ceiling, measured in the same run with the same client.
 *
 *   npm run build && node dist/bench/ihe.js [--patients N] [--duration S] [--warmup S] [--connections N]
 *     [--cpu-prof DIR] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * The gateway runs as `crossgate start` runs it, startGateway in a process of its own configured from its
 * environment (bench/lib/fhir-server.ts), over plain HTTP with CROSSGATE_IHE_CLIENT_CERT=optional: TLS is not in
 * the measured path, the assertion checks are. Workloads, each after `--warmup` seconds that are not counted:
 *   - ITI-38 FindDocuments, a patient's first query: patients with documents in a seeded order, each asked once,
 *     so each answer makes and stores the patient's CCD summary (gateway/ihe/summary-documents.ts);
 *   - ITI-38 FindDocuments, the summary current: patients drawn (seeded) from those asked before;
 *   - ITI-39 retrieve of one document, MTOM: a stored document, or in a workload of its own a summary, listed in
 *     the query answers checked before the runs.
 * With --cpu-prof DIR the gateway process profiles itself during each timed run and writes one V8 CPU profile a
 * workload into DIR (its figures are then not the clean ones). Progress goes to stderr; the figures go to stdout as
 * tables and as one JSON object per line.
 */
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../fixtures/synthetic/random.js';
import { NODE_FLAGS } from '../gateway/cli/node-flags.js';
import { CONFIG_VARIABLES, loadConfig, type Config } from '../gateway/config.js';
import { patientCx } from '../gateway/ihe/patient-id.js';
import type { Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open.js';
import { createStore, type RootStore } from '../store/store.js';
import { findDocumentsBody, PATHS, retrieveBody } from '../test/support/ihe.js';
import { DEFAULTS, samlPki } from '../test/support/saml.js';
import { cpuMark, cpuShare, type CpuShare, type ServerUsage } from './lib/fhir-cpu.js';
import { loadClient, serverBenchOptions, type Answer, type LoadRequest, type LoadResult, type ServerBenchOptions } from './lib/fhir-load.js';
import type { CeilingRoute, FromServer, ServerTask, ToServer } from './lib/fhir-protocol.js';
import { Forked } from './lib/forked.js';
import { checkRetrieved, listedDocuments, type ListedDocument } from './lib/ihe-answers.js';
import { requestFactory } from './lib/ihe-requests.js';
import { jsonLines, loadAverage, loadNote, markdownTable, table, type Figure } from './lib/report.js';
import { scratchPostgres, seedScratch, type Seeded } from './lib/scratch.js';
import { summarize } from './lib/stats.js';

/** The gateway's configured public address: the assertions' Audience and wsa:To name its endpoints there. */
const PUBLIC_URL = 'https://crossgate.bench.invalid';
const KEY_SEED = 4702;
/** ITI-38 answers checked before the timed runs (each a patient's first query); their documents are what ITI-39 retrieves. */
const CHECKED_QUERIES = 200;
/** ITI-39 answers checked before the timed runs. */
const CHECKED_RETRIEVES = 100;
/** Distinct signed assertions per transaction; each is carried by many envelopes, each with its own MessageID. */
const ASSERTIONS = 200;
/** Timed workloads a run has, gateway and ceiling: the assertions signed at the start must outlive them all. */
const PHASES = 7;
const SERVER_STOP_MS = 30_000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ihe: ${message}\n`);
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

type ServerProcess = Forked<ToServer, FromServer>;

/** A server process (bench/lib/fhir-server.ts); its own output (the gateway's warn-level log) goes to stderr. */
async function startServer(name: string, task: ServerTask, env: NodeJS.ProcessEnv): Promise<{ process: ServerProcess; url: string }> {
  const script = fileURLToPath(new URL('./lib/fhir-server.js', import.meta.url));
  const server = new Forked<ToServer, FromServer>(script, { env, execArgv: [...NODE_FLAGS], stdio: ['ignore', 2, 2, 'ipc'] }, name);
  return { process: server, url: (await server.call({ type: 'start', task }, 'listening')).url };
}

async function serverUsage(server: ServerProcess): Promise<ServerUsage> {
  const { cpuMicros, loopActiveMs, loopIdleMs } = await server.call({ type: 'usage' }, 'usage');
  return { cpuS: cpuMicros / 1e6, loopActiveMs, loopIdleMs };
}

/**
 * The gateway's environment: every configuration variable set here and none inherited, so that a CROSSGATE_* or
 * PORT of the shell running the bench cannot change what is measured; the keys are fresh for every run.
 */
function gatewayEnv(databaseUrl: string, trustBundle: string): NodeJS.ProcessEnv {
  const ours = {
    DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', CROSSGATE_DEMO_DATA: 'off', CROSSGATE_PUBLIC_URL: PUBLIC_URL,
    CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    CROSSGATE_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // The SAML signers' CAs; no TLS, so no client certificate: the assertion's home community names the partner.
    CROSSGATE_TRUST_BUNDLE: trustBundle, CROSSGATE_IHE_CLIENT_CERT: 'optional',
  };
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name))), ...ours };
}

/** What the scratch database holds once seeded, and the patients the requests are drawn from. */
interface Loaded extends Seeded {
  /** Every patient with a stored document and the uniqueIds of those documents, in a seeded order. */
  readonly withDocuments: readonly { readonly patientId: string; readonly uniqueIds: readonly string[] }[];
}

async function load(db: Database, store: RootStore, patients: number): Promise<Loaded> {
  const seeded = await seedScratch(db, store, patients, log);
  const rows = await db.query<{ patientId: string; uniqueIds: string[] }>(
    'SELECT patient_id AS "patientId", array_agg(unique_id ORDER BY unique_id) AS "uniqueIds" FROM documents GROUP BY patient_id ORDER BY patient_id',
  );
  // Fisher-Yates with the seeded generator: the same order on every run, unrelated to the seeding order.
  const rng = new Random(KEY_SEED, 0, 0);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return { ...seeded, withDocuments: rows };
}

/**
 * The partner as an administrator registers it: an organization with its home community id, one active carequality
 * connection, and on it the certificate that signs the partner's assertions (without TLS it is what names the
 * connection: gateway/ihe/partner.ts).
 */
async function registerPartner(store: RootStore): Promise<void> {
  const organization = await store.organizations.save({ id: randomUUID(), name: 'Bench partner hospital', homeCommunityId: DEFAULTS.homeCommunityId });
  const connection = await store.connections.create({ id: randomUUID(), organizationId: organization.id, kind: 'carequality', name: 'Bench XCA initiating gateway' });
  const signer = new X509Certificate(samlPki().signer.certPem).fingerprint256.replaceAll(':', '').toLowerCase();
  await store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: signer, createdBy: 'bench' });
  await store.connections.setStatus(connection.id, 'active');
}

interface IheFigure extends Figure {
  readonly errors: number;
  readonly firstError: string | null;
  readonly meanAnswerBytes: number;
  /** Audit records the gateway committed during the timed run (null for the ceiling, which audits nothing). */
  readonly auditRecords: number | null;
  readonly cpu: CpuShare;
  /** CPU time of the server process per answer, and the rate one core of that process alone would give. */
  readonly serverCpuMsPerRequest: number;
  readonly singleCoreRate: number;
  /** CPU time of the PostgreSQL processes of the scratch database per answer (NaN where /proc cannot be read). */
  readonly postgresCpuMsPerRequest: number;
}

/** A server under load: its process, and where the client reaches it. */
interface Target {
  readonly name: 'gateway' | 'ceiling';
  readonly process: ServerProcess;
  readonly url: string;
}

interface Context {
  readonly store: RootStore;
  readonly db: Database;
  readonly database: string;
  readonly options: ServerBenchOptions;
}

/**
 * One workload on one server: `--warmup` seconds not counted, then the timed run with CPU marks around it. For the
 * gateway, the audit records of the timed run must be exactly one successful record of `transaction` per request;
 * with --cpu-prof the gateway profiles the timed run into `profile`.
 */
async function measure(ctx: Context, target: Target, operation: string, requestOf: (i: number) => LoadRequest, audit: { transaction: string; profile: string } | undefined, ceiling?: Figure['ceiling']): Promise<IheFigure> {
  const { options } = ctx;
  log(`${operation}: ${target.name}, ${options.connections} connections, ${options.warmupMs / 1000} + ${options.durationMs / 1000} s`);
  const client = loadClient(target.url, options.connections, {});
  const mark = () => cpuMark(() => serverUsage(target.process), ctx.database);
  try {
    await client.run(options.warmupMs, requestOf);
    const headBefore = (await ctx.store.audit.head()).seq;
    const profiling = audit && options.cpuProfDir !== undefined;
    if (profiling) await target.process.call({ type: 'profile-start' }, 'profiling');
    const before = await mark();
    const result: LoadResult = await client.run(options.durationMs, requestOf);
    const after = await mark();
    if (profiling) await target.process.call({ type: 'profile-stop', file: path.join(options.cpuProfDir!, audit.profile) }, 'profiled');
    const cpu = cpuShare(before, after, result.wallMs);
    const perRequestMs = (cores: number) => (cores * result.wallMs) / Math.max(1, result.requests);
    const figure: IheFigure = {
      engine: target.name === 'gateway' ? 'postgres' : 'none', operation, callers: options.connections, ...summarize(result.requests, result),
      ...(ceiling ? { ceiling } : {}),
      errors: result.errors, firstError: result.firstError ?? null, meanAnswerBytes: Math.round(result.bytes / Math.max(1, result.requests)),
      auditRecords: audit ? (await ctx.store.audit.head()).seq - headBefore : null, cpu,
      serverCpuMsPerRequest: perRequestMs(cpu.server), singleCoreRate: 1000 / perRequestMs(cpu.server), postgresCpuMsPerRequest: perRequestMs(cpu.postgres),
    };
    if (figure.errors > 0) throw new Error(`${operation}, ${target.name}: ${figure.errors} of ${figure.count} requests failed; the first: ${figure.firstError}`);
    if (audit) await checkAudit(ctx.db, operation, audit.transaction, headBefore, figure.count);
    log(`${operation}, ${target.name}: ${thousands(figure.opsPerSec)}/s, p50 ${figure.p50Ms.toFixed(2)} ms, p99 ${figure.p99Ms.toFixed(2)} ms, ` +
      `${figure.serverCpuMsPerRequest.toFixed(3)} ms server CPU a request${audit ? `, ${thousands(figure.auditRecords!)} audit records` : ''}`);
    return figure;
  } finally {
    client.close();
  }
}

/**
 * Each of these requests concerns one patient: one audit record each, committed before the answer, and all of them
 * successes (an answer of 200 can still be a registry Failure, which the trail records as a failure).
 */
async function checkAudit(db: Database, operation: string, transaction: string, after: number, requests: number): Promise<void> {
  const rows = await db.query<{ transaction: string; outcome: string; n: number }>(
    'SELECT transaction, outcome, count(*)::int AS n FROM audit_records WHERE seq > $1 GROUP BY 1, 2 ORDER BY 3 DESC', [after],
  );
  const found = rows.map((r) => `${r.n} ${r.transaction} ${r.outcome}`).join(', ') || 'none';
  if (rows.length !== 1 || rows[0]!.transaction !== transaction || rows[0]!.outcome !== 'success' || rows[0]!.n !== requests) {
    throw new Error(`${operation}: ${requests} requests answered, but the audit records written are: ${found}`);
  }
}

/** A checked gateway answer, which the ceiling sends as one of its fixed answers. */
interface CheckedAnswer {
  readonly answer: Answer;
  readonly bytes: number;
}

/** The ceiling's route for `path`, sending the checked gateway answers in turn (same headers, same bytes). */
function ceilingRoute(path: string, checked: readonly CheckedAnswer[]): CeilingRoute {
  return { path, method: 'post', answers: checked.map((c) => ({ contentType: c.answer.contentType, base64: c.answer.raw.toString('base64') })) };
}

/** The ceiling answers the two kinds of retrieve at paths of their own, so each gets its own fixed answer. */
const ceilingRetrievePath = (kind: string) => `${PATHS.retrieve}/${kind}`;

function detailTable(figures: readonly IheFigure[]): string {
  const cores = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));
  const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(3));
  return markdownTable(
    ['server', 'workload', 'requests', 'audit records', 'answer bytes', 'server loop busy', 'CPU server', 'CPU PostgreSQL', 'CPU load gen.', 'CPU other', 'CPU machine',
      'server CPU ms/req', 'one core of server, req/s', 'PostgreSQL CPU ms/req'],
    figures.map((f) => [
      f.engine === 'postgres' ? 'gateway' : 'ceiling', f.operation, thousands(f.count), f.auditRecords === null ? '-' : thousands(f.auditRecords), thousands(f.meanAnswerBytes),
      `${Math.round(f.cpu.serverLoop * 100)}%`, cores(f.cpu.server), cores(f.cpu.postgres), cores(f.cpu.loadGenerator), cores(f.cpu.other), cores(f.cpu.machine),
      ms(f.serverCpuMsPerRequest), thousands(f.singleCoreRate), ms(f.postgresCpuMsPerRequest),
    ]),
    2,
  );
}

async function run(options: ServerBenchOptions): Promise<{ figures: IheFigure[]; notes: string[]; loaded: Seeded }> {
  const scratch = await scratchPostgres(options.postgresUrl);
  log(`scratch database ${scratch.location}`);
  const database = new URL(scratch.location).pathname.slice(1);
  const dir = await mkdtemp(path.join(tmpdir(), 'crossgate-ihe-bench-'));
  const servers: ServerProcess[] = [];
  try {
    const db = await openDatabase({ databaseUrl: scratch.location });
    try {
      await migrate(db);
      const store = createStore(db);
      const loaded = await load(db, store, options.patients);
      if (loaded.withDocuments.length <= CHECKED_QUERIES) throw new Error(`${loaded.withDocuments.length} patients have documents: too few for this bench; seed more --patients`);
      log(`${thousands(loaded.withDocuments.length)} patients have documents`);
      await registerPartner(store);

      const trustBundle = path.join(dir, 'trust-bundle.pem');
      await writeFile(trustBundle, samlPki().trustAnchors.join('\n'));
      const env = gatewayEnv(scratch.location, trustBundle);
      const config: Config = loadConfig(env);
      const home = `urn:oid:${config.homeCommunityId}`;
      const cx = (patientId: string) => patientCx(config, patientId);
      if (options.cpuProfDir) await mkdir(options.cpuProfDir, { recursive: true });
      const gateway = await startServer('gateway process', { kind: 'gateway' }, env);
      servers.push(gateway.process);
      log(`gateway listening at ${gateway.url}${options.cpuProfDir ? `, profiling each timed run into ${options.cpuProfDir}` : ''}`);

      log(`signing ${ASSERTIONS} assertions for each transaction (xml-crypto, RSA-SHA256, the test PKI)`);
      // Partners' assertions last about five minutes; these outlive the run (the checks and every phase, with room
      // to spare), which changes nothing in what checking them costs.
      const validMs = PHASES * (options.warmupMs + options.durationMs) + 30 * 60_000;
      const query = requestFactory('query', { publicUrl: PUBLIC_URL, assertions: ASSERTIONS, validMs, mtom: false });
      const retrieve = requestFactory('retrieve', { publicUrl: PUBLIC_URL, assertions: ASSERTIONS, validMs, mtom: true });
      const queryOf = (i: number, patientId: string) => query.request(i, findDocumentsBody(cx(patientId)));
      const retrieveOf = (i: number, d: ListedDocument) => retrieve.request(i, retrieveBody([{ home: d.home, repository: d.repositoryUniqueId, uniqueId: d.uniqueId }]));

      // Checked before anything is timed: the first CHECKED_QUERIES patients of the seeded order, each asked once.
      const checker = loadClient(gateway.url, 1, {});
      const queryAnswers: CheckedAnswer[] = [];
      const listed = { stored: [] as ListedDocument[], summary: [] as ListedDocument[] };
      for (const [k, patient] of loaded.withDocuments.slice(0, CHECKED_QUERIES).entries()) {
        const answer = await checker.fetch(queryOf(k, patient.patientId));
        const documents = listedDocuments(answer, cx(patient.patientId), home);
        const stored = documents.filter((d) => patient.uniqueIds.includes(d.uniqueId));
        const others = documents.filter((d) => !patient.uniqueIds.includes(d.uniqueId));
        // The stored documents, and the summary made on demand (a C-CDA CCD, text/xml).
        if (stored.length !== patient.uniqueIds.length || others.length !== 1 || others[0]!.mimeType !== 'text/xml') {
          throw new Error(`ITI-38 for patient ${patient.patientId}: ${documents.length} entries listed, expected the ${patient.uniqueIds.length} stored and one summary`);
        }
        listed.stored.push(...stored);
        listed.summary.push(...others);
        queryAnswers.push({ answer, bytes: answer.raw.length });
      }
      log(`ITI-38: ${CHECKED_QUERIES} answers checked: ${thousands(listed.stored.length)} stored documents and ${listed.summary.length} summaries (made for the query) listed`);
      const retrieveAnswers = { stored: [] as CheckedAnswer[], summary: [] as CheckedAnswer[] };
      for (const kind of ['stored', 'summary'] as const) {
        const keys = new Random(KEY_SEED, 1, kind === 'stored' ? 0 : 1);
        for (let k = 0; k < CHECKED_RETRIEVES; k++) {
          const document = keys.pick(listed[kind]);
          const answer = await checker.fetch(retrieveOf(k, document));
          checkRetrieved(answer, document);
          retrieveAnswers[kind].push({ answer, bytes: answer.raw.length });
        }
      }
      log(`ITI-39: ${CHECKED_RETRIEVES} answers of each kind checked (the document asked for, its bytes with the listed hash and size)`);
      checker.close();

      const ceiling = await startServer('ceiling process', {
        kind: 'ceiling',
        routes: [ceilingRoute(PATHS.query, queryAnswers), ...(['stored', 'summary'] as const).map((kind) => ceilingRoute(ceilingRetrievePath(kind), retrieveAnswers[kind]))],
      }, process.env);
      servers.push(ceiling.process);
      const ctx: Context = { store, db, database, options };
      const gatewayTarget: Target = { name: 'gateway', process: gateway.process, url: gateway.url };
      const ceilingTarget: Target = { name: 'ceiling', process: ceiling.process, url: ceiling.url };
      const versus = (f: IheFigure) => ({ operation: 'bare express, same answers', opsPerSec: f.opsPerSec });
      const figures: IheFigure[] = [];

      // ITI-38: the ceiling gets the checked patients' queries (it reads none of them).
      const checkedPatients = loaded.withDocuments.slice(0, CHECKED_QUERIES);
      const ceilingKeys = new Random(KEY_SEED, 2, 0);
      const queryCeiling = await measure(ctx, ceilingTarget, 'bare express, fixed ITI-38 FindDocuments answers', (i) => queryOf(i, ceilingKeys.pick(checkedPatients).patientId), undefined);
      // First queries: the patients after the checked ones, in the seeded order, each asked once.
      let asked = CHECKED_QUERIES;
      const first = await measure(ctx, gatewayTarget, 'ITI-38 FindDocuments, first query (summary made)', (i) => {
        const patient = loaded.withDocuments[asked++];
        if (!patient) throw new Error(`every one of the ${loaded.withDocuments.length} patients with documents was asked: seed more --patients or shorten --duration`);
        return queryOf(i, patient.patientId);
      }, { transaction: 'ITI-38', profile: 'ihe-iti38-first.cpuprofile' }, versus(queryCeiling));
      // Then patients drawn from all asked so far, whose summary is current.
      const askedBefore = loaded.withDocuments.slice(0, asked);
      const repeatKeys = new Random(KEY_SEED, 3, 0);
      const repeat = await measure(ctx, gatewayTarget, 'ITI-38 FindDocuments, summary current', (i) => queryOf(i, repeatKeys.pick(askedBefore).patientId),
        { transaction: 'ITI-38', profile: 'ihe-iti38.cpuprofile' }, versus(queryCeiling));
      figures.push(repeat, first, queryCeiling);

      // ITI-39: a stored document, or a summary, listed in the checked answers, drawn (seeded); each beside its own ceiling.
      for (const [k, kind] of (['stored', 'summary'] as const).entries()) {
        const what = kind === 'stored' ? 'a stored document' : 'a summary (CCD)';
        const pick = (stream: number) => {
          const rng = new Random(KEY_SEED, 4 + k, stream);
          return (i: number) => retrieveOf(i, rng.pick(listed[kind]));
        };
        const toCeiling = pick(0);
        const bare = await measure(ctx, ceilingTarget, `bare express, fixed ITI-39 answers with ${what}`, (i) => ({ ...toCeiling(i), path: ceilingRetrievePath(kind) }), undefined);
        const retrieved = await measure(ctx, gatewayTarget, `ITI-39 retrieve of ${what}, MTOM`, pick(1), { transaction: 'ITI-39', profile: `ihe-iti39-${kind}.cpuprofile` }, versus(bare));
        figures.push(retrieved, bare);
      }

      const mean = (answers: readonly CheckedAnswer[]) => thousands(answers.reduce((n, a) => n + a.bytes, 0) / answers.length);
      const notes = [
        `each ceiling sends the gateway answers checked for its workload in turn (${CHECKED_QUERIES} for ITI-38, ${CHECKED_RETRIEVES} for each ITI-39), as they were sent`,
        `ITI-38: the checked answers averaged ${mean(queryAnswers)} bytes; "summary current" drew from the ${thousands(askedBefore.length)} patients asked before it ` +
          `(of ${thousands(loaded.withDocuments.length)} with documents), who have ${thousands(askedBefore.reduce((n, p) => n + p.uniqueIds.length, 0))} stored documents and a summary each`,
        `ITI-39: drawn from what the ${CHECKED_QUERIES} checked ITI-38 answers listed: ${thousands(listed.stored.length)} stored documents (checked answers ${mean(retrieveAnswers.stored)} bytes on average) ` +
          `and ${listed.summary.length} summaries (${mean(retrieveAnswers.summary)} bytes on average)`,
      ];
      return { figures, notes, loaded: { patients: loaded.patients, observations: loaded.observations, documents: loaded.documents, loadSeconds: Math.round(loaded.loadSeconds) } };
    } finally {
      for (const server of servers) await server.stop({ type: 'stop' }, 'stopped', SERVER_STOP_MS);
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await scratch.dispose();
    log('scratch database removed');
  }
}

async function main(): Promise<void> {
  const options = serverBenchOptions(process.argv.slice(2));
  const before = loadAverage();
  log(`load average before: ${before.join(', ')} (${cpus().length} CPUs)`);
  const { figures, notes, loaded } = await run(options);
  const after = loadAverage();
  const context = {
    ...loaded, durationS: options.durationMs / 1000, warmupS: options.warmupMs / 1000, connections: options.connections, transport: 'http',
    assertions: ASSERTIONS, loadAverageBefore: before, loadAverageAfter: after,
  };
  notes.push(
    'CPU columns: cores kept busy on average during the timed run (2.00 = both cores of a 2-CPU machine); "server loop busy": the share of that time the server\'s event loop was running callbacks, not waiting for I/O',
    'server CPU ms/req: the server process\'s CPU time (user + system) per answer; "one core of server": 1 / that, the rate one core given to that process alone would give, PostgreSQL and the client elsewhere',
    loadNote(before, after),
  );
  process.stdout.write([
    `\nihe, postgres: ${thousands(loaded.patients)} patients (${thousands(loaded.observations)} observations, ${thousands(loaded.documents)} documents, seeded in ${loaded.loadSeconds} s), ` +
      `${options.connections} keep-alive connections, ${context.warmupS} s warm-up + ${context.durationS} s a run; plain HTTP (TLS not measured), every request with a signed assertion verified in full`,
    table(figures), detailTable(figures), notes.map((n) => `- ${n}`).join('\n'), `${jsonLines('ihe', figures, context)}\n`,
  ].join('\n\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ihe bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
