/**
 * The load generator of bench/fhir.ts: keep-alive HTTP/1.1 GETs from `connections` concurrent loops, each
 * waiting for its previous answer (a closed loop, like partners' clients), for a fixed time. Node's own http
 * client, so the gateway and its ceiling are measured by the very same client code.
 */
import http from 'node:http';

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

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface LoadClient {
  /** One request with its whole body, for checking answers outside the timed runs. */
  fetch(path: string): Promise<Answer>;
  run(durationMs: number, pathOf: (i: number) => string): Promise<LoadResult>;
  close(): void;
}

/** What a timed request brings back: only the status and the size, and the body only when it failed. */
interface Hit {
  readonly status: number;
  readonly bytes: number;
  readonly failure?: string;
}

export function loadClient(baseUrl: string, connections: number, headers: Readonly<Record<string, string>>): LoadClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

  const request = (path: string, keepBody: (status: number) => boolean) =>
    new Promise<Hit & { body?: string }>((resolve) => {
      const req = http.request({ agent, hostname, port, path, method: 'GET', headers }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] | undefined = keepBody(status) ? [] : undefined;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          chunks?.push(chunk);
        });
        res.on('end', () => resolve({ status, bytes, ...(chunks ? { body: Buffer.concat(chunks).toString('utf8') } : {}) }));
        res.on('error', (error) => resolve({ status: 0, bytes, failure: `${path}: ${error.message}` }));
      });
      req.on('error', (error) => resolve({ status: 0, bytes: 0, failure: `${path}: ${error.message}` }));
      req.end();
    });

  const ok = (status: number) => status >= 200 && status < 300;

  return {
    async fetch(path) {
      const hit = await request(path, () => true);
      if (hit.failure) throw new Error(hit.failure);
      return { status: hit.status, body: hit.body ?? '' };
    },

    async run(durationMs, pathOf) {
      const latenciesMs: number[] = [];
      let next = 0;
      let errors = 0;
      let bytes = 0;
      let firstError: string | undefined;
      const started = performance.now();
      const until = started + durationMs;
      const loop = async () => {
        while (performance.now() < until) {
          const path = pathOf(next++);
          const sent = performance.now();
          const hit = await request(path, (status) => !ok(status));
          latenciesMs.push(performance.now() - sent);
          bytes += hit.bytes;
          if (hit.failure || !ok(hit.status)) {
            errors++;
            firstError ??= hit.failure ?? `GET ${path}: ${hit.status} ${(hit.body ?? '').slice(0, 500)}`;
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
