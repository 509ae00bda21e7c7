import { AuditRecordInput, type AuditRecord } from '../canonical/index.js';
import type { PendingAudit, Store } from '../store/index.js';
import { canonicalJson, columnsOf, linkHash, recordOf } from './chain.js';

/**
 * Appends audit records with group commit: callers that arrive while a batch is being written wait for the
 * next batch, which is written in one transaction. Each caller's promise resolves only once its record is
 * committed (so a response can wait for its audit record), and rejects if the write fails.
 */
export interface AuditAppender {
  append(input: AuditRecordInput): Promise<AuditRecord>;
}

const MAX_BATCH = 500;

interface Waiting {
  readonly pending: PendingAudit;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

export function createAuditAppender(store: Store): AuditAppender {
  let queue: Waiting[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        try {
          const rows = await store.audit.appendChained(batch.map((w) => w.pending), linkHash);
          rows.forEach((row, i) => batch[i]!.resolve(recordOf(row)));
        } catch (error) {
          batch.forEach((w) => w.reject(error));
        }
      }
    } finally {
      writing = false;
    }
  }

  return {
    append(input) {
      const content = AuditRecordInput.parse(input);
      const pending: PendingAudit = { body: canonicalJson(content), ...columnsOf(content) };
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ pending, resolve, reject });
        if (!writing) void drain();
      });
    },
  };
}
