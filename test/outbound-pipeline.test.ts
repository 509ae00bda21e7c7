import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditAppender } from '../audit/index.js';
import { createApp } from '../gateway/http/app.js';
import { refusal, type DeclaredRoute } from '../gateway/http/routes.js';
import { consentedReader, ConsentRefused } from '../gateway/outbound/consented-reader.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aDocument, aPatient, anObservation } from './support/factories.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { accessTokenFor, registerPartner, type TestPartner } from './support/udap.js';

/**
 * The one outbound pipeline, proven from outside: every route a partner can reach leaves an audit record of its
 * exchange; an answer waits for that record, and without it there is no answer; and the reader the surfaces get
 * refuses any patient that consent did not permit.
 */
let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let partner: TestPartner;
let token: string;
const ids: Record<string, string> = {};
const tokenEndpoint = 'http://localhost:0/oauth/token';

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  await deps.consent.ready();
  app = createApp(deps);
  admin = await sessionFor(t.store, { roles: ['admin'] });
  partner = await registerPartner(app, admin);
  token = await accessTokenFor(app, partner, tokenEndpoint);
  await request(app).put('/admin/consent/defaults').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ purposes: ['Treatment'], expectedVersion: 0 }).expect(200);
  const p = await t.store.patients.insert(aPatient());
  const [obs] = await t.store.observations.insertMany([anObservation(p.id)]);
  const doc = aDocument(p.id);
  await t.store.documents.insert(doc.doc, doc.content);
  Object.assign(ids, { Patient: p.id, Observation: obs!.id, DocumentReference: doc.doc.id, Binary: doc.doc.id });
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

/** A path for a route with real ids where we have them, and a query naming the patient for searches. */
function pathFor(route: DeclaredRoute): string {
  const type = /^\/fhir\/R4\/([A-Za-z]+)/.exec(route.path)?.[1] ?? '';
  const path = route.path.replace(/:[A-Za-z]+/g, () => ids[type] ?? randomUUID());
  const isSearch = route.method === 'get' && !route.path.includes(':') && !route.path.includes('$');
  return isSearch ? `${path}?${patientParam(type)}=${ids.Patient}` : path;
}

const patientParam = (type: string) => (type === 'Patient' ? '_id' : 'patient');

