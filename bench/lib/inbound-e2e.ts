import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditAppender } from '../../audit/index.js';
import { completeBsn, Observation } from '../../canonical/index.js';
import { randomToken, sha256 } from '../../gateway/auth/secrets.js';
import { NODE_FLAGS } from '../../gateway/cli/node-flags.js';
import { CONFIG_VARIABLES } from '../../gateway/config.js';
import { createLogger } from '../../gateway/logger.js';
import { ketenzorgAdapter } from '../../gateway/inbound/ketenzorg.js';
import { labAdapter } from '../../gateway/inbound/lab.js';
import type { Channel, InboundAdapter } from '../../gateway/inbound/parsed.js';
import { createInboundPipeline, SENDER_KIND, type InboundOutcome } from '../../gateway/inbound/pipeline.js';
import { createStore, migrate, openDatabase, type Database, type RootStore } from '../../store/index.js';
import type { FromServer, ToServer } from './fhir-protocol.js';
import { Forked } from './forked.js';
import type { Figure } from './report.js';
import { scratchPostgres } from './scratch.js';
import { summarize, timeCalls, type Timing } from './stats.js';

/**
 * End-to-end inbound figures for bench/ketenzorg and bench/medlab, into a scratch PostgreSQL database:
 * 1. the inbound pipeline in this process, as `crossgate ingest` runs it (store the raw message, parse, resolve
 *    or create the patient, file every record in one transaction, the audit record), `callers` messages at once;
 * 2. the same over HTTP: POST /inbound/<channel> to a gateway process started as `crossgate start` would be;
 * each beside its ceiling, measured in the same run: the very rows the pipeline filed, put in again (new ids) by
 * the store's batched INSERT alone, one statement a message, as many callers.
 */
export interface EndToEndInput {
  readonly name: string;
  readonly channel: Channel;
  /** What one payload is (a message, an interchange) and what the figures count in it (observations, results). */
  readonly payload: string;
  readonly unit: string;
  readonly postgresUrl: string;
  readonly callers: number;
  readonly warmup: readonly Uint8Array[];
  readonly pipeline: readonly Uint8Array[];
  readonly http: readonly Uint8Array[];
  readonly log: (text: string) => void;
}

const testBsns: string[] = [];
let nextTestPrefix = 99_990_000;

/** The k-th number of the test range 9999xxxxx that passes the 11-proef (about 9,000 of them): never a real BSN. */
export function benchBsn(k: number): string {
  while (testBsns.length <= k) {
    if (nextTestPrefix > 99_999_999) throw new Error('the test BSN range 9999xxxxx is used up');
    const bsn = completeBsn(String(nextTestPrefix++));
    if (bsn) testBsns.push(bsn);
  }
  return testBsns[k]!;
}

interface Run {
  readonly timing: Timing;
  readonly units: number;
  readonly inboundIds: readonly string[];
}

export async function endToEnd(input: EndToEndInput): Promise<Figure[]> {
  const scratch = await scratchPostgres(input.postgresUrl);
  const db = await openDatabase({ databaseUrl: scratch.location, maxConnections: input.callers + 4 });
  try {
    await migrate(db);
    const store = createStore(db);
    const org = await store.organizations.save({ id: randomUUID(), name: `${input.name} bench sender` });
    const connection = await store.connections.create({ id: randomUUID(), organizationId: org.id, kind: SENDER_KIND[input.channel], name: 'bench' });
    await store.connections.setStatus(connection.id, 'active');
    const pipeline = createInboundPipeline({ store, audit: createAuditAppender(store), logger: createLogger('warn', process.stderr) });
    const adapter: InboundAdapter<unknown> = input.channel === 'ketenzorg' ? ketenzorgAdapter : labAdapter;
    const actor = { type: 'system' as const, name: `bench ${input.name}` };
    const file = (raw: Uint8Array) => pipeline.receive(adapter, { connection, raw, actor }).then(checked);

    input.log(`${input.name} e2e: warming up with ${input.warmup.length} payloads`);
    for (const raw of input.warmup) await file(raw);
    input.log(`${input.name} e2e: filing ${input.pipeline.length} payloads through the pipeline, ${input.callers} at once`);
    const viaPipeline = await timed(input.pipeline, input.callers, file);
    const pipelineCeiling = await ceiling(db, store, viaPipeline, input.callers);

    input.log(`${input.name} e2e: posting ${input.http.length} payloads over HTTP to a gateway process, ${input.callers} at once`);
    const token = await tokenFor(store, connection.id);
    const server = await gatewayProcess(scratch.location);
    let viaHttp: Run;
    try {
      const post = async (raw: Uint8Array) => {
        const res = await fetch(`${server.url}/inbound/${input.channel}`, {
          method: 'POST', body: raw, headers: { Authorization: `Bearer ${token}`, 'Content-Type': input.channel === 'lab' ? 'application/edifact' : 'application/xml' },
        });
        await res.arrayBuffer();
        if (res.status !== 200 || res.headers.get('x-acknowledgement') === 'AR') throw new Error(`POST answered ${res.status} ${res.headers.get('x-acknowledgement') ?? ''}`);
        return res.headers.get('x-inbound-message-id')!;
      };
      viaHttp = await timedHttp(db, input.http, input.callers, post);
    } finally {
      await server.stop();
    }
    const httpCeiling = await ceiling(db, store, viaHttp, input.callers);

    const figure = (operation: string, count: number, timing: Timing, ceilingOps?: number): Figure => ({
      engine: 'postgres', operation, callers: input.callers, ...summarize(count, timing),
      ...(ceilingOps ? { ceiling: { operation: `bare batched INSERT of the same ${input.unit}`, opsPerSec: ceilingOps } } : {}),
    });
    return [
      figure(`${input.name} pipeline, ${input.payload}`, input.pipeline.length, viaPipeline.timing),
      figure(`${input.name} pipeline, ${input.unit}`, viaPipeline.units, viaPipeline.timing, viaPipeline.units / (pipelineCeiling.wallMs / 1000)),
      figure(`${input.name} HTTP POST, ${input.payload}`, input.http.length, viaHttp.timing),
      figure(`${input.name} HTTP POST, ${input.unit}`, viaHttp.units, viaHttp.timing, viaHttp.units / (httpCeiling.wallMs / 1000)),
    ];
  } finally {
    await db.close();
    await scratch.dispose();
  }
}

