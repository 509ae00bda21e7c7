import { AuditRecordInput, type AuditRecord, type AuditRecordContent } from '../canonical/index.js';
import type { PendingAudit, Store } from '../store/index.js';
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

interface Waiting {
  readonly content: AuditRecordContent;
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
        // One turn of the event loop first, so that callers whose records were just committed (and who append
        // again at once) join this batch instead of forming the next one on their own.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        try {
          const rows = await store.audit.appendChained(batch.map((w) => w.pending));
          rows.forEach((row, i) => {
            const w = batch[i]!;
            w.resolve({ seq: row.seq, recordedAt: row.recordedAt, prevHash: row.prevHash, hash: row.hash, content: w.content });
          });
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
      return new Promise<AuditRecord>((resolve, reject) => {
        const parsed = AuditRecordInput.safeParse(input);
        if (!parsed.success) {
          reject(parsed.error);
          return;
        }
        queue.push({ content: parsed.data, pending: pendingOf(parsed.data), resolve, reject });
        if (!writing) void drain();
      });
    },
  };
}
