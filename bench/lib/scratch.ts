import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** A database that exists only for one benchmark run: where it is, and how to remove it. */
export interface Scratch {
  /** postgres://… for PostgreSQL, a directory for PGlite. */
  readonly location: string;
  dispose(): Promise<void>;
}

const pending = new Set<() => Promise<void>>();
let signalsHandled = false;

/** Ctrl-C or a kill during a long load must not leave gigabytes behind: remove what is pending, then exit. */
function removeOnSignal(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...pending].map((remove) => remove())).then(() => process.exit(code));
    });
  }
}

function track(remove: () => Promise<void>): () => Promise<void> {
  removeOnSignal();
  pending.add(remove);
  return async () => {
    pending.delete(remove);
    await remove();
  };
}

async function withAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server `adminUrl` points at, dropped (with any open connections) on dispose. */
export async function scratchPostgres(adminUrl: string): Promise<Scratch> {
  const name = `crossgate_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { location: url.toString(), dispose: track(() => withAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** An empty directory under the system's temporary directory for PGlite's data, removed on dispose. */
export async function scratchPglite(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(tmpdir(), 'crossgate-bench-'));
  return { location: dir, dispose: track(() => rm(dir, { recursive: true, force: true })) };
}
