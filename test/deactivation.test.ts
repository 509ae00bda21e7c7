import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, engineUnderTest, type TestDatabase } from './support/database.js';
import { requireBuiltCli, startCli } from './support/cli.js';
import { testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { openStore, type RootStore } from '../store/index.js';
import { createApp } from '../gateway/http/app.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const me = async (base: string, cookie: string) => (await fetch(`${base}/auth/me`, { headers: { Cookie: cookie } })).status;

describe(`deactivation on ${engineUnderTest}`, () => {
  if (process.env.DATABASE_URL) {
    it('takes effect at once in a second gateway process sharing the PostgreSQL database', async () => {
      requireBuiltCli();
      const dir = mkdtempSync(path.join(tmpdir(), 'crossgate-two-'));
      const env = { DATABASE_URL: database.options.databaseUrl!, CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'), PORT: '0', HOST: '127.0.0.1', CROSSGATE_DATA_DIR: dir };
      const a = await startCli(env, dir);
      const b = await startCli(env, dir);
      const store = await openStore(database.options);
      try {
        const admin = await sessionFor(store, { roles: ['admin'] });
        const member = await sessionFor(store, { roles: ['member'] });
        expect(await me(b.url, member.cookie)).toBe(200);
        const off = await fetch(`${a.url}/admin/users/${member.userId}/deactivate`, { method: 'POST', headers: { Cookie: admin.cookie, 'X-CSRF-Token': admin.csrf } });
        expect(off.status).toBe(200);
        expect(await me(b.url, member.cookie)).toBe(401);
        expect(await me(a.url, member.cookie)).toBe(401);
      } finally {
        await store.close();
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
        await Promise.all([a.exited, b.exited]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  } else {
    it('takes effect at once for the next request, in another gateway app on the same embedded database', async () => {
      const store: RootStore = await openStore(database.options);
      try {
        const a = createApp(testDeps(store));
        const b = createApp(testDeps(store));
        const admin = await sessionFor(store, { roles: ['admin'] });
        const member = await sessionFor(store, { roles: ['member'] });
        await request(b).get('/auth/me').set('Cookie', member.cookie).expect(200);
        await request(a).post(`/admin/users/${member.userId}/deactivate`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).expect(200);
        await request(b).get('/auth/me').set('Cookie', member.cookie).expect(401);
      } finally {
        await store.close();
      }
    });
  }
});
