import { createHash, randomUUID } from 'node:crypto';
import { InboundMessage, type InboundFormat, type InboundPartInput, type InboundStatus, type Issue } from '../canonical/index.js';
import { clinicalInserts, type ClinicalRecords } from './clinical.js';
import { StoreError } from './errors.js';
import { partsInsert, storedRecordsSql } from './inbound-filing.js';
import { dbJson } from './db-json.js';
import type { RowsInsert } from './record-table.js';
import type { Scope } from './scope.js';

const COLUMNS = 'id, sender, message_id, format, status, received_at, processed_at, attempts, content_sha256, size, issues';

type Row = {
  id: string; sender: string; message_id: string; format: string; status: string; received_at: string;
  processed_at: string | null; attempts: number; content_sha256: string; size: number; issues: unknown[];
};

function fromRow(r: Row): InboundMessage {
  return InboundMessage.parse({
    id: r.id, sender: r.sender, messageId: r.message_id, format: r.format, status: r.status, receivedAt: r.received_at,
    ...(r.processed_at ? { processedAt: r.processed_at } : {}), attempts: r.attempts, contentSha256: r.content_sha256,
    size: r.size, issues: r.issues,
  });
}

export interface Receipt {
  readonly message: InboundMessage;
  /** True when this (sender, messageId) was already stored: acknowledge again, file nothing. */
  readonly duplicate: boolean;
  /** True when a redelivery under the same id carried different bytes (kept as it was first received). */
  readonly contentDiffers: boolean;
}

/** What a filing writes as it ends (finish): its records, its parts and the message's new status. */
export interface FilingEnd {
  readonly status: 'processed' | 'quarantined';
  readonly issues: readonly Issue[];
  readonly parts: readonly InboundPartInput[];
  readonly records: ClinicalRecords;
}

const SET_STATUS = `UPDATE inbound_messages SET status = $2, issues = $3, attempts = attempts + 1,
         processed_at = CASE WHEN $2 = 'processed' THEN now() ELSE processed_at END
       WHERE id = $1 RETURNING ${COLUMNS}`;

/** Inbound messages, stored raw before anything parses them, once per (sender, messageId). */
export function inboundRepository(scope: Scope) {
  const { q } = scope;
  /** The status update, after the writes given, all in one statement (data-modifying WITH queries). */
  const setStatus = async (id: string, status: InboundStatus, issues: readonly Issue[], writes: readonly RowsInsert[] = []): Promise<InboundMessage> => {
    const first = 4;
    const writing = writes.map((w, i) => `w${i} AS (${w.sql(`$${first + i}`)})`).join(', ');
    const rows = await q.query<Row>(`${writing ? `WITH ${writing} ` : ''}${SET_STATUS}`, [id, status, dbJson(issues), ...writes.map((w) => w.rows)]);
    if (!rows[0]) throw new StoreError('not-found', 'inbound message not found', { id });
    return fromRow(rows[0]);
  };

  return {
    async receive(input: { sender: string; messageId: string; format: InboundFormat; raw: Uint8Array }): Promise<Receipt> {
      const sha = createHash('sha256').update(input.raw).digest('hex');
      const inserted = await q.query<Row>(
        `INSERT INTO inbound_messages (id, sender, message_id, format, status, content_sha256, size, raw)
         VALUES ($1, $2, $3, $4, 'received', $5, $6, $7) ON CONFLICT (sender, message_id) DO NOTHING RETURNING ${COLUMNS}`,
        [randomUUID(), input.sender, input.messageId, input.format, sha, input.raw.byteLength, input.raw],
      );
      if (inserted[0]) return { message: fromRow(inserted[0]), duplicate: false, contentDiffers: false };
      const existing = await q.query<Row>(`SELECT ${COLUMNS} FROM inbound_messages WHERE sender = $1 AND message_id = $2`, [input.sender, input.messageId]);
      const message = fromRow(existing[0]!);
      return { message, duplicate: true, contentDiffers: message.contentSha256 !== sha };
    },
    async get(id: string): Promise<InboundMessage | undefined> {
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM inbound_messages WHERE id = $1`, [id]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },
    /**
     * The message, its row locked until the transaction ends (one filing of a message at a time, in every
     * process), and the patient each of `recordIds` is stored under already, for those stored: one statement.
     */
    async lock(id: string, recordIds: readonly string[] = []): Promise<{ message: InboundMessage; storedRecords: Map<string, string> } | undefined> {
      const rows = await q.query<Row & { stored: [string, string][] | null }>(
        `SELECT ${COLUMNS}, (SELECT json_agg(json_build_array(s.id, s.patient_id)) FROM (${storedRecordsSql('$2')}) s) AS stored
         FROM inbound_messages WHERE id = $1 FOR UPDATE`,
        [id, recordIds],
      );
      return rows[0] ? { message: fromRow(rows[0]), storedRecords: new Map(rows[0].stored ?? []) } : undefined;
    },
    async getRaw(id: string): Promise<Uint8Array | undefined> {
      const rows = await q.query<{ raw: Uint8Array }>('SELECT raw FROM inbound_messages WHERE id = $1', [id]);
      return rows[0] ? new Uint8Array(rows[0].raw) : undefined;
    },
    markProcessed: (id: string, issues: readonly Issue[] = []) => setStatus(id, 'processed', issues),
    markQuarantined: (id: string, issues: readonly Issue[]) => setStatus(id, 'quarantined', issues),
    /**
     * Ends a filing in one statement, one round trip instead of one per table: every record validated first (a
     * bad one throws before anything is written), then the records, the parts and the message's new status.
     */
    finish: (id: string, end: FilingEnd) =>
      setStatus(id, end.status, end.issues, [...clinicalInserts(end.records), ...(end.parts.length > 0 ? [partsInsert(end.parts)] : [])]),
    /** Messages stored before `receivedBefore` and never given a verdict (still 'received'), oldest first. */
    async unfiled(receivedBefore: Date, limit: number): Promise<InboundMessage[]> {
      const rows = await q.query<Row>(
        `SELECT ${COLUMNS} FROM inbound_messages WHERE status = 'received' AND received_at < $1 ORDER BY received_at, id LIMIT $2`,
        [receivedBefore.toISOString(), Math.min(limit, 1000)],
      );
      return rows.map(fromRow);
    },
    async list(filter: { status?: InboundStatus; sender?: string; limit?: number } = {}): Promise<InboundMessage[]> {
      const rows = await q.query<Row>(
        `SELECT ${COLUMNS} FROM inbound_messages WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR sender = $2)
         ORDER BY received_at DESC, id DESC LIMIT $3`,
        [filter.status ?? null, filter.sender ?? null, Math.min(filter.limit ?? 100, 1000)],
      );
      return rows.map(fromRow);
    },
  };
}

export type InboundRepository = ReturnType<typeof inboundRepository>;
