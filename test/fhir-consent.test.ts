import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import type { Bundle, Consent, Patient as FhirPatient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PURPOSES, type Purpose } from '../canonical/index.js';
import { createApp } from '../gateway/http/app.js';
import { merge } from '../identity/index.js';
import { purposeCoding } from '../profiles/purposes.js';
import { requireBuiltCli, startCli } from './support/cli.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aPatient, anObservation } from './support/factories.js';
import { testDeps } from './support/gateway.js';
import { fhirProblems } from './support/fhir-validators.js';
import { sessionFor, type TestSession } from './support/people.js';
import { accessTokenFor, registerPartner, type TestPartner } from './support/udap.js';

/**
 * Consent on a real outbound surface: a partner with a UDAP token per purpose reads and searches over FHIR; what
 * the policy does not permit does not leave, is declined in FHIR's form (404 for a read, left out of a search),
 * held for review, and audited with the rule that decided.
 */
let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let partner: TestPartner;
const tokenEndpoint = 'http://localhost:0/oauth/token';
const tokens = new Map<Purpose, string>();
const as = (s: TestSession, r: request.Test) => r.set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf);
const purposeString = (p: Purpose) => {
  const c = purposeCoding(p);
  return `${c.system}#${c.code}`;
};
const fhir = (purpose: Purpose, path: string) => request(app).get(`/fhir/R4${path}`).set('Authorization', `Bearer ${tokens.get(purpose)}`);
const bundleOf = (res: { text: string }) => JSON.parse(res.text) as Bundle;
const BSN = 'http://fhir.nl/fhir/NamingSystem/bsn';

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  await deps.consent.ready();
  app = createApp(deps);
  admin = await sessionFor(t.store, { roles: ['admin'] });
  partner = await registerPartner(app, admin);
  for (const p of PURPOSES) tokens.set(p, await accessTokenFor(app, partner, tokenEndpoint, { purpose_of_use: [purposeString(p)] }));
  await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Treatment', 'Patient Request'], expectedVersion: 0 }).expect(200);
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

async function aPatientWithObservations(count = 3) {
  const p = await t.store.patients.insert(aPatient());
  await t.store.observations.insertMany(Array.from({ length: count }, () => anObservation(p.id)));
  return p;
}

