import { createHash } from 'node:crypto';
import { AuditRecordInput, type AuditRecord, type AuditRecordContent } from '../canonical/index.js';
import type { AuditColumns, AuditRow } from '../store/index.js';
import { canonicalJson } from './canonical-json.js';

/** The first link's predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the previous hash, the position, the time and the canonical body: changing any breaks the link. */
export function linkHash(prevHash: string, seq: number, recordedAt: string, body: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${recordedAt}\n${body}`).digest('hex');
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
    userId: content.actor.userId ?? null,
    organizationId: content.actor.organizationId ?? null,
    connectionId: content.actor.connectionId ?? null,
    actorName: content.actor.name ?? null,
    patientIds: [...content.patientIds],
    requestId: content.requestId ?? null,
  };
}

export function recordOf(row: AuditRow): AuditRecord {
  return { seq: row.seq, recordedAt: row.recordedAt, prevHash: row.prevHash, hash: row.hash, content: AuditRecordInput.parse(JSON.parse(row.body)) };
}

export { canonicalJson } from './canonical-json.js';
