import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { adoptParsed, CareProgramEnrolment, Condition, DiagnosticReport, Observation, parsedMask } from '../../canonical/index.js';
import type { Logger } from '../logger.js';
import type { Channel, InboundAdapter, ParseContext, ParsedMessage, PartRecords } from './parsed.js';

/**
 * Parsing inbound messages on worker threads, so that one gateway process files on one core while its messages
 * are parsed on others. Parsing was about a third of the gateway's CPU for a 20-patient ketenzorg batch, and the
 * gateway's one thread the limit on filing over HTTP (bench/ketenzorg, bench/RESULTS.md). Measured per message
 * (main-thread time inline → with the hop, the extra wait): an 8 KB ketenzorg message 263 → 55 µs (+180 µs),
 * 26 KB 783 → 155 µs (+190 µs), a 513 KB batch 9.0 → 1.0 ms (+2.7 ms). Messages below MIN_BYTES (a one-result lab
 * report, a message refused at its first bytes) stay on the calling thread: the hop adds about 0.2 ms of wait to a
 * message whatever its size.
 */
export const MIN_BYTES = 4 * 1024;

export interface ParseRequest {
  readonly id: number;
  readonly channel: Channel;
  readonly raw: Uint8Array;
  readonly context: ParseContext;
}

/**
 * Per part, which records of each kind the parser had checked against their schema (canonical/parsed.ts), so
 * that the store does not check them a second time after they crossed to the gateway's thread.
 */
export type ParseMasks = readonly Readonly<Record<keyof PartRecords, readonly boolean[]>>[];

const SCHEMAS = { observations: Observation, conditions: Condition, enrolments: CareProgramEnrolment, reports: DiagnosticReport } as const;
const KINDS = Object.keys(SCHEMAS) as (keyof PartRecords)[];

export function masksOf(parsed: ParsedMessage): ParseMasks {
  return parsed.parts.map((part) => Object.fromEntries(KINDS.map((kind) => [kind, parsedMask(SCHEMAS[kind], part.records[kind])])) as Record<keyof PartRecords, boolean[]>);
}

function adoptMasks(parsed: ParsedMessage, masks: ParseMasks): void {
  if (masks.length !== parsed.parts.length) throw new ParseWorkerError(`parse masks for ${masks.length} parts of ${parsed.parts.length}`);
  parsed.parts.forEach((part, i) => {
    for (const kind of KINDS) adoptParsed(SCHEMAS[kind], part.records[kind], masks[i]![kind]);
  });
}

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly parsed: ParsedMessage; readonly ack: unknown; readonly masks: ParseMasks }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack?: string };

export interface ParsePool {
  /** What `adapter.parse` returns for these bytes: computed on a worker thread when the message is large. */
  parse<A>(adapter: InboundAdapter<A>, raw: Uint8Array, context: ParseContext): Promise<{ parsed: ParsedMessage; ack: A }>;
  close(): Promise<void>;
}

/** Parsing on a worker thread failed: the parser threw there, or the thread ended while it parsed. */
export class ParseWorkerError extends Error {
  override readonly name = 'ParseWorkerError';
}

interface Pending {
  resolve(reply: Extract<ParseReply, { ok: true }>): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  readonly pending: Map<number, Pending>;
  /** When the current worker started, and how many in a row ended within QUICK_END_MS of starting. */
  startedAt: number;
  quickEnds: number;
  /** Given up after QUICK_END_LIMIT quick ends in a row: its share of the work is parsed on the calling thread. */
  gone: boolean;
}

/**
 * A worker that ends this soon after starting, this many times in a row, cannot start at all (its script is
 * missing or broken): replacing it again would only spin. Its messages are then parsed on the gateway's thread.
 */
const QUICK_END_MS = 1000;
const QUICK_END_LIMIT = 3;

/** As many threads as the machine has cores beside the one the gateway's own thread uses (at least one, at most four). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export function createParsePool(options: { threads: number; logger: Logger; script?: URL }): ParsePool {
  const script = options.script ?? new URL('./parse-worker.js', import.meta.url);
  let nextId = 0;
  let closed = false;

  const start = (thread: Thread): Worker => {
    const worker = new Worker(script);
    worker.on('message', (reply: ParseReply) => {
      const waiting = thread.pending.get(reply.id);
      if (!waiting) return;
      thread.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(Object.assign(new ParseWorkerError(reply.message), reply.stack ? { stack: reply.stack } : {}));
    });
    // A thread that fails or ends fails what it was parsing (the messages are stored raw and stay 'received': the
    // sender's retry or a replay files them) and is replaced, unless the pool is closing.
    worker.on('error', (error) => options.logger.error({ err: error }, 'a parse worker thread failed'));
    worker.on('exit', (code) => {
      for (const waiting of thread.pending.values()) waiting.reject(new ParseWorkerError(`the parse worker thread ended (exit code ${code}) while parsing`));
      thread.pending.clear();
      if (closed) return;
      thread.quickEnds = Date.now() - thread.startedAt < QUICK_END_MS ? thread.quickEnds + 1 : 0;
      if (thread.quickEnds < QUICK_END_LIMIT) {
        thread.worker = start(thread);
        return;
      }
      thread.gone = true;
      options.logger.error({ script: script.href, exitCode: code }, 'a parse worker thread keeps ending as it starts: its messages are parsed on the gateway thread');
    });
    thread.startedAt = Date.now();
    return worker;
  };

  const threads: Thread[] = Array.from({ length: Math.max(1, options.threads) }, () => {
    const thread = { pending: new Map<number, Pending>(), startedAt: 0, quickEnds: 0, gone: false } as unknown as Thread;
    thread.worker = start(thread);
    return thread;
  });

  return {
    async parse<A>(adapter: InboundAdapter<A>, raw: Uint8Array, context: ParseContext) {
      const alive = threads.filter((t) => !t.gone);
      if (raw.byteLength < MIN_BYTES || closed || alive.length === 0) return adapter.parse(raw, context);
      const thread = alive.reduce((least, t) => (t.pending.size < least.pending.size ? t : least));
      const id = nextId++;
      const reply = await new Promise<Extract<ParseReply, { ok: true }>>((resolve, reject) => {
        thread.pending.set(id, { resolve, reject });
        thread.worker.postMessage({ id, channel: adapter.channel, raw, context } satisfies ParseRequest);
      });
      adoptMasks(reply.parsed, reply.masks);
      return { parsed: reply.parsed, ack: reply.ack as A };
    },

    async close() {
      closed = true;
      await Promise.all(threads.filter((t) => !t.gone).map((t) => t.worker.terminate()));
    },
  };
}
