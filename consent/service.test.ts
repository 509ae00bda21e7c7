import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aPatient } from '../test/support/factories.js';
import { matchPurpose, purposeCoding } from '../profiles/purposes.js';
import { openStore, type RootStore } from '../store/index.js';
import { createConsentService, type ConsentService } from './service.js';

let t: TestStore;
let other: RootStore;
let here: ConsentService;
let there: ConsentService;

beforeAll(async () => {
  t = await openTestStore();
  // On PostgreSQL a second store is a second set of connections, as another gateway process has.
  other = t.database.options.databaseUrl ? await openStore({ ...t.database.options, migrate: false }) : t.store;
  here = createConsentService(t.store);
  there = createConsentService(other);
  await Promise.all([here.ready(), there.ready()]);
});
afterAll(async () => {
  await here.close();
  await there.close();
  if (other !== t.store) await other.close();
  await t.close();
});

/**
 * Runs `test` against a consent service in another process that hears of changes half a second late and counts its
 * database reads, about a patient who allows Treatment, once that choice's announcement has reached it.
 */
async function withLateProcess(test: (late: { slow: ConsentService; counted: { reads: number; clockReads: number }; patientId: string }) => Promise<void>) {
  const counted = { reads: 0, clockReads: 0 };
  const late: RootStore = {
    ...other,
    notifiesBeforeCommitReturns: false,
    listen: (channel, onMessage, onLost) => other.listen(channel, (payload) => void setTimeout(() => onMessage(payload), 500), onLost),
    changeClock: () => { counted.clockReads += 1; return other.changeClock(); },
    consent: { ...other.consent, patientFactsMany: (ids) => { counted.reads += 1; return other.consent.patientFactsMany(ids); } },
  };
  const slow = createConsentService(late);
  await slow.ready();
  try {
    const p = await t.store.patients.insert(aPatient());
    await t.store.consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'portal', kind: 'patient' });
    await new Promise((r) => setTimeout(r, 700));
    await test({ slow, counted, patientId: p.id });
  } finally {
    await slow.close();
  }
}

