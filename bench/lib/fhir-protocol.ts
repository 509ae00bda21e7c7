/**
 * Messages between bench/fhir.ts and its server processes (bench/lib/fhir-server.ts), kept apart from both so
 * that importing the types does not run either.
 */

/** A fixed answer of the ceiling server: express route pattern and the resource sent for every request to it. */
export interface CeilingRoute {
  readonly path: string;
  readonly body: object;
}

/**
 * What a server process serves: the gateway as `crossgate start` runs it (configured from the environment the
 * process was forked with), or the bare express app that answers fixed JSON, the ceiling.
 */
export type ServerTask = { readonly kind: 'gateway' } | { readonly kind: 'ceiling'; readonly routes: readonly CeilingRoute[] };

export type ToServer =
  | { readonly type: 'start'; readonly task: ServerTask }
  /** Asks how busy the process has been so far. */
  | { readonly type: 'usage' }
  | { readonly type: 'stop' };

export type FromServer =
  | { readonly type: 'listening'; readonly url: string }
  /** CPU time, and the event loop's time running callbacks and waiting for I/O (eventLoopUtilization), so far. */
  | { readonly type: 'usage'; readonly cpuMicros: number; readonly loopActiveMs: number; readonly loopIdleMs: number }
  | { readonly type: 'stopped' }
  | { readonly type: 'error'; readonly message: string };
