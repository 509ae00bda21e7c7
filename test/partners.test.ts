import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { createApp } from '../gateway/http/app.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let deps: ReturnType<typeof testDeps>;
const as = (r: request.Test) => r.set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  app = createApp(deps);
  admin = await sessionFor(t.store, { roles: ['admin'] });
});
afterAll(async () => t.close());

/** /auth/me is for people: a partner that authenticates gets 403, one that does not gets 401. */
const probe = (token: string) => request(app).get('/auth/me').set('Authorization', `Bearer ${token}`);

describe(`partner connections on ${engineUnderTest}`, () => {
  it('registers an organization, a connection and a token shown once; rotation overlaps, revocation is immediate', async () => {
    const org = await as(request(app).post('/admin/organizations')).send({
      name: 'Mercy Health (test)', homeCommunityId: '2.16.840.1.113883.3.9999.42',
      identifiers: [{ system: 'urn:oid:2.16.528.1.1007.3.3', value: '00001234' }],
    }).expect(201);
    expect(org.body).toMatchObject({ homeCommunityId: 'urn:oid:2.16.840.1.113883.3.9999.42', identifiers: [{ system: 'http://fhir.nl/fhir/NamingSystem/ura', value: '00001234' }] });
    const conn = await as(request(app).post(`/admin/organizations/${org.body.id}/connections`)).send({ kind: 'fhir', name: 'Mercy FHIR client' }).expect(201);
    expect(conn.body.status).toBe('pending');

    const first = await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'token', label: 'initial' }).expect(201);
    const shape = /^cgt_[0-9a-f]{32}_([A-Za-z0-9_-]{43})$/.exec(first.body.token);
    expect(shape).not.toBeNull();
    const listed = await as(request(app).get(`/admin/connections/${conn.body.id}`)).expect(200);
    // The secret is base64url and may itself hold '_', so it is taken whole from the match, not split out.
    expect(JSON.stringify(listed.body)).not.toContain(shape![1]);
    await probe(first.body.token).expect(403);

    await as(request(app).post(`/admin/connections/${conn.body.id}/status`)).send({ status: 'active' }).expect(200);
    await probe(first.body.token).expect(403, /not allowed/);

    const second = await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'token', overlapSeconds: 3600 }).expect(201);
    await probe(first.body.token).expect(403);
    await probe(second.body.token).expect(403);
    const third = await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'token', overlapSeconds: 0 }).expect(201);
    await probe(first.body.token).expect(401);
    await probe(second.body.token).expect(401);
    await probe(third.body.token).expect(403);
    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials/${third.body.credential.id}/revoke`)).expect(200);
    await probe(third.body.token).expect(401);

    const wrongSecret = `${third.body.token.slice(0, 37)}${'A'.repeat(43)}`;
    await probe(wrongSecret).expect(401);
    await probe('cgt_garbage').expect(401);
    const after = await as(request(app).get(`/admin/connections/${conn.body.id}`)).expect(200);
    expect(after.body.failedAuthCount).toBe(4);
    expect(after.body.failedAuthSummary).toMatch(/^credentials rejected 4 times since \d{4}-/);
    expect(deps.securityEvents.filter((e) => e.type === 'partner-auth-failed')).toHaveLength(5);
    await as(request(app).post(`/admin/connections/${conn.body.id}/status`)).send({ status: 'suspended' }).expect(200);
  });

  it('registers a public JWK by its thumbprint, refusing private keys, bad keys and a malformed certificate', async () => {
    const org = await as(request(app).post('/admin/organizations')).send({ name: 'Key Partner' }).expect(201);
    const conn = await as(request(app).post(`/admin/organizations/${org.body.id}/connections`)).send({ kind: 'carequality', name: 'XCA' }).expect(201);
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const registered = await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'jwk', jwk }).expect(201);
    expect(registered.body.credential.lookup).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(registered.body.token).toBeUndefined();
    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'jwk', jwk }).expect(409);
    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'jwk', jwk: privateKey.export({ format: 'jwk' }) }).expect(400, /private key/);
    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'jwk', jwk: { kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad' } }).expect(400);
    await as(request(app).post(`/admin/connections/${conn.body.id}/credentials`)).send({ type: 'certificate', certificatePem: `-----BEGIN CERTIFICATE-----\n${'A'.repeat(200)}\n-----END CERTIFICATE-----` }).expect(400, /not a PEM-encoded X.509/);
    await as(request(app).post(`/admin/connections/${randomUUID()}/credentials`)).send({ type: 'token' }).expect(404);
    await as(request(app).post(`/admin/organizations/${randomUUID()}/connections`)).send({ kind: 'lab', name: 'x' }).expect(404);
    await as(request(app).post(`/admin/organizations/${org.body.id}/connections`)).send({ kind: 'email', name: 'x' }).expect(400);
  });

  it('describes the admin API in OpenAPI, with request schemas from the same table', async () => {
    const doc = await request(app).get('/admin/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/admin/users', '/admin/users/{id}/deactivate', '/admin/connections/{id}/credentials', '/auth/login']));
    const invite = doc.body.paths['/admin/users'].post;
    expect(invite['x-crossgate-access']).toEqual({ roles: ['admin'] });
    expect(invite.requestBody.content['application/json'].schema.required).toEqual(['email', 'displayName', 'roles']);
  });
});
