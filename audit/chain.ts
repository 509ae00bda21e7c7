import { createHash } from 'node:crypto';
import { AuditRecordInput, type AuditRecord, type AuditRecordContent } from '../canonical/index.js';
import type { AuditColumns, AuditRow, PendingAudit } from '../store/index.js';
import { canonicalJson } from './canonical-json.js';

/** The first link's predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

/** The search columns in a fixed order, so the hash covers them too and verify needs no parse of the body. */
export function columnsText(c: AuditColumns): string {
  return JSON.stringify([
    c.transaction, c.action, c.outcome, c.purpose, c.decision, c.actorType, c.userId, c.organizationId, c.connectionId, c.actorName,
    c.patientIds, c.requestId,
  ]);
}

/**
 * SHA-256 over the previous hash, the position, the time, the search columns and the canonical body: changing
 * any of them breaks the link.
 */
export function linkHash(prevHash: string, seq: number, recordedAt: string, entry: PendingAudit): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${recordedAt}\n${columnsText(entry)}\n${entry.body}`).digest('hex');
}

/** The search columns a body implies; stored beside it and checked against it by verify. */
export function columnsOf(content: AuditRecordContent): AuditColumns {
  return {
    transaction: content.transaction,
    action: content.action,
    outcome: content.outcome,
    purpose: content.purpose?.matched ?? null,
    decision: content.decision?.result ?? null,
    actorType: content.actor.type,
    // UUIDs as the database returns them (lower case), so the hashed columns read back identical.
    userId: content.actor.userId?.toLowerCase() ?? null,
    organizationId: content.actor.organizationId?.toLowerCase() ?? null,
    connectionId: content.actor.connectionId?.toLowerCase() ?? null,
    actorName: content.actor.name ?? null,
    patientIds: content.patientIds.map((id) => id.toLowerCase()),
    requestId: content.requestId ?? null,
  };
}

export function recordOf(row: AuditRow): AuditRecord {
  return { seq: row.seq, recordedAt: row.recordedAt, prevHash: row.prevHash, hash: row.hash, content: AuditRecordInput.parse(JSON.parse(row.body)) };
}

export { canonicalJson } from './canonical-json.js';
