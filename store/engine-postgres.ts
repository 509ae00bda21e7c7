import pg from 'pg';
import { OID, timestampToIso, type Database, type Queryable } from './database.js';

const parsers = new Map<number, (text: string) => unknown>([
  [OID.int8, (t) => Number(t)],
  [OID.numeric, (t) => t],
  [OID.date, (t) => t],
  [OID.timestamp, timestampToIso],
  [OID.timestamptz, timestampToIso],
]);

const typeOverrides = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    return (parsers.get(oid) ?? pg.types.getTypeParser(oid, format ?? 'text')) as (value: string) => unknown;
  },
} as pg.CustomTypesConfig;

export interface PostgresOptions {
  connectionString: string;
  maxConnections?: number;
  applicationName?: string;
}

/** PostgreSQL through a pg pool: the production store. */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'crossgate',
    options: '-c TimeZone=UTC',
    types: typeOverrides,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  const run = async <R extends object>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) =>
    (await client.query(sql, params as unknown[] | undefined)).rows as R[];

  // Listening connections live outside the pool; closing the database ends them too.
  const listeners = new Set<() => Promise<void>>();

  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(fn) {
      const client = await pool.connect();
      let released = false;
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => void (await client.query(sql)),
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot roll back is broken: destroy it rather than return it to the pool.
          client.release(rollbackError as Error);
          released = true;
        }
        throw error;
      } finally {
        if (!released) client.release();
      }
    },
    async listen(channel, onMessage, onLost) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      let client: pg.Client | undefined;
      let stopped = false;
      const retry = (): void => {
        if (!stopped) setTimeout(() => void connect(true).catch(() => { onLost(); retry(); }), 500).unref();
      };
      const connect = async (again = false): Promise<void> => {
        const c = new pg.Client({ connectionString: options.connectionString, application_name: `${options.applicationName ?? 'crossgate'}-listen` });
        c.on('notification', (n) => {
          if (n.channel === channel) onMessage(n.payload ?? '');
        });
        c.on('error', () => {
          // The connection broke: notifications may be lost until we listen again.
          onLost();
          void c.end().catch(() => undefined);
          retry();
        });
        await c.connect();
        await c.query(`LISTEN ${channel}`);
        client = c;
        // Listening again after a break: whatever was announced meanwhile is unknown, so announce everything.
        if (again) onMessage('');
      };
      await connect();
      const stop = async () => {
        stopped = true;
        listeners.delete(stop);
        await client?.end().catch(() => undefined);
      };
      listeners.add(stop);
      return stop;
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      await pool.end();
    },
  };
}
