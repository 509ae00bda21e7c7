import { mkdir } from 'node:fs/promises';
import { openPglite } from './engine-pglite.js';
import { openPostgres } from './engine-postgres.js';
import { migrate } from './migrate.js';
import { createStore, type RootStore } from './store.js';
import type { Database } from './database.js';

export interface StoreOptions {
  /** postgres://… selects PostgreSQL; without it the embedded PGlite engine is used. */
  readonly databaseUrl?: string;
  /** PGlite's data directory; undefined keeps the embedded database in memory. */
  readonly dataDir?: string;
  readonly maxConnections?: number;
  /** Apply pending migrations before returning (the default). */
  readonly migrate?: boolean;
}

export async function openDatabase(options: StoreOptions): Promise<Database> {
  if (options.databaseUrl) {
    return openPostgres({ connectionString: options.databaseUrl, ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) });
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  return openPglite(options.dataDir ? { dataDir: options.dataDir } : {});
}

export async function openStore(options: StoreOptions): Promise<RootStore> {
  const db = await openDatabase(options);
  try {
    if (options.migrate !== false) await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return createStore(db);
}
