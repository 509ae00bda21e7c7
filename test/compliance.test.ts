import { createPublicKey, randomUUID, verify } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { createApp } from '../gateway/http/app.js';
import { checkpointMessage } from '../audit/index.js';
import { fhirProblems } from './support/fhir-validators.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
let deps: ReturnType<typeof testDeps>;
let officer: TestSession;
const patientA = randomUUID();
const patientB = randomUUID();
const partner = randomUUID();

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  app = createApp(deps);
  officer = await sessionFor(t.store, { roles: ['compliance'] });
  for (let i = 0; i < 25; i++) {
    await deps.audit.append({
      transaction: i % 5 === 0 ? 'ITI-38' : 'fhir-search', action: 'query', outcome: i % 5 === 0 ? 'denied' : 'success',
      actor: { type: 'partner', organizationId: partner, name: i === 3 ? '=HYPERLINK("x"), Dr. Comma' : `Dr. ${i}`, role: 'physician' },
      purpose: { asReceived: 'TREATMENT', matched: 'Treatment' }, patientIds: [i % 2 === 0 ? patientA : patientB],
      decision: i % 5 === 0 ? { result: 'deny', reason: 'patient choice: Treatment not allowed', policyVersion: '7' } : { result: 'permit', reason: 'clinic default', policyVersion: '7' },
      returned: i % 5 === 0 ? [] : [`Observation/${i}`], requestId: `r-${i}`,
    });
  }
});
afterAll(async () => t.close());

const get = (path: string) => request(app).get(path).set('Cookie', officer.cookie);