describe(`consent on the FHIR API on ${engineUnderTest}`, () => {
  it('answers each of the seven purposes by the clinic defaults, and audits every decision with its rule', async () => {
    const p = await aPatientWithObservations();
    for (const purpose of PURPOSES) {
      const permitted = purpose === 'Treatment' || purpose === 'Patient Request';
      const read = await fhir(purpose, `/Patient/${p.id}`);
      expect(`${purpose}: ${read.status}`).toBe(`${purpose}: ${permitted ? 200 : 404}`);
      const search = bundleOf(await fhir(purpose, `/Observation?patient=${p.id}`).expect(200));
      expect(`${purpose}: ${(search.entry ?? []).filter((e) => e.search?.mode === 'match').length}`).toBe(`${purpose}: ${permitted ? 3 : 0}`);
      const [record] = await t.store.audit.search({ patientId: p.id, transaction: 'fhir-read', limit: 1 });
      expect(JSON.parse(record!.body)).toMatchObject({
        outcome: permitted ? 'success' : 'denied',
        actor: { type: 'partner', organizationId: partner.organizationId, connectionId: partner.connectionId, name: 'Dr. A. Jansen' },
        purpose: { asReceived: purposeString(purpose), matched: purpose },
        decision: { result: permitted ? 'permit' : 'deny', reason: expect.stringMatching(/^clinic-default: /), policyVersion: 'clinic:1' },
        returned: permitted ? [`Patient/${p.id}/_history/1`] : [],
      });
    }
    const held = await t.store.consent.listRequests({ patientId: p.id, status: 'pending' });
    expect(held.map((r) => r.purpose).sort()).toEqual(PURPOSES.filter((x) => x !== 'Treatment' && x !== 'Patient Request').sort());
    expect(held.every((r) => r.organizationId === partner.organizationId && r.surface === 'fhir')).toBe(true);
  });

  it("lets a patient's choice override the defaults, and an admin's approval answer the requester's next query", async () => {
    const p = await aPatientWithObservations();
    await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(200);
    await fhir('Treatment', `/Patient/${p.id}`).expect(404);
    const [held] = await t.store.consent.listRequests({ patientId: p.id, status: 'pending' });
    expect(held).toMatchObject({ organizationId: partner.organizationId, purpose: 'Treatment', requesterPerson: 'Dr. A. Jansen' });
    await as(admin, request(app).post(`/admin/access-requests/${held!.id}/approve`)).send({ days: 30 }).expect(200);
    await fhir('Treatment', `/Patient/${p.id}`).expect(200);
    expect(bundleOf(await fhir('Treatment', `/Observation?patient=${p.id}`).expect(200)).entry).toHaveLength(3);
    // The approval is for Treatment only, for this organization only.
    await fhir('Payment', `/Patient/${p.id}`).expect(404);
    const [approvedRead] = await t.store.audit.search({ patientId: p.id, transaction: 'fhir-search', limit: 1 });
    expect(JSON.parse(approvedRead!.body).decision).toMatchObject({ result: 'permit', policyVersion: `approval:${held!.id}` });
    // The Consent the partner is shown says so: its own approval as a permit with an end, and a version of its own.
    const consent = JSON.parse((await fhir('Treatment', `/Consent/${p.id}-privacy`).expect(200)).text) as Consent;
    const [approved] = await t.store.consent.listRequests({ patientId: p.id, status: 'approved' });
    expect(fhirProblems(consent)).toEqual([]);
    expect(consent.meta!.versionId).toMatch(/^patient-choice-1\.[0-9a-f]{12}$/);
    // It changed when the approval was granted, after the patient's choice was set.
    expect(Date.parse(consent.meta!.lastUpdated!)).toBe(Math.floor(Date.parse(approved!.decidedAt!)));
    expect(Date.parse(consent.meta!.lastUpdated!)).toBeGreaterThan(Date.parse(consent.dateTime!));
    expect(consent.provision).toEqual({
      type: 'deny',
      provision: [{
        type: 'permit', period: { end: approved!.approvalExpiresAt },
        actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] }, reference: { reference: `Organization/${partner.organizationId}` } }],
        purpose: [purposeCoding('Treatment')],
      }],
    });
    // Staff see every organization's approvals; the version names the approvals, so it is the partner's too.
    const staffView = JSON.parse((await as(admin, request(app).get(`/fhir/R4/Consent/${p.id}-privacy`)).expect(200)).text) as Consent;
    expect(staffView.meta!.versionId).toBe(consent.meta!.versionId);

    // The approval shows beside the patient's choice, and the choice set again (by the patient, or staff for them) ends it.
    const shown = await as(admin, request(app).get(`/admin/patients/${p.id}/consent`)).expect(200);
    expect(shown.body.approvals).toEqual([expect.objectContaining({ requestId: held!.id, organization: { id: partner.organizationId, name: expect.any(String) }, purpose: 'Treatment' })]);
    await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: [], expectedVersion: 1 }).expect(200);
    await fhir('Treatment', `/Patient/${p.id}`).expect(404);
    expect((await as(admin, request(app).get(`/admin/patients/${p.id}/consent`)).expect(200)).body.approvals).toEqual([]);
  });

  it('holds the requests of a search with what was asked, so an admin tells a sweep from a request about one patient', async () => {
    const birthDate = '1932-08-0' + String(1 + Math.floor(Math.random() * 9));
    const swept = [await t.store.patients.insert(aPatient({ birthDate })), await t.store.patients.insert(aPatient({ birthDate }))];
    for (const p of swept) await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(200);
    const res = await fhir('Treatment', `/Patient?birthdate=${birthDate}`).expect(200);
    const listed = await as(admin, request(app).get('/admin/access-requests')).expect(200);
    const held = (listed.body.requests ?? listed.body).filter((r: { patientId: string }) => swept.some((p) => p.id === r.patientId));
    expect(held).toHaveLength(2);
    for (const r of held) {
      expect(r.lastAsked).toEqual({ action: expect.stringMatching(/^Patient\?/), patientsInRequest: 2, requestId: res.headers['x-request-id'] });
    }
  });

  it('leaves denied patients out of a search and audits each patient with its own decision', async () => {
    const birthDate = '1931-07-0' + String(1 + Math.floor(Math.random() * 9));
    const open = await t.store.patients.insert(aPatient({ birthDate }));
    const closed = await t.store.patients.insert(aPatient({ birthDate }));
    await as(admin, request(app).put(`/admin/patients/${closed.id}/consent`)).send({ purposes: ['Payment'], expectedVersion: 0 }).expect(200);
    const res = await fhir('Treatment', `/Patient?birthdate=${birthDate}`).expect(200);
    expect(bundleOf(res).entry?.map((e) => e.resource?.id)).toEqual([open.id]);
    const requestId = res.headers['x-request-id'];
    const records = (await t.store.audit.search({ transaction: 'fhir-search', limit: 10 })).filter((r) => r.requestId === requestId);
    const byPatient = new Map(records.map((r) => [r.patientIds[0], JSON.parse(r.body) as { decision: { result: string; reason: string }; returned: string[] }]));
    expect(byPatient.get(open.id)).toMatchObject({ decision: { result: 'permit' }, returned: [`Patient/${open.id}/_history/1`] });
    expect(byPatient.get(closed.id)).toMatchObject({ decision: { result: 'deny', reason: expect.stringMatching(/^patient-choice: /) }, returned: [] });
  });

  it("shows each partner only its own organization's approvals in the Consent, and staff all of them", async () => {
    const p = await aPatientWithObservations(1);
    await as(admin, request(app).put(`/admin/patients/${p.id}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(200);
    await fhir('Treatment', `/Patient/${p.id}`).expect(404);
    const [held] = await t.store.consent.listRequests({ patientId: p.id, status: 'pending' });
    await as(admin, request(app).post(`/admin/access-requests/${held!.id}/approve`)).send({ days: 30 }).expect(200);
    const consent = JSON.parse((await fhir('Treatment', `/Consent/${p.id}-privacy`).expect(200)).text) as Consent;
    // Another organization approved for Payment.
    const other = await registerPartner(app, admin);
    const otherPayment = await accessTokenFor(app, other, tokenEndpoint, { purpose_of_use: [purposeString('Payment')] });
    await request(app).get(`/fhir/R4/Patient/${p.id}`).set('Authorization', `Bearer ${otherPayment}`).expect(404);
    const [otherHeld] = await t.store.consent.listRequests({ patientId: p.id, status: 'pending' });
    await as(admin, request(app).post(`/admin/access-requests/${otherHeld!.id}/approve`)).send({ days: 7 }).expect(200);
    const seenByOther = JSON.parse((await request(app).get(`/fhir/R4/Consent/${p.id}-privacy`).set('Authorization', `Bearer ${otherPayment}`).expect(200)).text) as Consent;
    expect(seenByOther.provision!.provision!.map((x) => [x.actor![0]!.reference.reference, x.purpose![0]!.code])).toEqual([[`Organization/${other.organizationId}`, purposeCoding('Payment').code]]);
    expect(JSON.parse((await fhir('Treatment', `/Consent/${p.id}-privacy`).expect(200)).text)).toEqual(consent);
    const staffBoth = JSON.parse((await as(admin, request(app).get(`/fhir/R4/Consent/${p.id}-privacy`)).expect(200)).text) as Consent;
    expect(staffBoth.provision!.provision!.map((x) => x.actor![0]!.reference.reference).sort()).toEqual([`Organization/${partner.organizationId}`, `Organization/${other.organizationId}`].sort());
    expect(staffBoth.meta!.versionId).not.toBe(consent.meta!.versionId);
  });

  it("answers a version of a denied patient's record as not known, and audits the denial", async () => {
    const open = await aPatientWithObservations(1);
    const closed = await aPatientWithObservations(1);
    await as(admin, request(app).put(`/admin/patients/${closed.id}/consent`)).send({ purposes: ['Payment'], expectedVersion: 0 }).expect(200);
    const [mine] = (await t.store.observations.list(open.id)).items;
    const [theirs] = (await t.store.observations.list(closed.id)).items;
    const permitted = await fhir('Treatment', `/Observation/${mine!.id}/_history/1`).expect(200);
    // A partner's conditional read of a version it holds: 304, by tag or by date.
    await fhir('Treatment', `/Observation/${mine!.id}/_history/1`).set('If-None-Match', '"1"').expect(304);
    await fhir('Treatment', `/Observation/${mine!.id}/_history/1`).set('If-Modified-Since', permitted.headers['last-modified'] as string).expect(304);
    expect((JSON.parse(permitted.text) as { meta: { versionId: string } }).meta.versionId).toBe('1');
    const denied = await fhir('Treatment', `/Observation/${theirs!.id}/_history/1`).expect(404);
    const unknown = await fhir('Treatment', `/Observation/${mine!.id}/_history/9`).expect(404);
    expect(JSON.parse(denied.text).issue[0].diagnostics.replace(theirs!.id, 'X')).toBe(JSON.parse(unknown.text).issue[0].diagnostics.replace(mine!.id, 'X').replace('/9', '/1'));
    const [record] = (await t.store.audit.search({ transaction: 'fhir-read', patientId: closed.id, limit: 5 })).filter((r) => r.requestId === denied.headers['x-request-id']);
    expect(JSON.parse(record!.body)).toMatchObject({ action: 'Observation/vread', decision: { result: 'deny' }, returned: [] });
    // The whole history likewise: the permitted patient's versions leave and are noted, the denied one's is not known.
    const history = JSON.parse((await fhir('Treatment', `/Observation/${mine!.id}/_history`).expect(200)).text) as { total: number };
    expect(history.total).toBe(1);
    const deniedHistory = await fhir('Treatment', `/Observation/${theirs!.id}/_history`).expect(404);
    const unknownHistory = await fhir('Treatment', `/Observation/00000000-0000-4000-8000-00000000dead/_history`).expect(404);
    expect(JSON.parse(deniedHistory.text).issue[0].diagnostics.replace(theirs!.id, 'X')).toBe(JSON.parse(unknownHistory.text).issue[0].diagnostics.replace('00000000-0000-4000-8000-00000000dead', 'X'));
    const [historyRecord] = (await t.store.audit.search({ transaction: 'fhir-read', patientId: closed.id, limit: 5 })).filter((r) => r.requestId === deniedHistory.headers['x-request-id']);
    expect(JSON.parse(historyRecord!.body)).toMatchObject({ action: 'Observation/history', decision: { result: 'deny' }, returned: [] });
  });

  it("serves a merged record's id as replaced by the survivor, under the survivor's consent", async () => {
    const survivor = await aPatientWithObservations();
    const duplicate = await t.store.patients.insert(aPatient());
    await merge(t.store, survivor.id, duplicate.id, { mergedBy: 'test', reason: 'duplicate' });
    const read = await fhir('Treatment', `/Patient/${duplicate.id}`).expect(200);
    expect(JSON.parse(read.text) as FhirPatient).toMatchObject({
      resourceType: 'Patient', id: duplicate.id, active: false, link: [{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }],
    });
    expect(read.headers.etag).toMatch(/^W\/"\d+"$/);
    const [permitted] = await t.store.audit.search({ patientId: survivor.id, transaction: 'fhir-read', limit: 1 });
    expect(JSON.parse(permitted!.body)).toMatchObject({ decision: { result: 'permit' }, returned: [expect.stringMatching(new RegExp(`^Patient/${duplicate.id}/_history/\\d+$`))] });

    // A search by id finds what the read finds: the merged record, inactive, beside the survivor when both are asked.
    const byId = bundleOf(await fhir('Treatment', `/Patient?_id=${duplicate.id},${survivor.id}`).expect(200));
    expect(byId.entry!.map((e) => [e.resource!.id, (e.resource as FhirPatient).active])).toEqual(
      [[duplicate.id, false], [survivor.id, true]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const [searched] = await t.store.audit.search({ patientId: survivor.id, transaction: 'fhir-search', limit: 1 });
    expect(JSON.parse(searched!.body).returned).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^Patient/${duplicate.id}/_history/\\d+$`))]));
    // The merged record as it was before the merge is read by its version, under the survivor's consent too.
    const before = JSON.parse((await fhir('Treatment', `/Patient/${duplicate.id}/_history/1`).expect(200)).text) as FhirPatient;
    expect([before.active, before.link, before.identifier?.length]).toEqual([true, undefined, 1]);
    const [version] = await t.store.audit.search({ patientId: survivor.id, transaction: 'fhir-read', limit: 1 });
    expect(JSON.parse(version!.body)).toMatchObject({ action: 'Patient/vread', decision: { result: 'permit' }, returned: [`Patient/${duplicate.id}/_history/1`] });

    await as(admin, request(app).put(`/admin/patients/${survivor.id}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(200);
    await fhir('Treatment', `/Patient/${duplicate.id}`).expect(404);
    const [denied] = await t.store.audit.search({ patientId: survivor.id, transaction: 'fhir-read', limit: 1 });
    expect(JSON.parse(denied!.body)).toMatchObject({ decision: { result: 'deny' }, returned: [] });
    expect(bundleOf(await fhir('Treatment', `/Patient?_id=${duplicate.id}`).expect(200)).entry ?? []).toEqual([]);
    const deniedVersion = await fhir('Treatment', `/Patient/${duplicate.id}/_history/1`).expect(404);
    const unknownVersion = await fhir('Treatment', `/Patient/${duplicate.id}/_history/9`).expect(404);
    expect(JSON.parse(deniedVersion.text).issue[0].diagnostics.replace('/_history/1', '/_history/9')).toBe(JSON.parse(unknownVersion.text).issue[0].diagnostics);
    const [deniedRead] = (await t.store.audit.search({ patientId: survivor.id, transaction: 'fhir-read', limit: 2 })).filter((r) => r.requestId === deniedVersion.headers['x-request-id']);
    expect(JSON.parse(deniedRead!.body)).toMatchObject({ action: 'Patient/vread', decision: { result: 'deny' }, returned: [] });
  });

  it('gives a Carequality partner no BSN on the FHIR API, and finds nobody for it by one; a Dutch FHIR partner gets both', async () => {
    const p = await aPatientWithObservations(1);
    const bsn = p.identifiers.find((i) => i.system === BSN)!.value;
    const carequality = await registerPartner(app, admin, { kind: 'carequality' });
    const abroad = await accessTokenFor(app, carequality, tokenEndpoint, { purpose_of_use: [purposeString('Treatment')] });
    const as_ = (token: string, path: string) => request(app).get(`/fhir/R4${path}`).set('Authorization', `Bearer ${token}`).expect(200);
    const systems = (r: { text: string }) => ((JSON.parse(r.text) as FhirPatient).identifier ?? []).map((i) => i.system);
    expect(systems(await as_(abroad, `/Patient/${p.id}`))).not.toContain(BSN);
    expect(systems(await as_(tokens.get('Treatment')!, `/Patient/${p.id}`))).toContain(BSN);
    const everything = bundleOf(await as_(abroad, `/Patient/${p.id}/$everything`));
    expect(JSON.stringify(everything)).not.toContain(bsn);
    expect(everything.entry?.length).toBeGreaterThan(1);
    for (const path of [`/Patient?identifier=${BSN}|${bsn}`, `/Observation?patient.identifier=${BSN}|${bsn}`]) {
      expect(bundleOf(await as_(abroad, path)).entry ?? []).toEqual([]);
      expect((bundleOf(await as_(tokens.get('Treatment')!, path)).entry ?? []).length).toBeGreaterThan(0);
    }
  });

  it('discloses nothing to a partner credential that proves no purpose, and says why', async () => {
    const p = await aPatientWithObservations();
    const issued = await as(admin, request(app).post(`/admin/connections/${partner.connectionId}/credentials`)).send({ type: 'token' }).expect(201);
    const res = await request(app).get(`/fhir/R4/Observation?patient=${p.id}`).set('Authorization', `Bearer ${issued.body.token}`).expect(200);
    const entries = bundleOf(res).entry ?? [];
    expect(entries.filter((e) => e.search?.mode === 'match')).toEqual([]);
    expect(JSON.stringify(entries.find((e) => e.search?.mode === 'outcome'))).toMatch(/proves no purpose of use/);
    const [record] = await t.store.audit.search({ patientId: p.id, limit: 1 });
    expect(JSON.parse(record!.body).decision).toMatchObject({ result: 'deny', reason: expect.stringMatching(/^purpose-missing: /) });
  });
});

describe(`revocation across gateway processes on ${engineUnderTest}`, () => {
  it('takes effect on the very next request in another gateway process', async () => {
    if (engineUnderTest === 'postgres') {
      // Two real `crossgate start` processes on one database, as behind a load balancer.
      requireBuiltCli();
      const cwd = await mkdtemp(path.join(tmpdir(), 'crossgate-two-'));
      const env = {
        DATABASE_URL: t.database.options.databaseUrl, PORT: '0', HOST: '127.0.0.1', CROSSGATE_DEMO_DATA: 'off', LOG_LEVEL: 'warn',
        CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'), CROSSGATE_PUBLIC_URL: 'http://gateway.example',
      };
      const started: ChildProcess[] = [];
      try {
        const [a, b] = await Promise.all([startCli({ ...env, LOG_LEVEL: 'info' }, cwd), startCli({ ...env, LOG_LEVEL: 'info' }, cwd)]);
        started.push(a.child, b.child);
        await proveRevocation(a.url, b.url, 'http://gateway.example/oauth/token');
      } finally {
        for (const child of started) child.kill('SIGTERM');
        await rm(cwd, { recursive: true, force: true });
      }
    } else {
      // The embedded database belongs to one process: two apps with consent caches of their own stand in for two.
      const second = testDeps(t.store);
      await second.consent.ready();
      try {
        await proveRevocation(app, createApp({ ...second, secretKey: deps.secretKey }), tokenEndpoint);
      } finally {
        await second.consent.close();
      }
    }
  });
});

/** Admin revokes on `a`; the partner's next read on `b` is refused, and the refusal is audited by the rule. */
async function proveRevocation(a: string | ReturnType<typeof createApp>, b: string | ReturnType<typeof createApp>, endpoint: string) {
  const p = await aPatientWithObservations();
  const staff = await sessionFor(t.store, { roles: ['admin'] });
  const other = await registerPartner(a as ReturnType<typeof createApp>, staff);
  const token = await accessTokenFor(a as ReturnType<typeof createApp>, other, endpoint);
  const read = () => request(b).get(`/fhir/R4/Observation?patient=${p.id}`).set('Authorization', `Bearer ${token}`).expect(200);
  expect(bundleOf(await read()).entry).toHaveLength(3);
  const current = await t.store.consent.currentChoice(p.id);
  await request(a).put(`/admin/patients/${p.id}/consent`).set('Cookie', staff.cookie).set('X-CSRF-Token', staff.csrf)
    .send({ purposes: ['Payment'], expectedVersion: current?.version ?? 0 }).expect(200);
  expect(bundleOf(await read()).entry ?? []).toEqual([]);
  const [record] = await t.store.audit.search({ patientId: p.id, transaction: 'fhir-search', limit: 1 });
  expect(JSON.parse(record!.body).decision).toMatchObject({ result: 'deny', reason: expect.stringMatching(/^patient-choice: /) });
}
