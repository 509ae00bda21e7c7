import { Identifier, InboundPart, type InboundPartInput } from '../canonical/index.js';
import { dbJson } from './db-json.js';
import type { RowsInsert } from './record-table.js';
import type { Scope } from './scope.js';

/**
 * What filing inbound messages needs beside the shared repositories: the parts of each message and what became
 * of them (filed, waiting in the matching queue, quarantined), and patients looked up by many identifiers at once,
 * so a message about fifty patients costs one statement rather than fifty.
 */
const COLUMNS = 'id, message_id, part_key, refs, status, patient_id, subject, candidates, issues, records, resolved_by, created_at, updated_at';

type Row = {
  id: string; message_id: string; part_key: string; refs: string[]; status: string; patient_id: string | null; subject: unknown;
  candidates: unknown[]; issues: unknown[]; records: number; resolved_by: string | null; created_at: string; updated_at: string;
};

function fromRow(r: Row): InboundPart {
  return InboundPart.parse({
    id: r.id, inboundId: r.message_id, key: r.part_key, refs: r.refs, status: r.status,
    ...(r.patient_id ? { patientId: r.patient_id } : {}), ...(r.subject ? { subject: r.subject } : {}),
    candidates: r.candidates, issues: r.issues, records: r.records, ...(r.resolved_by ? { resolvedBy: r.resolved_by } : {}),
    createdAt: r.created_at, updatedAt: r.updated_at,
  });
}

/** The statement that writes the parts of one filing (inbound.ts finish); a part filed before keeps its id and its first time. */
export function partsInsert(inputs: readonly InboundPartInput[]): RowsInsert {
  const rows = inputs.map((input) => {
    const p = InboundPart.parse(input);
    return {
      id: p.id, message_id: p.inboundId, part_key: p.key, refs: p.refs, status: p.status, patient_id: p.patientId ?? null,
      subject: p.subject ?? null, candidates: p.candidates, issues: p.issues, records: p.records, resolved_by: p.resolvedBy ?? null,
    };
  });
  return {
    sql: (p) => `INSERT INTO inbound_parts (id, message_id, part_key, refs, status, patient_id, subject, candidates, issues, records, resolved_by)
         SELECT x.id, x.message_id, x.part_key, x.refs, x.status, x.patient_id, x.subject, x.candidates, x.issues, x.records, x.resolved_by
         FROM jsonb_to_recordset(${p}::jsonb) AS x(id uuid, message_id uuid, part_key text, refs jsonb, status text, patient_id uuid,
           subject jsonb, candidates jsonb, issues jsonb, records integer, resolved_by text)
         ON CONFLICT (message_id, part_key) DO UPDATE SET refs = EXCLUDED.refs, status = EXCLUDED.status, patient_id = EXCLUDED.patient_id,
           subject = EXCLUDED.subject, candidates = EXCLUDED.candidates, issues = EXCLUDED.issues, records = EXCLUDED.records,
           resolved_by = EXCLUDED.resolved_by, updated_at = now()`,
    rows: dbJson(rows),
  };
}

/**
 * Rows (id, patient_id) of the clinical records (observations, conditions, programme enrolments, reports) whose ids
 * are in the uuid[] parameter `p`: a record id comes from the sender's own globally unique ids, so the same record
 * can come again in another message or by another route.
 */
export const storedRecordsSql = (p: string) =>
  `SELECT id, patient_id FROM observations WHERE id = ANY(${p}::uuid[])
   UNION ALL SELECT id, patient_id FROM conditions WHERE id = ANY(${p}::uuid[])
   UNION ALL SELECT id, patient_id FROM care_program_enrolments WHERE id = ANY(${p}::uuid[])
   UNION ALL SELECT id, patient_id FROM diagnostic_reports WHERE id = ANY(${p}::uuid[])`;

export interface WaitingQuery {
  readonly limit?: number;
  /** Keyset cursor: the last part of the previous page. */
  readonly after?: { readonly createdAt: string; readonly id: string };
}

export function inboundFilingRepository(scope: Scope) {
  const { q } = scope;
  return {
    async parts(inboundId: string): Promise<InboundPart[]> {
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM inbound_parts WHERE message_id = $1 ORDER BY part_key`, [inboundId]);
      return rows.map(fromRow);
    },

    /** The parts of several messages, by message id (a message without parts has none in the map). */
    async partsOf(inboundIds: readonly string[]): Promise<Map<string, InboundPart[]>> {
      const byMessage = new Map<string, InboundPart[]>();
      if (inboundIds.length === 0) return byMessage;
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM inbound_parts WHERE message_id = ANY($1::uuid[]) ORDER BY message_id, part_key`, [inboundIds]);
      for (const row of rows) {
        const part = fromRow(row);
        const list = byMessage.get(part.inboundId);
        if (list) list.push(part);
        else byMessage.set(part.inboundId, [part]);
      }
      return byMessage;
    },

    /** One part; `lock` holds its row until the transaction ends, so two people cannot decide it at once. */
    async part(id: string, options: { lock?: boolean } = {}): Promise<InboundPart | undefined> {
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM inbound_parts WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },

    /** The matching queue: parts waiting for a person, oldest first. */
    async waiting(query: WaitingQuery = {}): Promise<InboundPart[]> {
      const rows = await q.query<Row>(
        `SELECT ${COLUMNS} FROM inbound_parts WHERE status = 'waiting'
           AND ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
         ORDER BY created_at, id LIMIT $3`,
        [query.after?.createdAt ?? null, query.after?.id ?? null, Math.min(Math.max(query.limit ?? 100, 1), 1000)],
      );
      return rows.map(fromRow);
    },

    async countWaiting(): Promise<number> {
      const rows = await q.query<{ n: number }>(`SELECT count(*) AS n FROM inbound_parts WHERE status = 'waiting'`);
      return Number(rows[0]?.n ?? 0);
    },

    /**
     * The active patient each identifier names now (following merges), keyed `system|value`; identifiers nobody
     * holds are absent. One statement for the whole list.
     */
    async activePatientIds(identifiers: readonly Pick<Identifier, 'system' | 'value'>[]): Promise<Map<string, string>> {
      if (identifiers.length === 0) return new Map();
      const wanted = identifiers.map((i) => Identifier.parse({ system: i.system, value: i.value })).map((i) => ({ system: i.system, value: i.value }));
      const rows = await q.query<{ system: string; value: string; id: string }>(
        `WITH RECURSIVE chain (system, value, id, status, merged_into, hops) AS (
           SELECT x.system, x.value, p.id, p.status, p.merged_into, 0
           FROM jsonb_to_recordset($1::jsonb) AS x(system text, value text)
           JOIN patient_identifiers i ON i.system = x.system AND i.value = x.value
           JOIN patients p ON p.id = i.patient_id
           UNION ALL
           SELECT c.system, c.value, p.id, p.status, p.merged_into, c.hops + 1 FROM chain c JOIN patients p ON p.id = c.merged_into WHERE c.hops < 20)
         SELECT system, value, id FROM chain WHERE status = 'active'`,
        [JSON.stringify(wanted)],
      );
      return new Map(rows.map((r) => [`${r.system}|${r.value}`, r.id]));
    },
  };
}

export type InboundFilingRepository = ReturnType<typeof inboundFilingRepository>;