describe(`compliance officers' view of the trail on ${engineUnderTest}`, () => {
  it('searches by patient, organization and decision, newest first, in pages that follow a next link', async () => {
    const first = await get(`/audit/records?patient=${patientA}&limit=5`).expect(200);
    expect(first.body.records).toHaveLength(5);
    expect(first.body.records.every((r: { content: { patientIds: string[] } }) => r.content.patientIds.includes(patientA))).toBe(true);
    const seqs: number[] = first.body.records.map((r: { seq: number }) => r.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    const second = await get(first.body.next).expect(200);
    expect(second.body.records[0].seq).toBeLessThan(seqs[4]!);
    const denied = await get(`/audit/records?organization=${partner}&decision=deny`).expect(200);
    expect(denied.body.records).toHaveLength(5);
    expect(denied.body.records[0].content.decision).toEqual({ result: 'deny', reason: 'patient choice: Treatment not allowed', policyVersion: '7' });
    const person = await get(`/audit/records?person=${encodeURIComponent('dr. 7')}`).expect(200);
    expect(person.body.records.map((r: { content: { requestId: string } }) => r.content.requestId)).toEqual(['r-7']);
    const bad = await get('/audit/records?patient=nobody&decision=maybe').expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['decision', 'patient']);
    // A purpose is one of the seven by name: a code as a partner sends it would silently find nothing.
    const code = await get('/audit/records?purpose=PAYMENT').expect(400);
    expect(code.body.issues).toEqual([{ path: 'purpose', message: expect.stringMatching(/^must be one of Treatment, /) }]);
    await get(`/audit/records?purpose=${encodeURIComponent('Treatment')}`).expect(200);
  });

  it('shows one record with its chain proof', async () => {
    const res = await get('/audit/records/7').expect(200);
    expect(res.body.record).toMatchObject({ seq: 7, content: { requestId: 'r-6' } });
    expect(res.body.proof).toMatchObject({ linkVerifies: true, recomputedHash: res.body.record.hash, previousHash: res.body.record.prevHash, nextRecord: { seq: 8, prevHash: res.body.record.hash } });
    await get('/audit/records/999999').expect(404);
    await get('/audit/records/abc').expect(400);
  });

  it('exports CSV that a spreadsheet reads safely', async () => {
    const res = await get('/audit/export.csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,recordedAt,transaction,action,outcome,actorType,userId,organizationId,connectionId,actorName,actorRole,purposeAsReceived,purposeMatched,decision,decisionReason,policyVersion,patientIds,returned,detail,requestId,sourceAddress,hash');
    expect(lines.length).toBeGreaterThanOrEqual(26);
    // A value a spreadsheet would run as a formula is led by an apostrophe: quoting alone does not stop it.
    expect(lines[4]).toContain(`,"'=HYPERLINK(""x""), Dr. Comma",`);
    expect(lines.slice(1).every((l) => !/(^|,)"?[=+@-]/.test(l))).toBe(true);
    // A record's detail is one cell of JSON, quoted.
    expect(lines.slice(1).some((l) => l.includes(',"{""'))).toBe(true);
  });

  it('exports a FHIR Bundle of AuditEvents, one per patient, that both independent validators accept', async () => {
    const res = await get(`/audit/export.fhir?from=${encodeURIComponent('2000-01-01T00:00:00Z')}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const events = res.body.entry.map((e: { resource: { entity?: { what?: { reference?: string } }[] } }) => e.resource);
    const aboutA = events.filter((e: { entity?: { what?: { reference?: string } }[] }) => e.entity?.some((x) => x.what?.reference === `Patient/${patientA}`));
    // 13 exchanges about patient A, each with its consent decision as an event of its own.
    expect(aboutA).toHaveLength(26);
    expect(aboutA.filter((e: { id: string }) => e.id.endsWith('-consent'))).toHaveLength(13);
    expect(fhirProblems(res.body)).toEqual([]);
  });

  it('exports only what the search filters select, in both forms', async () => {
    const csv = (await get(`/audit/export.csv?patient=${patientB}&decision=deny`).expect(200)).text.trimEnd().split('\r\n').slice(1);
    // Of the 25 records, those about patient B (odd i) that were denied (i % 5 === 0): i = 5, 15.
    expect(csv.map((l) => l.split(',')[19])).toEqual(['r-5', 'r-15']);
    const fhir = (await get(`/audit/export.fhir?patient=${patientB}&transaction=ITI-38`).expect(200)).body;
    const ids = new Set(fhir.entry.map((e: { resource: { entity?: { what?: { identifier?: { value?: string } } }[] } }) => e.resource.entity?.find((x) => x.what?.identifier?.value?.startsWith('r-'))?.what?.identifier?.value));
    // Each exchange's own event names its request; its consent decision's event does not.
    expect(new Set([...ids].filter(Boolean))).toEqual(new Set(['r-5', 'r-15']));
    await get('/audit/export.csv?limit=3').expect(400);
  });

  it('signs checkpoints that verify offline with the published key, and verifies the chain', async () => {
    const signed = await request(app).post('/audit/checkpoints').set('Cookie', officer.cookie).set('X-CSRF-Token', officer.csrf).expect(201);
    const listed = await get('/audit/checkpoints').expect(200);
    const checkpoint = listed.body.checkpoints.find((c: { seq: number }) => c.seq === signed.body.seq);
    expect(verify(null, checkpointMessage(checkpoint), createPublicKey(listed.body.publicKey), Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
    const verified = await get('/audit/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: true, checkpointsChecked: 1 });
  });

  it('states the retention policy: nothing may be deleted before the retention years have passed', async () => {
    const res = await get('/audit/policy').expect(200);
    expect(res.body).toMatchObject({ retentionYears: 6, checkpointMinutes: 60, oldestRecord: { seq: 1 } });
    const oldest = new Date(res.body.oldestRecord.recordedAt);
    expect(new Date(res.body.earliestDeletion).getUTCFullYear()).toBe(oldest.getUTCFullYear() + 6);
  });

  it("audits the officer's own reading of the trail", async () => {
    const own = await t.store.audit.search({ userId: officer.userId, transaction: 'audit-access' });
    expect(new Set(own.map((r) => r.action))).toEqual(new Set(['search', 'read', 'export-csv', 'export-fhir', 'checkpoint', 'checkpoints', 'verify', 'policy']));
  });
});