describe(`the outbound pipeline on ${engineUnderTest}`, () => {
  it('audits every exchange on every route a partner can reach, found or not, before it answers', async () => {
    const principal = { type: 'connection', connection: { id: partner.connectionId, organizationId: partner.organizationId, kind: 'fhir', name: 'x', status: 'active', failedAuthCount: 0, createdAt: '' }, credentialId: '' } as const;
    const outbound = (app.locals.routes as DeclaredRoute[]).filter((r) => r.path.startsWith('/fhir/R4/') && !('public' in r.access) && refusal(r.access, principal) === undefined);
    expect(outbound.length).toBeGreaterThanOrEqual(14);
    const unaudited: string[] = [];
    for (const route of outbound) {
      const path = pathFor(route);
      const call = request(app)[route.method](path).set('Authorization', `Bearer ${token}`);
      const type = /^\/fhir\/R4\/([A-Za-z]+)/.exec(route.path)?.[1] ?? '';
      const res = route.method === 'post' ? await call.type('form').send({ [patientParam(type)]: ids.Patient }) : await call;
      const records = (await t.store.audit.search({ organizationId: partner.organizationId, limit: 20 })).filter((r) => r.requestId === res.headers['x-request-id']);
      if (res.status >= 500 || records.length === 0 || records.some((r) => !r.decision)) unaudited.push(`${route.method} ${path}: ${res.status}, ${records.length} records`);
    }
    expect(unaudited).toEqual([]);
  });

  it('puts a request refused before any decision on the trail too, with the reason', async () => {
    const refusedCalls = [
      `/fhir/R4/Observation?patient=${ids.Patient}&date=2025-13`,
      '/fhir/R4/Observation?code=http://loinc.org|4548-4',
      `/fhir/R4/Observation?patient=${ids.Patient}&_page=forged.token`,
    ];
    for (const path of refusedCalls) {
      const res = await request(app).get(path).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      const records = (await t.store.audit.search({ organizationId: partner.organizationId, limit: 5 })).filter((r) => r.requestId === res.headers['x-request-id']);
      expect(records).toHaveLength(1);
      const body = JSON.parse(records[0]!.body) as { outcome: string; decision: { result: string; reason: string }; returned: string[] };
      expect(body).toMatchObject({ outcome: 'failure', decision: { result: 'not-applicable' }, returned: [] });
      expect(body.decision.reason).toMatch(/^no decision: /);
    }
    const unservable = await request(app).get(`/fhir/R4/Patient/${ids.Patient}`).set('Authorization', `Bearer ${token}`).set('Accept', 'text/csv').expect(406);
    const [refusedRead] = (await t.store.audit.search({ organizationId: partner.organizationId, limit: 5 })).filter((r) => r.requestId === unservable.headers['x-request-id']);
    expect(refusedRead).toMatchObject({ transaction: 'fhir-read', outcome: 'failure' });
  });

  it('answers with an error and no data when the audit record cannot be written', async () => {
    const failing: AuditAppender = { append: () => Promise.reject(new Error('audit database unreachable')) };
    const broken = createApp({ ...deps, audit: failing });
    const res = await request(broken).get(`/fhir/R4/Patient/${ids.Patient}`).set('Authorization', `Bearer ${token}`).expect(500);
    const body = JSON.parse(res.text) as { resourceType: string; issue: { code: string; diagnostics: string }[] };
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0]!.code).toBe('exception');
    expect(res.text).not.toContain(ids.Patient);
    expect(res.text).not.toContain('unreachable');
  });

  it('gives surfaces a reader that refuses every patient consent did not permit', async () => {
    const permitted = ids.Patient!;
    const other = (await t.store.patients.insert(aPatient())).id;
    await t.store.observations.insertMany([anObservation(other)]);
    const reader = consentedReader(t.store, new Set([permitted]));
    await expect(reader.patient(other)).rejects.toBeInstanceOf(ConsentRefused);
    await expect(reader.observations(other)).rejects.toBeInstanceOf(ConsentRefused);
    await expect(reader.documents(other)).rejects.toBeInstanceOf(ConsentRefused);
    const theirs = (await t.store.observations.list(other)).items[0]!;
    expect(await reader.observation(theirs.id)).toBeUndefined();
    expect(() => reader.note(other, 'Consent/x')).toThrow(ConsentRefused);
    await reader.patient(permitted);
    await reader.observations(permitted);
    expect(reader.returned.get(permitted)).toEqual([`Patient/${permitted}/_history/1`, `Observation/${ids.Observation}/_history/1`]);
    expect(reader.returned.has(other)).toBe(false);
  });

  it('hands out a patient record the lookup read before the decision only as it hands out one read now', async () => {
    const permitted = ids.Patient!;
    const other = (await t.store.patients.insert(aPatient())).id;
    const [mine, theirs] = await Promise.all([permitted, other].map((id) => t.store.patients.resolveId(id, { withRecords: true })));
    expect(mine!.record).toEqual(await t.store.patients.get(permitted));
    expect(theirs!.record?.patient.id).toBe(other);
    const prefetched = new Map([[permitted, mine!.record!], [other, theirs!.record!]]);
    const reads: string[] = [];
    const counted = { ...t.store, patients: { ...t.store.patients, get: (id: string) => (reads.push(id), t.store.patients.get(id)) } };
    const reader = consentedReader(counted, new Set([permitted]), (id) => prefetched.get(id));
    await expect(reader.patient(other)).rejects.toBeInstanceOf(ConsentRefused);
    expect(await reader.patient(permitted)).toBe(mine!.record);
    expect(reads).toEqual([]);
    expect(reader.returned.get(permitted)).toEqual([`Patient/${permitted}/_history/1`]);
    expect(reader.returned.has(other)).toBe(false);
  });
});
