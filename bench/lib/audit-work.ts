/**
 * The work of bench/audit.ts that runs either in a writer process (bench/lib/audit-writer.ts, PostgreSQL) or in
 * the bench's own process (PGlite, whose data directory one process owns): realistic audit records, appends
 * through the appender, and the two ceilings, bare batched INSERTs and single-row autocommit INSERTs.
 */
import { createHash } from 'node:crypto';
import { createAuditAppender, pendingOf } from '../../audit/index.js';
import { AuditRecordInput } from '../../canonical/index.js';
import { Random } from '../../fixtures/synthetic/random.js';
import type { PendingAudit, Queryable, Store } from '../../store/index.js';
import { timeCalls } from './stats.js';

const EVENT_SEED = 4601;
const PARTNER_COUNT = 40;
const PATIENT_POOL = 100_000;
const RESOURCE_TYPES = ['Observation', 'Condition', 'DiagnosticReport', 'DocumentReference', 'MedicationStatement'] as const;
/** The one time every ceiling row carries: the ceilings leave out what the chain lock decides, the time included. */
const CEILING_RECORDED_AT = '2026-11-22T12:00:00.000Z';

/** Scratch tables with the columns, indexes and defaults of audit_records, which the ceilings write to. */
export const CEILING_TABLES = { batched: 'audit_ceiling_batched', single: 'audit_ceiling_single' } as const;
export const CREATE_CEILING_TABLES = Object.values(CEILING_TABLES)
  .map((t) => `CREATE TABLE ${t} (LIKE audit_records INCLUDING ALL);`)
  .join('\n');

const ROW_KEYS = [
  'seq', 'recorded_at', 'prev_hash', 'hash', 'body', 'transaction', 'action', 'outcome', 'purpose', 'decision', 'actor_type',
  'user_id', 'organization_id', 'connection_id', 'actor_name', 'patient_ids', 'request_id',
] as const;
const COLUMNS = ROW_KEYS.join(', ');

/** The appender's rows into a ceiling table, all of a batch in one set-based statement, with no chain to link or lock. */
const batchedInsert = (table: string) => `INSERT INTO ${table} (${COLUMNS})
  SELECT x.seq, x.recorded_at, x.prev_hash, x.hash, x.body, x.transaction, x.action, x.outcome, x.purpose, x.decision, x.actor_type,
         x.user_id, x.organization_id, x.connection_id, x.actor_name, ARRAY(SELECT jsonb_array_elements_text(x.patient_ids))::uuid[], x.request_id
  FROM jsonb_to_recordset($1::jsonb) AS x(seq bigint, recorded_at timestamptz, prev_hash text, hash text, body text, transaction text,
    action text, outcome text, purpose text, decision text, actor_type text, user_id uuid, organization_id uuid, connection_id uuid,
    actor_name text, patient_ids jsonb, request_id text)`;

const singleInsert = (table: string) => `INSERT INTO ${table} (${COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::uuid[], $17)`;

const partners = Array.from({ length: PARTNER_COUNT }, (_, k) => new Random(EVENT_SEED, -1, k).uuid());

const patientId = (k: number) => new Random(EVENT_SEED, -2, k).uuid();

/**
 * Record `i` of stream `stream`, the same on every run: a partner's FHIR search for one patient, permitted,
 * with the ids of the 1–20 resources that left: 1.2 KB of canonical JSON on average, most of it those ids.
 */
export function auditEvent(stream: number, i: number): AuditRecordInput {
  const rng = new Random(EVENT_SEED, stream, i);
  const organizationId = rng.pick(partners);
  const patient = patientId(rng.int(0, PATIENT_POOL - 1));
  const type = rng.pick(RESOURCE_TYPES);
  return {
    transaction: 'fhir-search',
    action: `${type}?patient`,
    outcome: 'success',
    actor: {
      type: 'partner',
      organizationId,
      name: `urn:oid:2.16.528.1.1007.3.1|${rng.int(10_000_000, 99_999_999)} (Dr. A. van der Berg)`,
      role: 'urn:oid:2.16.840.1.113883.6.96|309343006',
    },
    surface: 'fhir',
    purpose: { asReceived: 'urn:oid:2.16.840.1.113883.5.8|TREAT', matched: 'treatment' },
    patientIds: [patient],
    decision: { result: 'permit', reason: 'treatment relation with the requesting organization; opt-in consent on file', policyVersion: 'consent-2026.3' },
    returned: Array.from({ length: rng.int(1, 20) }, () => `${type}/${rng.uuid()}`),
    requestId: rng.uuid(),
    sourceAddress: `198.51.100.${rng.int(1, 254)}`,
  };
}

/** What createAuditAppender().append makes of an input before it queues it (audit/appender.ts). */
export function pendingFor(input: AuditRecordInput): PendingAudit {
  return pendingOf(AuditRecordInput.parse(input));
}

