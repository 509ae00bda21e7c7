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

const MAX_NAMED_STATEMENTS = 2000;

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

  // Parameterized statements are prepared once per connection under a name (the text is the key), so the server
  // parses and plans each only once: that is about a quarter of its work for the small lookups of a request. The
  // store builds its SQL from a bounded set of shapes; past the bound, statements go unnamed.
  const names = new Map<string, string>();
  const nameOf = (sql: string): string | undefined => {
    let name = names.get(sql);
    if (!name && names.size < MAX_NAMED_STATEMENTS) names.set(sql, (name = `cg${names.size}`));
    return name;
  };
  const run = async <R extends object>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    const name = params && params.length > 0 ? nameOf(sql) : undefined;
    const result = name ? await client.query({ name, text: sql, values: params as unknown[] }) : await client.query(sql, params as unknown[] | undefined);
    return result.rows as R[];
  };

  // Listening connections live outside the pool; closing the database ends them too.
  const listeners = new Set<() => Promise<void>>();

  return {
    engine: 'postgres',
    notifiesBeforeCommitReturns: false,
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
      let current: pg.Client | undefined;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const open = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: options.connectionString, application_name: `${options.applicationName ?? 'crossgate'}-listen` });
        current = c;
        let listening = false;
        c.on('notification', (n) => {
          if (n.channel === channel) onMessage(n.payload ?? '');
        });
        c.on('error', () => {
          // While connecting, the attempt itself fails; once listening, a break may lose notifications until we listen again.
          if (!listening) return;
          listening = false;
          onLost();
          void c.end().catch(() => undefined);
          again();
        });
        try {
          await c.connect();
          await c.query(`LISTEN ${channel}`);
        } catch (error) {
          void c.end().catch(() => undefined);
          throw error;
        }
        if (stopped) {
          await c.end().catch(() => undefined);
          throw new Error('stopped while connecting');
        }
        listening = true;
      };
      const again = (): void => {
        if (stopped) return;
        timer = setTimeout(() => {
          // Whatever was announced while we were away is unknown, so announce everything.
          void open().then(() => onMessage(''), () => { if (!stopped) { onLost(); again(); } });
        }, 500);
        timer.unref();
      };
      // Registered before the first connection, so closing the database ends an attempt still under way.
      const stop = async () => {
        stopped = true;
        clearTimeout(timer);
        listeners.delete(stop);
        await current?.end().catch(() => undefined);
      };
      listeners.add(stop);
      try {
        await open();
      } catch (error) {
        await stop();
        throw error;
      }
      return stop;
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      await pool.end();
    },
  };
}
