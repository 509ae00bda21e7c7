import { AuditRecordInput, type AuditRecord, type AuditRecordContent } from '../canonical/index.js';
import { coalesce, type PendingAudit, type Store } from '../store/index.js';
import { pendingOf } from './chain.js';

/**
 * Appends audit records with group commit: callers that arrive while a batch is being written wait for the
 * next batch, which is written in one transaction. Each caller's promise resolves only once its record is
 * committed (so a response can wait for its audit record), and rejects if the write fails.
 */
export interface AuditAppender {
  append(input: AuditRecordInput): Promise<AuditRecord>;
}

const MAX_BATCH = 500;

export function createAuditAppender(store: Store): AuditAppender {
  const write = coalesce(async (batch: readonly PendingAudit[]) => store.audit.appendChained(batch), MAX_BATCH);
  return {
    async append(input) {
      const content = AuditRecordInput.parse(input);
      const row = await write(pendingOf(content));
      return { seq: row.seq, recordedAt: row.recordedAt, prevHash: row.prevHash, hash: row.hash, content };
    },
  };
}
