/**
 * Coalescing, for writes (group commit) and reads alike: one batch is handled at a time, and callers that arrive
 * while it is handled wait for the next, which is handled by one call of `handle` (at most `maxBatch` items a call).
 * Each caller's promise settles once its batch is handled: with its own result, in the order the items were given,
 * or with the batch's error. Under load the statements a caller costs fall towards 1 / batch size; alone, a caller
 * waits one event-loop turn. A batch read starts after every one of its callers asked, so it sees all they would
 * have seen reading alone.
 */
export function coalesce<I, O>(handle: (items: readonly I[]) => Promise<readonly O[]>, maxBatch: number): (item: I) => Promise<O> {
  interface Waiting { readonly item: I; resolve(result: O): void; reject(error: unknown): void }
  let queue: Waiting[] = [];
  let busy = false;

  async function drain(): Promise<void> {
    busy = true;
    try {
      while (queue.length > 0) {
        // One turn of the event loop first, so that callers whose items were just handled (and who come back at
        // once) join this batch instead of forming the next one on their own.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const results = await handle(batch.map((w) => w.item));
          if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} was handled with ${results.length} results`);
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (error) {
          batch.forEach((w) => w.reject(error));
        }
      }
    } finally {
      busy = false;
    }
  }

  return (item) => new Promise<O>((resolve, reject) => {
    queue.push({ item, resolve, reject });
    if (!busy) void drain();
  });
}
