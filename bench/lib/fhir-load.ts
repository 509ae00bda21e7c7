/**
 * The load generator of bench/fhir.ts and bench/ihe.ts: keep-alive HTTP/1.1 requests (GETs by path, or any method
 * with a body) from `connections` concurrent loops, each waiting for its previous answer (a closed loop, like
 * partners' clients), for a fixed time. Node's own http client, so the gateway and its ceiling are measured by the
 * very same client code.
 */
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** The command line of a bench that loads a server process (bench/fhir.ts, bench/ihe.ts). */
export interface ServerBenchOptions {
  readonly patients: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly connections: number;
  /** Where the gateway process writes its CPU profiles, when asked for. */
  readonly cpuProfDir: string | undefined;
  readonly postgresUrl: string;
}

/** `--patients --duration --warmup --connections --cpu-prof --postgres-url`, with their defaults and limits. */
export function serverBenchOptions(argv: string[]): ServerBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      patients: { type: 'string', default: '100000' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '32' },
      'cpu-prof': { type: 'string' },
      'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    },
  });
  const count = (flag: string, text: string, max: number) => {
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new Error(`--${flag} must be a whole number from 1 to ${max}, not "${text}"`);
    return n;
  };
  return {
    // The seed command's own limit.
    patients: count('patients', values.patients, 1_000_000),
    // A run must fit in the lifetime of the credentials a bench takes before it (a FHIR token lives 15 minutes).
    durationMs: count('duration', values.duration, 600) * 1000,
    warmupMs: count('warmup', values.warmup, 600) * 1000,
    connections: count('connections', values.connections, 1000),
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    postgresUrl: values['postgres-url'],
  };
}

export interface LoadResult {
  /** Per request, in the order they ended. */
  readonly latenciesMs: number[];
  /** From the first request sent to the last answer received. */
  readonly wallMs: number;
  readonly requests: number;
  /** Answers that were not 2xx, and requests that failed on the socket. */
  readonly errors: number;
  readonly firstError?: string;
  readonly bytes: number;
}

/** A request other than a plain GET: a method, headers of its own beside the client's, and a body. */
export interface LoadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  /** The body as UTF-8 text; `raw` holds its bytes (an MTOM part need not be text). */
  readonly body: string;
  readonly raw: Buffer;
}

export interface LoadClient {
  /** One request with its whole answer, for checking answers outside the timed runs; a string is a GET of that path. */
  fetch(request: string | LoadRequest): Promise<Answer>;
  run(durationMs: number, requestOf: (i: number) => string | LoadRequest): Promise<LoadResult>;
  close(): void;
}

/** What a timed request brings back: only the status and the size, and the body only when it failed. */
interface Hit {
  readonly status: number;
  readonly contentType: string;
  readonly bytes: number;
  readonly failure?: string;
}

export function loadClient(baseUrl: string, connections: number, headers: Readonly<Record<string, string>>): LoadClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

  const request = (asked: string | LoadRequest, keepBody: (status: number) => boolean) =>
    new Promise<Hit & { body?: Buffer }>((resolve) => {
      // A plain GET keeps the client's own header object, so the FHIR bench's requests cost what they did before.
      const options = typeof asked === 'string'
        ? { path: asked, method: 'GET', headers }
        : { path: asked.path, method: asked.method, headers: { ...headers, ...asked.headers, 'content-length': String(Buffer.byteLength(asked.body)) } };
      const line = `${options.method} ${options.path}`;
      const req = http.request({ agent, hostname, port, ...options }, (res) => {
        const status = res.statusCode ?? 0;
        const contentType = res.headers['content-type'] ?? '';
        const chunks: Buffer[] | undefined = keepBody(status) ? [] : undefined;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          chunks?.push(chunk);
        });
        res.on('end', () => resolve({ status, contentType, bytes, ...(chunks ? { body: Buffer.concat(chunks) } : {}) }));
        res.on('error', (error) => resolve({ status: 0, contentType, bytes, failure: `${line}: ${error.message}` }));
      });
      req.on('error', (error) => resolve({ status: 0, contentType: '', bytes: 0, failure: `${line}: ${error.message}` }));
      if (typeof asked === 'string') req.end();
      else req.end(asked.body);
    });

  const ok = (status: number) => status >= 200 && status < 300;

  return {
    async fetch(asked) {
      const hit = await request(asked, () => true);
      if (hit.failure) throw new Error(hit.failure);
      const raw = hit.body ?? Buffer.alloc(0);
      return { status: hit.status, contentType: hit.contentType, body: raw.toString('utf8'), raw };
    },

    async run(durationMs, requestOf) {
      const latenciesMs: number[] = [];
      let next = 0;
      let errors = 0;
      let bytes = 0;
      let firstError: string | undefined;
      const started = performance.now();
      const until = started + durationMs;
      const loop = async () => {
        while (performance.now() < until) {
          const asked = requestOf(next++);
          const sent = performance.now();
          const hit = await request(asked, (status) => !ok(status));
          latenciesMs.push(performance.now() - sent);
          bytes += hit.bytes;
          if (hit.failure || !ok(hit.status)) {
            errors++;
            const line = typeof asked === 'string' ? `GET ${asked}` : `${asked.method} ${asked.path}`;
            firstError ??= hit.failure ?? `${line}: ${hit.status} ${hit.body?.toString('utf8', 0, 500) ?? ''}`;
          }
        }
      };
      await Promise.all(Array.from({ length: connections }, loop));
      return { latenciesMs, wallMs: performance.now() - started, requests: latenciesMs.length, errors, ...(firstError ? { firstError } : {}), bytes };
    },

    close() {
      agent.destroy();
    },
  };
}
