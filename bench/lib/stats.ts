/** Latencies of timed calls and the wall time they took together. */
export interface Timing {
  readonly latenciesMs: readonly number[];
  readonly wallMs: number;
}

export interface Summary {
  readonly count: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1]!;
}

/** `count` operations, done in `wallMs` in all; the latencies may be per call or per batch. */
export function summarize(count: number, timing: Timing): Summary {
  const sorted = [...timing.latenciesMs].sort((a, b) => a - b);
  return {
    count,
    opsPerSec: count / (timing.wallMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/**
 * Calls `call(0)` … `call(count - 1)` from `callers` concurrent loops, each waiting for its previous call, and
 * times every call. With one caller this is a sequential client; with more, a server under that many clients.
 */
export async function timeCalls(count: number, callers: number, call: (i: number) => Promise<unknown>): Promise<Timing> {
  const latencies = new Array<number>(count);
  let next = 0;
  const loop = async () => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      await call(i);
      latencies[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, loop));
  return { latenciesMs: latencies, wallMs: performance.now() - started };
}

/**
 * Times several kinds of call, `count` of each, taking turns in `rounds` slices, so that a drift during the
 * measurement (pages reaching the cache, a checkpoint, autovacuum) falls on every kind alike and their ratio holds.
 */
export async function timeInTurns(count: number, callers: number, calls: readonly ((i: number) => Promise<unknown>)[], rounds = 10): Promise<Timing[]> {
  const parts = calls.map(() => ({ latenciesMs: [] as number[], wallMs: 0 }));
  for (let r = 0; r < rounds; r++) {
    const from = Math.floor((r * count) / rounds);
    const to = Math.floor(((r + 1) * count) / rounds);
    for (const [k, call] of calls.entries()) {
      const slice = await timeCalls(to - from, callers, (i) => call(from + i));
      parts[k]!.latenciesMs.push(...slice.latenciesMs);
      parts[k]!.wallMs += slice.wallMs;
    }
  }
  return parts;
}
