import { PGlite } from '@electric-sql/pglite';
import { OID, timestampToIso, type Database, type Queryable } from './database.js';
import { lockDataDir } from './data-dir-lock.js';

const parsers = {
  [OID.int8]: (t: string) => Number(t),
  [OID.numeric]: (t: string) => t,
  [OID.date]: (t: string) => t,
  [OID.timestamp]: timestampToIso,
  [OID.timestamptz]: timestampToIso,
};

export interface PgliteOptions {
  /** A directory on disk, or undefined for an in-memory database (tests). */
  dataDir?: string;
}

/** PostgreSQL compiled to WebAssembly, in-process: the embedded default. One connection, so queries queue. */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  const lock = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  let db: PGlite;
  try {
    db = await PGlite.create({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), parsers });
    await db.exec("SET TimeZone = 'UTC'");
  } catch (error) {
    lock?.release();
    throw error;
  }
  const run = async <R extends object>(target: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]) =>
    (await target.query<R>(sql, params as unknown[] | undefined)).rows;

  return {
    engine: 'pglite',
    // One process owns the data directory, and PGlite calls the listeners before the committing query resolves.
    notifiesBeforeCommitReturns: true,
    query: (sql, params) => run(db, sql, params),
    exec: async (sql) => void (await db.exec(sql)),
    transaction: (fn) =>
      db.transaction(async (t) => {
        const tx: Queryable = { query: (sql, params) => run(t, sql, params), exec: async (sql) => void (await t.exec(sql)) };
        return fn(tx);
      }),
    async listen(channel, onMessage) {
      // In-process: nothing between the database and us can break, so nothing is ever lost.
      const stop = await db.listen(channel, onMessage);
      return () => stop();
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
