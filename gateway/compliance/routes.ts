import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditOutcome, AuditTransaction, PURPOSES } from '../../canonical/index.js';
import { AuditChainBroken, columnsOf, entryDigest, GENESIS_HASH, linkHash, recordOf, rowProblem, signCheckpoint, verifyChain, type AuditAppender } from '../../audit/index.js';
import type { AuditFilter, AuditRow, RootStore } from '../../store/index.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import type { KeyObject } from 'node:crypto';
import { renderAuditBundle } from '../../mappers/fhir/audit-event.js';

/**
 * What compliance officers (and admins) read: search, one record with its chain proof, CSV export, signed
 * checkpoints and verification. Every use of these routes is itself written to the trail.
 */
export interface ComplianceContext {
  readonly store: RootStore;
  readonly audit: AuditAppender;
  readonly auditKey: { readonly privateKey: KeyObject; readonly publicKey: KeyObject; readonly keyId: string };
  /** Bare OID, naming this gateway in exported AuditEvents. */
  readonly homeCommunityId: string;
  readonly retentionYears: number;
  readonly checkpointMinutes: number;
}

const READERS = { roles: ['compliance', 'admin'] } as const;
const EXPORT_PAGE = 2000;
const EXPORT_MAX = 1_000_000;
/** A FHIR export is one JSON document held in memory: bounded, and paged by time range beyond that. */
const FHIR_EXPORT_MAX = 10_000;

