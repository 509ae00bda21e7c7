import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aPatient } from '../test/support/factories.js';
import { decide } from '../consent/decide.js';
import { matchPurpose, purposeCoding } from '../profiles/purposes.js';
import type { Purpose } from '../canonical/index.js';

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => t.close());

const storeError = (code: string) => expect.objectContaining({ name: 'StoreError', code });

describe(`consent store on ${engineUnderTest}`, () => {
  it('keeps every version of the clinic defaults and refuses an edit made on a stale version', async () => {
    const { consent } = t.store;
    expect(await consent.currentDefaults()).toBeUndefined();
    const first = await consent.setDefaults(0, ['Treatment', 'Payment', 'Treatment'], 'admin-1', '10.0.0.1');
    expect(first).toMatchObject({ version: 1, purposes: ['Treatment', 'Payment'], setBy: 'admin-1', sourceAddress: '10.0.0.1' });
    await expect(consent.setDefaults(0, ['Treatment'], 'admin-2')).rejects.toEqual(storeError('version-conflict'));
    const second = await consent.setDefaults(1, [], 'admin-2');
    expect(second.purposes).toEqual([]);
    expect((await consent.defaultsHistory()).map((v) => v.version)).toEqual([2, 1]);
    expect((await consent.currentDefaults())?.version).toBe(2);
  });

  it("keeps every version of a patient's choice, including withdrawing it", async () => {
    const { consent } = t.store;
    const p = await t.store.patients.insert(aPatient());
    await consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'staff-1', kind: 'staff', sourceAddress: '10.0.0.2' });
    await expect(consent.setChoice(p.id, 0, ['Payment'], { setBy: 'patient', kind: 'patient' })).rejects.toEqual(storeError('version-conflict'));
    await consent.setChoice(p.id, 1, ['Treatment', 'Patient Request'], { setBy: 'portal-user', kind: 'patient' });
    const withdrawn = await consent.setChoice(p.id, 2, null, { setBy: 'portal-user', kind: 'patient' });
    expect(withdrawn).toMatchObject({ version: 3, purposes: null, setByKind: 'patient' });
    expect((await consent.choiceHistory(p.id)).map((v) => [v.version, v.purposes, v.setByKind])).toEqual([
      [3, null, 'patient'], [2, ['Treatment', 'Patient Request'], 'patient'], [1, ['Treatment'], 'staff'],
    ]);
    await expect(consent.setChoice(randomUUID(), 0, ['Treatment'], { setBy: 'x', kind: 'staff' })).rejects.toEqual(storeError('not-found'));
  });

  it('holds a declined request once, approves it for a period, and the approval decides the next request', async () => {
    const { consent } = t.store;
    const p = await t.store.patients.insert(aPatient());
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Asking Clinic' });
    const ask = (purpose: Purpose) => ({ patientId: p.id, organizationId: org.id, purpose: matchPurpose([purposeCoding(purpose)]), now: new Date() });

    await consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
    expect(decide(ask('Payment'), { connectionActive: true, ...(await consent.facts(p.id, org.id)) })).toMatchObject({ result: 'deny', rule: 'patient-choice' });
    const held = await consent.holdRequest({ patientId: p.id, organizationId: org.id, purpose: 'Payment', surface: 'fhir', requesterPerson: 'Dr. Ask' });
    const again = await consent.holdRequest({ patientId: p.id, organizationId: org.id, purpose: 'Payment', surface: 'fhir' });
    expect(again).toMatchObject({ id: held.id, timesAsked: 2, requesterPerson: 'Dr. Ask', status: 'pending' });
    expect((await consent.listRequests({ status: 'pending', patientId: p.id })).map((r) => r.id)).toEqual([held.id]);

    const approved = await consent.decideRequest(held.id, { approve: true, days: 30 }, 'admin-1');
    expect(Date.parse(approved.approvalExpiresAt!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    await expect(consent.decideRequest(held.id, { approve: false }, 'admin-2')).rejects.toEqual(storeError('invalid-state'));
    await expect(consent.decideRequest(randomUUID(), { approve: false }, 'admin-2')).rejects.toEqual(storeError('not-found'));
    expect(decide(ask('Payment'), { connectionActive: true, ...(await consent.facts(p.id, org.id)) })).toMatchObject({ result: 'permit', rule: 'approval', policyVersion: `approval:${held.id}` });
    expect(decide(ask('Coverage Determination'), { connectionActive: true, ...(await consent.facts(p.id, org.id)) })).toMatchObject({ result: 'deny' });

    await t.db.query("UPDATE access_requests SET approval_expires_at = now() - interval '1 minute' WHERE id = $1", [held.id]);
    expect(decide(ask('Payment'), { connectionActive: true, ...(await consent.facts(p.id, org.id)) })).toMatchObject({ result: 'deny', rule: 'patient-choice' });
    const fresh = await consent.holdRequest({ patientId: p.id, organizationId: org.id, purpose: 'Payment', surface: 'fhir' });
    expect(fresh.id).not.toBe(held.id);
  });

  it("reads several patients' choices and approvals in one statement, each as the decision's own facts have them", async () => {
    const { consent } = t.store;
    const [chose, withdrew, approved, none] = [await t.store.patients.insert(aPatient()), await t.store.patients.insert(aPatient()), await t.store.patients.insert(aPatient()), await t.store.patients.insert(aPatient())];
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Batch Clinic' });
    await consent.setChoice(chose.id, 0, ['Payment', 'Treatment'], { setBy: 'staff', kind: 'staff' });
    await consent.setChoice(withdrew.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
    await consent.setChoice(withdrew.id, 1, null, { setBy: 'portal', kind: 'patient' });
    const held = await consent.holdRequest({ patientId: approved.id, organizationId: org.id, purpose: 'Payment', surface: 'fhir' });
    await consent.decideRequest(held.id, { approve: true, days: 7 }, 'admin');
    const ids = [approved.id, none.id, chose.id, 'not-a-uuid', withdrew.id, chose.id];
    const many = await consent.patientFactsMany(ids);
    expect(many).toHaveLength(ids.length);
    for (const [i, id] of ids.entries()) {
      if (id === 'not-a-uuid') continue;
      const { patientChoice, approvals } = await consent.facts(id, org.id);
      expect(many[i]).toEqual({ ...(patientChoice ? { patientChoice } : {}), approvals });
    }
    expect(many[3]).toEqual({ approvals: [] });
    expect(many.map((f) => [f.patientChoice?.purposes, f.approvals.length])).toEqual([
      [undefined, 1], [undefined, 0], [['Payment', 'Treatment'], 0], [undefined, 0], [undefined, 0], [['Payment', 'Treatment'], 0],
    ]);
  });
});