/** A message that was not filed would make the figures lie: the run stops. */
function checked(outcome: InboundOutcome): InboundOutcome {
  if (outcome.duplicate || outcome.message.status !== 'processed') {
    throw new Error(`bench message ${outcome.message.messageId} was ${outcome.duplicate ? 'a duplicate' : outcome.message.status}: ${JSON.stringify(outcome.message.issues)}`);
  }
  return outcome;
}

async function timed(messages: readonly Uint8Array[], callers: number, file: (raw: Uint8Array) => Promise<InboundOutcome>): Promise<Run> {
  const inboundIds: string[] = new Array(messages.length);
  let units = 0;
  const timing = await timeCalls(messages.length, callers, async (i) => {
    const outcome = await file(messages[i]!);
    inboundIds[i] = outcome.message.id;
    units += outcome.counts.observations;
  });
  return { timing, units, inboundIds };
}

/** The HTTP answer carries no counts: what the messages filed is counted in the database after the timed run. */
async function timedHttp(db: Database, messages: readonly Uint8Array[], callers: number, post: (raw: Uint8Array) => Promise<string>): Promise<Run> {
  const inboundIds: string[] = new Array(messages.length);
  const timing = await timeCalls(messages.length, callers, async (i) => {
    inboundIds[i] = await post(messages[i]!);
  });
  const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM observations WHERE message_id = ANY($1::uuid[])', [inboundIds]);
  return { timing, units: Number(rows[0]!.n), inboundIds };
}

/** The rows each message filed, read back and given new ids, then inserted again one statement a message. */
async function ceiling(db: Database, store: RootStore, run: Run, callers: number): Promise<Timing> {
  const batches: Observation[][] = [];
  for (const id of run.inboundIds) {
    const rows = await db.query<{ resource: unknown }>('SELECT resource FROM observations WHERE message_id = $1', [id]);
    batches.push(rows.map((r) => ({ ...Observation.parse(r.resource), id: randomUUID() })));
  }
  return timeCalls(batches.length, callers, (i) => store.observations.insertMany(batches[i]!));
}

/** A bearer token for the connection, made as the admin API makes one. */
async function tokenFor(store: RootStore, connectionId: string): Promise<string> {
  const id = randomUUID();
  const secret = randomToken();
  await store.connections.addCredential({ id, connectionId, type: 'token', lookup: id, secretHash: sha256(secret), createdBy: 'bench' });
  return `cgt_${id.replace(/-/g, '')}_${secret}`;
}

/** The gateway as `crossgate start` runs it, in a process of its own, configured by nothing but what is set here. */
async function gatewayProcess(databaseUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'crossgate-inbound-bench-'));
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name))),
    DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', CROSSGATE_DEMO_DATA: 'off', CROSSGATE_DATA_DIR: dataDir,
    CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    CROSSGATE_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const script = fileURLToPath(new URL('./fhir-server.js', import.meta.url));
  const child = new Forked<ToServer, FromServer>(script, { env, execArgv: [...NODE_FLAGS], stdio: ['ignore', 2, 2, 'ipc'] }, 'gateway process');
  child.send({ type: 'start', task: { kind: 'gateway' } });
  const { url } = await child.expect('listening');
  return {
    url,
    async stop() {
      child.send({ type: 'stop' });
      await child.expect('stopped').catch(() => child.kill());
      await child.exited.catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