const Search = z.object({
  patient: z.uuid().optional(),
  organization: z.uuid().optional(),
  user: z.uuid().optional(),
  person: z.string().min(1).max(300).optional(),
  // The purpose consent decided on, by its name: a code as a partner sent it is in the record, not searched.
  purpose: z.enum(PURPOSES, { message: `must be one of ${PURPOSES.join(', ')}` }).optional(),
  decision: z.enum(['permit', 'deny', 'filtered', 'not-applicable']).optional(),
  transaction: AuditTransaction.optional(),
  outcome: AuditOutcome.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** The exports select as the search does, without its paging. */
const ExportFilter = Search.omit({ before: true, limit: true });

/** Whether a row is one the filter selects, as store/audit.ts search selects them. */
function selects(f: AuditFilter): (row: AuditRow) => boolean {
  const from = f.from ? new Date(f.from).toISOString() : undefined;
  const to = f.to ? new Date(f.to).toISOString() : undefined;
  return (row) => (!f.patientId || row.patientIds.includes(f.patientId)) && (!f.organizationId || row.organizationId === f.organizationId)
    && (!f.userId || row.userId === f.userId) && (!f.purpose || row.purpose === f.purpose) && (!f.decision || row.decision === f.decision)
    && (!f.transaction || row.transaction === f.transaction) && (!f.outcome || row.outcome === f.outcome)
    && (!f.actorName || row.actorName?.toLowerCase() === f.actorName.toLowerCase())
    && (!from || row.recordedAt >= from) && (!to || row.recordedAt < to);
}

function parseQuery<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw new HttpError(400, 'invalid query', parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  return parsed.data;
}

const view = (row: AuditRow) => ({ ...recordOf(row) });

/**
 * A cell as text. One that a spreadsheet would run as a formula (= + - @, or a tab or carriage return before one)
 * is led by an apostrophe, which spreadsheets take as "text follows": quoting alone does not stop the formula, and
 * a partner writes some of these values (the person's name in its token or assertion).
 */
const csvCell = (v: unknown) => {
  const raw = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v);
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const CSV_COLUMNS = [
  'seq', 'recordedAt', 'transaction', 'action', 'outcome', 'actorType', 'userId', 'organizationId', 'connectionId', 'actorName', 'actorRole',
  'purposeAsReceived', 'purposeMatched', 'decision', 'decisionReason', 'policyVersion', 'patientIds', 'returned', 'detail', 'requestId', 'sourceAddress', 'hash',
] as const;

function csvLine(row: AuditRow): string {
  const c = recordOf(row).content;
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    seq: row.seq, recordedAt: row.recordedAt, transaction: c.transaction, action: c.action, outcome: c.outcome, actorType: c.actor.type,
    userId: c.actor.userId, organizationId: c.actor.organizationId, connectionId: c.actor.connectionId, actorName: c.actor.name, actorRole: c.actor.role,
    purposeAsReceived: c.purpose?.asReceived, purposeMatched: c.purpose?.matched, decision: c.decision?.result, decisionReason: c.decision?.reason,
    policyVersion: c.decision?.policyVersion, patientIds: c.patientIds, returned: c.returned,
    // As JSON: what a record adds beyond the columns (a refusal's fault and reason, a retrieve's documents not returned).
    detail: c.detail && JSON.stringify(c.detail), requestId: c.requestId, sourceAddress: c.sourceAddress, hash: row.hash,
  };
  return `${CSV_COLUMNS.map((k) => csvCell(values[k])).join(',')}\r\n`;
}

export function complianceRoutes(ctx: ComplianceContext): RouteSpec[] {
  const { store, audit } = ctx;
  const noteAccess = (req: Request, action: string, detail: Record<string, string | number>) =>
    audit.append({
      transaction: 'audit-access', action, outcome: 'success',
      actor: req.principal.type === 'user' ? { type: 'user', userId: req.principal.userId } : { type: 'anonymous' },
      detail, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
    });

  const queryDetail = (req: Request) => Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
  const filterOf = (q: z.infer<typeof ExportFilter>): AuditFilter => ({
    ...(q.patient ? { patientId: q.patient } : {}), ...(q.organization ? { organizationId: q.organization } : {}),
    ...(q.user ? { userId: q.user } : {}), ...(q.person ? { actorName: q.person } : {}), ...(q.purpose ? { purpose: q.purpose } : {}), ...(q.decision ? { decision: q.decision } : {}),
    ...(q.transaction ? { transaction: q.transaction } : {}), ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}),
  });

  return [
    {
      method: 'get', path: '/records', access: READERS,
      summary: 'Search the trail by patient, organization, our user or a partner\'s person, purpose, decision, transaction, outcome and time; newest first, paged',
      async handler(req, res) {
        const q = parseQuery(Search, req);
        const rows = await store.audit.search({ ...filterOf(q), ...(q.before ? { beforeSeq: q.before } : {}), limit: q.limit + 1 });
        const page = rows.slice(0, q.limit);
        const next = rows.length > q.limit ? page[page.length - 1]!.seq : undefined;
        await noteAccess(req, 'search', queryDetail(req));
        res.json({ records: page.map(view), ...(next ? { next: `${req.baseUrl}/records?${new URLSearchParams({ ...(req.query as Record<string, string>), before: String(next) }).toString()}` } : {}) });
      },
    },
    {
      method: 'get', path: '/records/:seq', access: READERS,
      summary: 'One record in full, with its chain proof: its link recomputed, its neighbours, and the checkpoint that covers it',
      async handler(req, res) {
        const seq = z.coerce.number().int().positive().safeParse(req.params.seq);
        if (!seq.success) throw new HttpError(400, 'seq must be a positive whole number');
        const row = await store.audit.get(seq.data);
        if (!row) throw new HttpError(404, 'no audit record with this number');
        const previous = row.seq > 1 ? await store.audit.get(row.seq - 1) : undefined;
        const [next] = await store.audit.range(row.seq, 1);
        const checkpoint = (await store.audit.checkpoints()).find((c) => c.seq >= row.seq);
        const problem = rowProblem(row, row.seq, previous?.hash ?? GENESIS_HASH);
        await noteAccess(req, 'read', { seq: row.seq });
        res.json({
          record: view(row),
          proof: {
            entryDigest: entryDigest(row),
            recomputedHash: linkHash(row.prevHash, row.seq, row.recordedAt, entryDigest(row)),
            linkVerifies: problem === undefined,
            ...(problem ? { problem } : {}),
            previousHash: previous?.hash ?? null,
            nextRecord: next ? { seq: next.seq, prevHash: next.prevHash } : null,
            checkpoint: checkpoint ?? null,
            columns: columnsOf(recordOf(row).content),
          },
        });
      },
    },
    {
      method: 'get', path: '/export.csv', access: READERS, summary: 'Export records as CSV, in chain order: all, or those the search filters (time range, patient, organization, …) select',
      async handler(req: Request, res: Response) {
        const q = parseQuery(ExportFilter, req);
        await noteAccess(req, 'export-csv', queryDetail(req));
        const selected = selects(filterOf(q));
        res.type('text/csv; charset=utf-8').attachment('crossgate-audit.csv');
        res.write(`${CSV_COLUMNS.join(',')}\r\n`);
        let after = 0;
        for (let written = 0; written < EXPORT_MAX;) {
          const rows = await store.audit.range(after, EXPORT_PAGE);
          if (rows.length === 0) break;
          for (const row of rows) {
            if (!selected(row)) continue;
            res.write(csvLine(row));
            written += 1;
          }
          after = rows[rows.length - 1]!.seq;
        }
        res.end();
      },
    },
    {
      method: 'get', path: '/export.fhir', access: READERS,
      summary: 'Export records as a FHIR R4 Bundle of AuditEvents (IHE BALP shapes, one per patient): those the search filters select',
      async handler(req, res) {
        const q = parseQuery(ExportFilter, req);
        await noteAccess(req, 'export-fhir', queryDetail(req));
        const rows = await store.audit.search({ ...filterOf(q), limit: FHIR_EXPORT_MAX + 1 });
        if (rows.length > FHIR_EXPORT_MAX) throw new HttpError(413, `more than ${FHIR_EXPORT_MAX} records in this range: export a shorter one, or use export.csv`);
        const records = rows.reverse().map(recordOf);
        res.type('application/fhir+json').json(renderAuditBundle(records, { homeCommunityId: ctx.homeCommunityId, gatewayName: 'Crossgate' }, new Date().toISOString()));
      },
    },
    {
      method: 'get', path: '/checkpoints', access: READERS, summary: 'The signed checkpoints and the public key that verifies them',
      async handler(req, res) {
        await noteAccess(req, 'checkpoints', {});
        res.json({
          publicKey: ctx.auditKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          keyId: ctx.auditKey.keyId,
          checkpoints: await store.audit.checkpoints(),
        });
      },
    },
    {
      method: 'post', path: '/checkpoints', access: READERS, summary: 'Sign the chain head now',
      async handler(req, res) {
        await noteAccess(req, 'checkpoint', {});
        try {
          res.status(201).json((await signCheckpoint(store, ctx.auditKey, new Date())) ?? null);
        } catch (error) {
          if (error instanceof AuditChainBroken) throw new HttpError(409, error.message, [{ path: `records/${error.seq}`, message: error.reason }]);
          throw error;
        }
      },
    },
    {
      method: 'get', path: '/policy', access: READERS,
      summary: 'How long records are kept, when the oldest may first be deleted, and how often checkpoints are signed',
      async handler(req, res) {
        await noteAccess(req, 'policy', {});
        const [oldest] = await store.audit.range(0, 1);
        const earliestDeletion = oldest ? new Date(oldest.recordedAt) : undefined;
        earliestDeletion?.setUTCFullYear(earliestDeletion.getUTCFullYear() + ctx.retentionYears);
        res.json({
          retentionYears: ctx.retentionYears,
          oldestRecord: oldest ? { seq: oldest.seq, recordedAt: oldest.recordedAt } : null,
          earliestDeletion: earliestDeletion?.toISOString() ?? null,
          checkpointMinutes: ctx.checkpointMinutes,
        });
      },
    },
    {
      method: 'get', path: '/verify', access: READERS, summary: 'Verify the whole chain and its checkpoints (deep=true also re-derives every search column from its record); names the first record that does not verify',
      async handler(req, res) {
        await noteAccess(req, 'verify', {});
        const started = Date.now();
        const result = await verifyChain(store, ctx.auditKey.publicKey, { deep: req.query.deep === 'true' });
        res.json({ ...result, ms: Date.now() - started });
      },
    },
  ];
}
