import { createHash, hash } from 'node:crypto';
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
 * SHA-256 over the search columns and the canonical body: computed by the writer before it takes its turn on the
 * chain, and again by verify from the stored row, so changing any column or the body changes it.
 */
export function entryDigest(entry: AuditColumns & { readonly body: string }): string {
  return createHash('sha256').update(columnsText(entry)).update('\n').update(entry.body).digest('hex');
}

/**
 * SHA-256 over the previous hash, the position, the time and the entry digest: the link the database computes
 * under the chain lock (store/migrations/0005_audit_append.sql spells out the same formula) and verify recomputes.
 * `recordedAt` is ISO 8601 in UTC to the millisecond.
 */
export function linkHash(prevHash: string, seq: number, recordedAt: string, digest: string): string {
  return hash('sha256', `${prevHash}\n${seq}\n${recordedAt}\n${digest}`, 'hex');
}

/** The record as the appender hands it to the store. */
export function pendingOf(content: AuditRecordContent): PendingAudit {
  const entry = { body: canonicalJson(content), ...columnsOf(content) };
  return { ...entry, digest: entryDigest(entry) };
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
