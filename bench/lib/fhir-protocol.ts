/**
 * Messages between bench/fhir.ts or bench/ihe.ts and their server processes (bench/lib/fhir-server.ts), kept apart
 * from both so that importing the types does not run either.
 */

/**
 * The fixed answers of the ceiling server at an express route pattern: a resource sent as JSON for every GET, or
 * for every POST (a SOAP endpoint), once the request body is read, the next of `answers` in turn: fixed bytes with
 * their content type, so that a workload whose answers vary in size gets the same mix from the ceiling.
 */
export type CeilingRoute =
  | { readonly path: string; readonly body: object }
  | { readonly path: string; readonly method: 'post'; readonly answers: readonly { readonly contentType: string; readonly base64: string }[] };

/**
 * What a server process serves: the gateway as `crossgate start` runs it (configured from the environment the
 * process was forked with), the bare express app that answers fixed answers, the ceiling, or the in-memory FHIR
 * server (bench/lib/fhir-reference.ts) holding `resources` (Patients and Observations as the gateway sent them),
 * its links built from `baseUrl`, its public FHIR base, under whose path it answers.
 */
export type ServerTask =
  | { readonly kind: 'gateway' }
  | { readonly kind: 'ceiling'; readonly routes: readonly CeilingRoute[] }
  | { readonly kind: 'reference'; readonly baseUrl: string; readonly resources: readonly object[] };

export type ToServer =
  | { readonly type: 'start'; readonly task: ServerTask }
  /** Asks how busy the process has been so far. */
  | { readonly type: 'usage' }
  /** Starts V8's CPU profiler in the process, for one timed run; `profile-stop` writes the profile to `file`. */
  | { readonly type: 'profile-start' }
  | { readonly type: 'profile-stop'; readonly file: string }
  | { readonly type: 'stop' };

export type FromServer =
  | { readonly type: 'listening'; readonly url: string }
  /** CPU time, and the event loop's time running callbacks and waiting for I/O (eventLoopUtilization), so far. */
  | { readonly type: 'usage'; readonly cpuMicros: number; readonly loopActiveMs: number; readonly loopIdleMs: number }
  | { readonly type: 'profiling' }
  | { readonly type: 'profiled' }
  | { readonly type: 'stopped' }
  | { readonly type: 'error'; readonly message: string };
