import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_SYNTHETIC } from '../../fixtures/synthetic/generate.js';
import { seedSynthetic } from '../../gateway/demo-data.js';
import type { Database } from '../../store/database.js';
import type { RootStore } from '../../store/store.js';

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

/** What `seedScratch` loaded. */
export interface Seeded {
  readonly patients: number;
  readonly observations: number;
  readonly documents: number;
  readonly loadSeconds: number;
}

/**
 * Seeds `patients` synthetic patients as `crossgate seed` does (progress to `log` every 10 s), sets the clinic
 * defaults to Treatment as an administrator does through PUT /admin/consent/defaults, so that every patient without
 * a choice of their own is shared for it and each partner request is permitted, answered and audited, then runs
 * VACUUM ANALYZE: autovacuum may be off (it is on the bench machine), and without statistics the planner guesses.
 */
export async function seedScratch(db: Database, store: RootStore, patients: number, log: (message: string) => void): Promise<Seeded> {
  const thousands = (n: number) => n.toLocaleString('en-US');
  log(`seeding ${thousands(patients)} synthetic patients as \`crossgate seed\` does`);
  const started = performance.now();
  let reported = started;
  const seeded = await seedSynthetic(store, patients, DEFAULT_SYNTHETIC, (done, total) => {
    if (performance.now() - reported < 10_000 && done < total) return;
    reported = performance.now();
    log(`seeded ${thousands(done)}/${thousands(total)} patients (${((reported - started) / 1000).toFixed(0)} s)`);
  });
  const loadSeconds = (performance.now() - started) / 1000;
  log(`seeded ${thousands(seeded.created)} patients, ${thousands(seeded.observations)} observations, ${thousands(seeded.documents)} documents in ${loadSeconds.toFixed(0)} s`);
  const defaults = await store.consent.currentDefaults();
  await store.consent.setDefaults(defaults?.version ?? 0, ['Treatment'], 'bench');
  log('VACUUM ANALYZE');
  await db.exec('VACUUM ANALYZE');
  return { patients: seeded.created + seeded.existing, observations: seeded.observations, documents: seeded.documents, loadSeconds };
}
