import https from 'node:https';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { testCa, type Issued } from './support/certificates.js';
import { createApp } from '../gateway/http/app.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
let server: https.Server;
let base: string;
const ca = testCa();
const outsider = testCa('Someone Else CA');

function get(path: string, client?: Issued): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${base}${path}`, { ca: ca.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  t = await openTestStore();
  app = createApp(testDeps(t.store));
  const serverCert = ca.issue('localhost', 'server');
  server = https.createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: false }, app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await t.close();
});

describe(`client certificate credentials on ${engineUnderTest}`, () => {
  it('ties a registered certificate from the trusted CA to its connection, and nothing else', async () => {
    const admin = await sessionFor(t.store, { roles: ['admin'] });
    const as = (r: request.Test) => r.set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
    const org = await as(request(app).post('/admin/organizations')).send({ name: 'Certified Partner' }).expect(201);
    const conn = await as(request(app).post(`/admin/organizations/${org.body.id}/connections`)).send({ kind: 'carequality', name: 'XCA over mTLS' }).expect(201);
    const client = ca.issue('partner-gateway', 'client');
    const registered = await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'certificate', certificatePem: client.certPem }).expect(201);
    expect(registered.body.credential.lookup).toMatch(/^[0-9a-f]{64}$/);
    await as(request(app).post(`/admin/connections/${conn.body.id}/status`)).send({ status: 'active' }).expect(200);

    // /auth/me is for people: a recognised connection is refused with 403, an unrecognised caller with 401.
    expect(await get('/auth/me', client)).toBe(403);
    expect(await get('/auth/me')).toBe(401);
    expect(await get('/auth/me', ca.issue('unregistered', 'client'))).toBe(401);
    expect(await get('/auth/me', outsider.issue('partner-gateway', 'client'))).toBe(401);

    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials/${registered.body.credential.id}/revoke`)).expect(200);
    expect(await get('/auth/me', client)).toBe(401);
  });
});
