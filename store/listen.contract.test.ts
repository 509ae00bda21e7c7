import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, engineUnderTest, type TestDatabase } from '../test/support/database.js';
import { openDatabase, type Database } from './index.js';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await openDatabase(database.options);
});
afterAll(async () => {
  await db.close();
  await database.drop();
});

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe(`LISTEN/NOTIFY on ${engineUnderTest}`, () => {
  it('delivers payloads after commit and nothing once stopped', async () => {
    const got: string[] = [];
    const stop = await db.listen('listen_test_a', (p) => got.push(p), () => undefined);
    await db.query("SELECT pg_notify('listen_test_a', 'one')");
    await waitFor(() => got.length === 1, 'the first notification');
    await db.transaction(async (tx) => {
      await tx.query("SELECT pg_notify('listen_test_a', 'in a transaction')");
      expect(got).toEqual(['one']);
    });
    // An engine that says so has delivered it by the time the commit returns; any other, soon after.
    if (db.notifiesBeforeCommitReturns) expect(got).toEqual(['one', 'in a transaction']);
    await waitFor(() => got.length === 2, 'the committed notification');
    await stop();
    await db.query("SELECT pg_notify('listen_test_a', 'after stop')");
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['one', 'in a transaction']);
  });

  if (engineUnderTest === 'postgres') {
    it('on PostgreSQL, says notifications may be lost when its connection is killed, listens again and says so', async () => {
      const got: string[] = [];
      let lost = 0;
      const stop = await db.listen('listen_test_b', (p) => got.push(p), () => lost++);
      const killed = await db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'crossgate-listen'`,
      );
      expect(killed[0]!.n).toBe(1);
      await waitFor(() => lost >= 1, 'onLost');
      // Listening again, it announces everything (''): what was sent meanwhile is unknown.
      await waitFor(() => got.includes(''), 'the catch-all announcement after reconnecting');
      await db.query("SELECT pg_notify('listen_test_b', 'after reconnect')");
      await waitFor(() => got.includes('after reconnect'), 'a notification on the new connection');
      await stop();
    });

    it('on PostgreSQL, a listener that cannot connect rejects and leaves nothing running', async () => {
      const unreachable = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' });
      let lost = 0;
      await expect(unreachable.listen('listen_test_c', () => undefined, () => lost++)).rejects.toThrow();
      // No retry goes on behind the caller's back: a retry would report a loss every half second.
      await new Promise((r) => setTimeout(r, 1200));
      expect(lost).toBe(0);
      await unreachable.close();
    });
  }
});
