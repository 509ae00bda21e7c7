import type { Scope } from './scope.js';

/** The search columns copied beside each record's body (verify checks them against the body). */
export interface AuditColumns {
  readonly transaction: string;
  readonly action: string;
  readonly outcome: string;
  readonly purpose: string | null;
  readonly decision: string | null;
  readonly actorType: string;
  readonly userId: string | null;
  readonly organizationId: string | null;
  readonly connectionId: string | null;
  /** The person a partner's assertion names, as given. */
  readonly actorName: string | null;
  readonly patientIds: readonly string[];
  readonly requestId: string | null;
}

export interface AuditRow extends AuditColumns {
  readonly seq: number;
  readonly recordedAt: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly body: string;
}

/** A record's place in the chain, with the digest of its content as the database computes it. */
export interface AuditLink {
  readonly seq: number;
  readonly recordedAt: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly digest: string;
}

export interface AuditFilter {
  readonly patientId?: string;
  readonly organizationId?: string;
  readonly userId?: string;
  /** A partner's person, by the name their assertion gave (case-insensitive, exact). */
  readonly actorName?: string;
  readonly purpose?: string;
  readonly decision?: string;
  readonly transaction?: string;
  /** Any of these transactions. */
  readonly transactions?: readonly string[];
  readonly outcome?: string;
  readonly from?: string;
  readonly to?: string;
  /** Newest first: records with seq below this. */
  readonly beforeSeq?: number;
  readonly limit?: number;
}

export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly signedAt: string;
  readonly keyId: string;
  readonly signature: string;
}

type Row = {
  seq: number; recorded_at: string; prev_hash: string; hash: string; body: string; transaction: string; action: string;
  outcome: string; purpose: string | null; decision: string | null; actor_type: string; user_id: string | null;
  organization_id: string | null; connection_id: string | null; actor_name: string | null; patient_ids: string[]; request_id: string | null;
};

const COLUMNS = `seq, recorded_at, prev_hash, hash, body, transaction, action, outcome, purpose, decision, actor_type,
  user_id, organization_id, connection_id, actor_name, patient_ids, request_id`;

const fromRow = (r: Row): AuditRow => ({
  seq: r.seq, recordedAt: r.recorded_at, prevHash: r.prev_hash, hash: r.hash, body: r.body, transaction: r.transaction,
  action: r.action, outcome: r.outcome, purpose: r.purpose, decision: r.decision, actorType: r.actor_type, userId: r.user_id,
  organizationId: r.organization_id, connectionId: r.connection_id, actorName: r.actor_name, patientIds: r.patient_ids, requestId: r.request_id,
});

/**
 * What the caller hands in: the body, its columns and the digest of both (audit/chain.ts entryDigest); seq, time
 * and the link hash are assigned under the chain lock.
 */
export interface PendingAudit extends AuditColumns {
  readonly body: string;
  readonly digest: string;
}