describe(`cached consent decisions on ${engineUnderTest}`, () => {
  it('serves from the cache, and a committed revocation takes effect in the other process as its notification arrives', async () => {
    const p = await t.store.patients.insert(aPatient());
    const org = randomUUID();
    await t.store.consent.setDefaults(0, ['Treatment'], 'admin');
    const ask = () => ({ patientId: p.id, organizationId: org, purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true });
    expect(await there.decide(ask())).toMatchObject({ result: 'permit', rule: 'clinic-default', policyVersion: 'clinic:1' });

    const arrived = there.nextInvalidation(p.id);
    await t.store.consent.setChoice(p.id, 0, ['Payment'], { setBy: 'portal', kind: 'patient' });
    await arrived;
    expect(await there.decide(ask())).toMatchObject({ result: 'deny', rule: 'patient-choice', policyVersion: 'patient:1' });

    const all = there.nextInvalidation('*');
    await t.store.consent.setDefaults(1, [], 'admin');
    await all;
    const q = await t.store.patients.insert(aPatient());
    expect(await there.decide({ ...ask(), patientId: q.id })).toMatchObject({ result: 'deny', rule: 'clinic-default', policyVersion: 'clinic:2' });
  });

  it('holds a declined request for review, once, and holds nothing for a permit or an unknown purpose', async () => {
    const p = await t.store.patients.insert(aPatient());
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Requesting Org' });
    await t.store.consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
    const base = { patientId: p.id, organizationId: org.id, now: new Date(), connectionActive: true, surface: 'ITI-38', requesterPerson: 'Dr. Who' };
    const first = await here.decideAndHold({ ...base, purpose: matchPurpose([purposeCoding('Payment')]) });
    expect(first).toMatchObject({ result: 'deny', rule: 'patient-choice', heldRequestId: expect.any(String) });
    const second = await here.decideAndHold({ ...base, purpose: matchPurpose([purposeCoding('Payment')]) });
    expect(second.heldRequestId).toBe(first.heldRequestId);
    expect(await here.decideAndHold({ ...base, purpose: matchPurpose([purposeCoding('Treatment')]) })).not.toHaveProperty('heldRequestId');
    expect(await here.decideAndHold({ ...base, purpose: matchPurpose([{ system: 'urn:x', code: 'Y' }]) })).toMatchObject({ result: 'deny', rule: 'purpose-unknown' });
    const held = await t.store.consent.listRequests({ patientId: p.id });
    expect(held).toEqual([expect.objectContaining({ purpose: 'Payment', surface: 'ITI-38', requesterPerson: 'Dr. Who', timesAsked: 2, status: 'pending' })]);
  });

  it('decides from the latest committed choice when a read and an invalidation interleave', async () => {
    const p = await t.store.patients.insert(aPatient());
    await t.store.consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
    const ask = { patientId: p.id, organizationId: randomUUID(), purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true };
    const pending = here.decide(ask);
    here.invalidate(p.id);
    await pending;
    const arrived = here.nextInvalidation(p.id);
    await t.store.consent.setChoice(p.id, 1, [], { setBy: 'staff', kind: 'staff' });
    await arrived;
    expect(await here.decide(ask)).toMatchObject({ result: 'deny', rule: 'patient-choice' });
  });

  it('never answers a committed revocation with a cached permit, even before its notification arrives', () =>
    withLateProcess(async ({ slow, counted, patientId }) => {
      const ask = () => ({ patientId, organizationId: randomUUID(), purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true });
      expect(await slow.decide(ask())).toMatchObject({ result: 'permit' });
      const before = counted.reads;
      expect(await slow.decide(ask())).toMatchObject({ result: 'permit' });
      expect(counted.reads).toBe(before);

      await t.store.consent.setChoice(patientId, 1, ['Payment'], { setBy: 'portal', kind: 'patient' });
      expect(await slow.decide(ask())).toMatchObject({ result: 'deny', rule: 'patient-choice' });
      expect(counted.reads).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 700));
      expect(await slow.decide(ask())).toMatchObject({ result: 'deny', rule: 'patient-choice' });
    }));

  it('takes the change clock a lookup read for the request instead of reading it again, and still refuses a revocation not yet heard of', () =>
    withLateProcess(async ({ slow, counted, patientId }) => {
      const ask = async () => ({
        patientId, organizationId: randomUUID(), purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true,
        changeClock: (await other.patients.resolveId(patientId)).changeClock,
      });
      expect(await slow.decide(await ask())).toMatchObject({ result: 'permit' });
      const [before, clocksBefore] = [counted.reads, counted.clockReads];
      expect(await slow.decide(await ask())).toMatchObject({ result: 'permit' });
      expect([counted.reads, counted.clockReads]).toEqual([before, clocksBefore]);

      await t.store.consent.setChoice(patientId, 1, ['Payment'], { setBy: 'portal', kind: 'patient' });
      expect(await slow.decide(await ask())).toMatchObject({ result: 'deny', rule: 'patient-choice' });
      expect([counted.reads, counted.clockReads]).toEqual([before + 1, clocksBefore]);
    }));

  it('decides from the consent facts the lookup read with the patient, reading nothing of its own, and refuses a revocation the lookup saw before its notification arrives', () =>
    withLateProcess(async ({ slow, counted, patientId }) => {
      const ask = async () => {
        const found = await other.patients.resolveId(patientId);
        expect(found.consent).toBeDefined();
        return {
          patientId, organizationId: randomUUID(), purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true,
          changeClock: found.changeClock, patientFacts: found.consent!,
        };
      };
      const [before, clocksBefore] = [counted.reads, counted.clockReads];
      expect(await slow.decide(await ask())).toMatchObject({ result: 'permit', rule: 'patient-choice' });
      await t.store.consent.setChoice(patientId, 1, ['Payment'], { setBy: 'portal', kind: 'patient' });
      expect(await slow.decide(await ask())).toMatchObject({ result: 'deny', rule: 'patient-choice' });
      expect([counted.reads, counted.clockReads]).toEqual([before, clocksBefore]);
    }));
});
