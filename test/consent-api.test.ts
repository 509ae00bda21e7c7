import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { aPatient } from './support/factories.js';
import { createApp } from '../gateway/http/app.js';
import { matchPurpose, purposeCoding } from '../profiles/purposes.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
let deps: ReturnType<typeof testDeps>;
let admin: TestSession;
let member: TestSession;
const as = (s: TestSession, r: request.Test) => r.set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf);

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  await deps.consent.ready();
  app = createApp(deps);
  admin = await sessionFor(t.store, { roles: ['admin'] });
  member = await sessionFor(t.store, { roles: ['member'] });
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

describe(`consent over HTTP on ${engineUnderTest}`, () => {
  it('sets clinic defaults in versions, refuses a stale edit, and warns when Treatment is not shared', async () => {
    await as(member, request(app).get('/admin/consent/defaults')).expect(200, { version: 0, purposes: [] });
    await as(member, request(app).put('/admin/consent/defaults')).send({ purposes: ['Treatment'], expectedVersion: 0 }).expect(403);
    const first = await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Treatment', 'Patient Request'], expectedVersion: 0 }).expect(200);
    expect(first.body).toMatchObject({ version: 1, purposes: ['Treatment', 'Patient Request'], warnings: [] });
    const stale = await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Payment'], expectedVersion: 0 }).expect(409);
    expect(stale.body.error).toBe('the policy was changed by someone else since you read it: it is at version 1 now; read it again before changing it');
    const optIn = await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: [], expectedVersion: 1 }).expect(200);
    expect(optIn.body.warnings).toEqual([expect.stringMatching(/^Treatment is not shared by default/)]);
    const bad = await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Research'], expectedVersion: 2 }).expect(400);
    expect(bad.body.issues[0].path).toBe('purposes.0');
    expect((await as(member, request(app).get('/admin/consent/defaults/history')).expect(200)).body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Treatment'], expectedVersion: 2 }).expect(200);
  });

  it("sets a patient's choice (staff), shows what applies, and decisions follow at once", async () => {
    const p = await t.store.patients.insert(aPatient());
    const ask = () => deps.consent.decide({ patientId: p.id, organizationId: randomUUID(), purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true });
    expect(await ask()).toMatchObject({ result: 'permit', rule: 'clinic-default' });
    await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: ['Payment'], expectedVersion: 0 }).expect(200);
    expect(await ask()).toMatchObject({ result: 'deny', rule: 'patient-choice', policyVersion: 'patient:1' });
    const view = await as(member, request(app).get(`/admin/patients/${p.id}/consent`)).expect(200);
    expect(view.body.effective).toEqual({ source: 'patient-choice', purposes: ['Payment'], version: 1 });
    const staleChoice = await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: ['Treatment'], expectedVersion: 0 }).expect(409);
    expect(staleChoice.body.error).toMatch(/it is at version 1 now/);
    await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: null, expectedVersion: 1 }).expect(200);
    expect((await as(member, request(app).get(`/admin/patients/${p.id}/consent`))).body.effective).toMatchObject({ source: 'clinic-default' });
    expect(await ask()).toMatchObject({ result: 'permit', rule: 'clinic-default' });
    await as(admin, request(app).put(`/admin/patients/${randomUUID()}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(404);
    const history = await as(member, request(app).get(`/admin/patients/${p.id}/consent/history`)).expect(200);
    expect(history.body.versions.map((v: { setByKind: string }) => v.setByKind)).toEqual(['staff', 'staff']);
    // Newest first: every change, and apart from them (reads of a patient's record) every look a staff member took.
    const changes = await t.store.audit.search({ patientId: p.id, transaction: 'admin-change' });
    expect(changes.map((r) => r.action)).toEqual(['consent-choice-set', 'consent-choice-set']);
    const reads = await t.store.audit.search({ patientId: p.id, transaction: 'staff-read' });
    expect(reads.map((r) => r.action)).toEqual(['patient-consent-history-read', 'patient-consent-read', 'patient-consent-read']);
    expect(reads.every((r) => r.userId === member.userId)).toBe(true);
  });

  it('lists held requests for staff, and an approval lets the organization in for its period', async () => {
    const p = await t.store.patients.insert(aPatient());
    await t.store.consent.setChoice(p.id, 0, [], { setBy: 'staff', kind: 'staff' });
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Asking Hospital' });
    const held = await t.store.consent.holdRequest({ patientId: p.id, organizationId: org.id, purpose: 'Treatment', surface: 'ITI-38' });
    const other = await t.store.consent.holdRequest({ patientId: p.id, organizationId: org.id, purpose: 'Payment', surface: 'ITI-38' });
    const pending = await as(member, request(app).get('/admin/access-requests')).expect(200);
    expect(pending.body.requests.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([held.id, other.id]));
    await as(member, request(app).post(`/admin/access-requests/${held.id}/approve`)).send({}).expect(403);
    const approved = await as(admin, request(app).post(`/admin/access-requests/${held.id}/approve`)).send({ days: 10 }).expect(200);
    expect(Date.parse(approved.body.approvalExpiresAt)).toBeGreaterThan(Date.now() + 9 * 86_400_000);
    await as(admin, request(app).post(`/admin/access-requests/${held.id}/approve`)).send({}).expect(409);
    await as(admin, request(app).post(`/admin/access-requests/${other.id}/deny`)).expect(200);
    const decide = (purpose: 'Treatment' | 'Payment') => deps.consent.decide({ patientId: p.id, organizationId: org.id, purpose: matchPurpose([purposeCoding(purpose)]), now: new Date(), connectionActive: true });
    expect(await decide('Treatment')).toMatchObject({ result: 'permit', rule: 'approval' });
    expect(await decide('Payment')).toMatchObject({ result: 'deny', rule: 'patient-choice' });
    await as(member, request(app).get('/admin/access-requests?status=maybe')).expect(400);
  });

  it('lets a signed-in patient read and set only their own choices, and see who asked for their records', async () => {
    const mine = await t.store.patients.insert(aPatient());
    const theirs = await t.store.patients.insert(aPatient());
    const patient = await sessionFor(t.store, { patientId: mine.id });
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Curious Clinic' });
    await deps.audit.append({
      transaction: 'ITI-38', action: 'FindDocuments', outcome: 'success', actor: { type: 'partner', organizationId: org.id },
      purpose: { matched: 'Treatment' }, patientIds: [mine.id], decision: { result: 'permit', reason: 'clinic default' },
    });
    const before = await as(patient, request(app).get('/portal/consent')).expect(200);
    expect(before.body.effective.source).toBe('clinic-default');
    await as(patient, request(app).put('/portal/consent')).send({ purposes: ['Treatment', 'Patient Request'], expectedVersion: 0 }).expect(200);
    expect((await as(patient, request(app).get('/portal/consent'))).body.effective).toEqual({ source: 'patient-choice', purposes: ['Treatment', 'Patient Request'], version: 1 });
    expect(await t.store.consent.currentChoice(theirs.id)).toBeUndefined();
    // A staff member's look at their consent is an access to their record too (NEN 7513), shown to them.
    await as(admin, request(app).get(`/admin/patients/${mine.id}/consent`)).expect(200);
    await as(admin, request(app).get(`/admin/patients/${theirs.id}/consent`)).expect(200);
    const log = await as(patient, request(app).get('/portal/access-log')).expect(200);
    expect(log.body.requests).toEqual([
      expect.objectContaining({ via: 'staff-read' }),
      expect.objectContaining({ organization: 'Curious Clinic', purpose: 'Treatment', decision: 'permit', via: 'ITI-38' }),
    ]);
    await as(patient, request(app).get(`/admin/patients/${theirs.id}/consent`)).expect(403);
    await as(admin, request(app).get('/portal/consent')).expect(403);
    const trail = await t.store.audit.search({ patientId: mine.id, transaction: 'admin-change' });
    expect(trail[0]!.action).toBe('consent-choice-set-by-patient');

    // Records of other kinds about them (their lab results coming in, many of them) push no access out of view,
    // and a long log comes in pages.
    await Promise.all(Array.from({ length: 520 }, (_, i) => deps.audit.append({
      transaction: i % 2 ? 'inbound-lab' : 'fhir-read', action: i % 2 ? 'receive' : 'Observation/read', outcome: 'success',
      actor: { type: 'partner', organizationId: org.id }, purpose: { matched: 'Treatment' }, patientIds: [mine.id], decision: { result: 'permit', reason: 'clinic default' },
    })));
    const first = await as(patient, request(app).get('/portal/access-log')).expect(200);
    expect(first.body.requests).toHaveLength(200);
    expect(first.body.requests.every((r: { via: string }) => r.via === 'fhir-read')).toBe(true);
    const seen = [...first.body.requests];
    let next = first.body.next as number | undefined;
    while (next) {
      const page = await as(patient, request(app).get(`/portal/access-log?before=${next}`)).expect(200);
      seen.push(...page.body.requests);
      next = page.body.next;
    }
    expect(seen.map((r: { via: string }) => r.via).slice(-3)).toEqual(['fhir-read', 'staff-read', 'ITI-38']);
    expect(seen).toHaveLength(260 + 2);
    await as(patient, request(app).get('/portal/access-log?before=x')).expect(400);
  });
});
