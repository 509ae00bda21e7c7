import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createStore, migrate, openDatabase, type Database, type RootStore, type StoreOptions } from '../../store/index.js';

/**
 * The engine every store test runs on: PostgreSQL when DATABASE_URL is set (each test file gets a fresh
 * database, dropped afterwards), otherwise an in-memory PGlite. `.ci/run` runs the suite both ways.
 */
export const engineUnderTest = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDatabase {
  readonly options: StoreOptions;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url) return { options: {}, drop: async () => undefined };
  const name = `crossgate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    options: { databaseUrl: target.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestStore {
  readonly store: RootStore;
  readonly database: TestDatabase;
  /** The store's own connection, for tests that must set up what no API does (e.g. age a session). */
  readonly db: Database;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const database = await createTestDatabase();
  const db = await openDatabase(database.options);
  await migrate(db);
  const store = createStore(db);
  return {
    store,
    database,
    db,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