export function auditRepository(scope: Scope) {
  const { q } = scope;

  /**
   * Seqs are dense, so the window (afterSeq, afterSeq + limit] holds a whole page: asking for that window keeps
   * the plan an index range scan whatever the statistics say (on a chain not yet analysed, the open question gets
   * a bitmap scan and a sort of every row to the end, ten times slower). Only a window that comes back short, at
   * the end of the chain or at a gap, is asked again without its upper bound.
   */
  async function inChainOrder<R extends object>(columns: string, afterSeq: number, limit: number, toSeq?: number): Promise<R[]> {
    const upper = Math.min(afterSeq + limit, toSeq ?? Number.MAX_SAFE_INTEGER);
    const window = await q.query<R>(`SELECT ${columns} FROM audit_records WHERE seq > $1 AND seq <= $2 ORDER BY seq`, [afterSeq, upper]);
    if (window.length === upper - afterSeq || upper === toSeq) return window;
    return q.query<R>(
      `SELECT ${columns} FROM audit_records WHERE seq > $1 AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq LIMIT $2`,
      [afterSeq, limit, toSeq ?? null],
    );
  }

  return {
    /**
     * Appends records to the one chain in one statement (audit_append, migration 0005): it locks the chain-head
     * row, links each entry to the one before with the entry digest the caller computed, and the lock is held
     * only until that statement commits, so appends from any number of processes take short turns in one line.
     */
    async appendChained(pending: readonly PendingAudit[]): Promise<AuditRow[]> {
      if (pending.length === 0) return [];
      const links = await q.query<{ link_seq: number; link_recorded_at: string; link_prev_hash: string; link_hash: string }>(
        'SELECT link_seq, link_recorded_at, link_prev_hash, link_hash FROM audit_append($1::jsonb)',
        [JSON.stringify(pending.map((p) => ({
          digest: p.digest, body: p.body, transaction: p.transaction, action: p.action, outcome: p.outcome, purpose: p.purpose,
          decision: p.decision, actor_type: p.actorType, user_id: p.userId, organization_id: p.organizationId,
          connection_id: p.connectionId, actor_name: p.actorName, patient_ids: p.patientIds, request_id: p.requestId,
        })))],
      );
      return links.map((l, i) => {
        const { digest: _digest, ...entry } = pending[i]!;
        return { ...entry, seq: l.link_seq, recordedAt: l.link_recorded_at, prevHash: l.link_prev_hash, hash: l.link_hash };
      });
    },
    async head(): Promise<{ seq: number; hash: string }> {
      return (await q.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id = 1'))[0]!;
    },
    /** Records in chain order from `afterSeq` on (up to `toSeq`), for verification and export. */
    async range(afterSeq: number, limit: number, toSeq?: number): Promise<AuditRow[]> {
      return (await inChainOrder<Row>(COLUMNS, afterSeq, limit, toSeq)).map(fromRow);
    },
    /**
     * The links from `afterSeq` on: position, time, hashes, and the entry digest the database computes from the
     * stored columns and body (audit_entry_digest, migration 0005). What a fast verify needs, at a sixth of the bytes.
     */
    async links(afterSeq: number, limit: number, toSeq?: number): Promise<AuditLink[]> {
      const rows = await inChainOrder<{ seq: number; recorded_at: string; prev_hash: string; hash: string; digest: string }>(
        `seq, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at, prev_hash, hash,
         audit_entry_digest(audit_records) AS digest`,
        afterSeq, limit, toSeq,
      );
      return rows.map((r) => ({ seq: r.seq, recordedAt: r.recorded_at, prevHash: r.prev_hash, hash: r.hash, digest: r.digest }));
    },
    async get(seq: number): Promise<AuditRow | undefined> {
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM audit_records WHERE seq = $1`, [seq]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },
    async search(f: AuditFilter): Promise<AuditRow[]> {
      const rows = await q.query<Row>(
        `SELECT ${COLUMNS} FROM audit_records
         WHERE ($1::uuid IS NULL OR patient_ids @> ARRAY[$1::uuid]) AND ($2::uuid IS NULL OR organization_id = $2)
           AND ($3::uuid IS NULL OR user_id = $3) AND ($4::text IS NULL OR purpose = $4) AND ($5::text IS NULL OR decision = $5)
           AND ($6::text IS NULL OR transaction = $6) AND ($7::text IS NULL OR outcome = $7)
           AND ($8::timestamptz IS NULL OR recorded_at >= $8) AND ($9::timestamptz IS NULL OR recorded_at < $9)
           AND ($10::bigint IS NULL OR seq < $10) AND ($12::text IS NULL OR lower(actor_name) = lower($12))
           AND ($13::text[] IS NULL OR transaction = ANY($13::text[]))
         ORDER BY seq DESC LIMIT $11`,
        [f.patientId ?? null, f.organizationId ?? null, f.userId ?? null, f.purpose ?? null, f.decision ?? null, f.transaction ?? null,
          f.outcome ?? null, f.from ?? null, f.to ?? null, f.beforeSeq ?? null, Math.min(f.limit ?? 100, 1001), f.actorName ?? null,
          f.transactions ? [...f.transactions] : null],
      );
      return rows.map(fromRow);
    },
    async addCheckpoint(c: Checkpoint): Promise<void> {
      await q.query('INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING',
        [c.seq, c.hash, c.signedAt, c.keyId, c.signature]);
    },
    async checkpoints(): Promise<Checkpoint[]> {
      const rows = await q.query<{ seq: number; hash: string; signed_at: string; key_id: string; signature: string }>(
        'SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints ORDER BY seq',
      );
      return rows.map((r) => ({ seq: r.seq, hash: r.hash, signedAt: r.signed_at, keyId: r.key_id, signature: r.signature }));
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