/** One writer's share of a measurement; `stream` picks its records, `warmup` of them go first, untimed. */
export type WriterTask =
  | { readonly kind: 'append'; readonly stream: number; readonly warmup: number; readonly count: number; readonly inFlight: number }
  | { readonly kind: 'batched-insert'; readonly stream: number; readonly warmup: number; readonly count: number; readonly batchSize: number; readonly firstSeq: number }
  | { readonly kind: 'single-insert'; readonly stream: number; readonly warmup: number; readonly count: number; readonly inFlight: number; readonly firstSeq: number; readonly connections: number };

export interface WriterResult {
  /** Per append or per single-row INSERT; per batch for batched INSERTs. */
  readonly latenciesMs: number[];
  readonly wallMs: number;
  /** The batches the appender wrote in the timed part (append tasks only). */
  readonly batchSizes: number[];
}

/** Between the bench and a writer process. */
export type ToWriter = { readonly type: 'start'; readonly databaseUrl: string; readonly task: WriterTask } | { readonly type: 'go' };
export type FromWriter = { readonly type: 'ready' } | { readonly type: 'done'; readonly result: WriterResult } | { readonly type: 'error'; readonly message: string };

async function appendAll(store: Store, inputs: readonly AuditRecordInput[], inFlight: number): Promise<WriterResult> {
  const batchSizes: number[] = [];
  // The appender does not show its batches; counting them where it hands them to the store tells how much group
  // commit gathered, which is the batch size the ceiling then uses.
  const counted: Store = {
    ...store,
    audit: { ...store.audit, appendChained: (pending) => (batchSizes.push(pending.length), store.audit.appendChained(pending)) },
  };
  const appender = createAuditAppender(counted);
  const timing = await timeCalls(inputs.length, inFlight, (i) => appender.append(inputs[i]!));
  return { latenciesMs: [...timing.latenciesMs], wallMs: timing.wallMs, batchSizes };
}

/** The ceiling tables' rows: the appender's rows without the chain, so without the lock that orders them. */
function ceilingRow(input: AuditRecordInput, seq: number): Record<(typeof ROW_KEYS)[number], unknown> {
  const p = pendingFor(input);
  return {
    seq, recorded_at: CEILING_RECORDED_AT, prev_hash: '0'.repeat(64), hash: createHash('sha256').update(p.body).digest('hex'), body: p.body,
    transaction: p.transaction, action: p.action, outcome: p.outcome, purpose: p.purpose, decision: p.decision, actor_type: p.actorType,
    user_id: p.userId, organization_id: p.organizationId, connection_id: p.connectionId, actor_name: p.actorName, patient_ids: p.patientIds,
    request_id: p.requestId,
  };
}

function batchesOf<T>(rows: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(rows.length / size) }, (_, b) => rows.slice(b * size, (b + 1) * size));
}

async function insertBatches(db: Queryable, params: readonly string[]): Promise<WriterResult> {
  const sql = batchedInsert(CEILING_TABLES.batched);
  const timing = await timeCalls(params.length, 1, (b) => db.query(sql, [params[b]]));
  return { latenciesMs: [...timing.latenciesMs], wallMs: timing.wallMs, batchSizes: [] };
}

async function insertRows(db: Queryable, rows: readonly unknown[][], inFlight: number): Promise<WriterResult> {
  const sql = singleInsert(CEILING_TABLES.single);
  const timing = await timeCalls(rows.length, inFlight, (i) => db.query(sql, rows[i]));
  return { latenciesMs: [...timing.latenciesMs], wallMs: timing.wallMs, batchSizes: [] };
}

/**
 * Generates the task's records, warms up (JIT, connections, catalog caches) on the first `warmup` of them, and
 * returns the timed part, so that a writer can be ready long before the bench starts all writers at once.
 * Records and ceiling rows are made here, before the clock starts, so no figure includes generating them.
 */
export async function prepare(task: WriterTask, store: Store, db: Queryable): Promise<() => Promise<WriterResult>> {
  const inputs = Array.from({ length: task.warmup + task.count }, (_, i) => auditEvent(task.stream, i));
  const warm = inputs.slice(0, task.warmup);
  const timed = inputs.slice(task.warmup);
  switch (task.kind) {
    case 'append': {
      await appendAll(store, warm, task.inFlight);
      return () => appendAll(store, timed, task.inFlight);
    }
    case 'batched-insert': {
      const params = (rows: readonly AuditRecordInput[], from: number) =>
        batchesOf(rows.map((input, k) => ceilingRow(input, from + k)), task.batchSize).map((batch) => JSON.stringify(batch));
      await insertBatches(db, params(warm, task.firstSeq));
      const timedParams = params(timed, task.firstSeq + warm.length);
      return () => insertBatches(db, timedParams);
    }
    case 'single-insert': {
      const params = (rows: readonly AuditRecordInput[], from: number) =>
        rows.map((input, k) => {
          const row = ceilingRow(input, from + k);
          // A PostgreSQL array literal, which both engines cast from text alike.
          return ROW_KEYS.map((key) => (Array.isArray(row[key]) ? `{${(row[key] as string[]).join(',')}}` : row[key]));
        });
      await insertRows(db, params(warm, task.firstSeq), task.inFlight);
      const timedParams = params(timed, task.firstSeq + warm.length);
      return () => insertRows(db, timedParams, task.inFlight);
    }
  }
}
