import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { IdentifierSystems, type Purpose } from '../canonical/index.js';
import { createConsentService } from '../consent/service.js';
import { matchPurpose, purposeCoding } from '../profiles/purposes.js';
import { resolvedAt } from '../store/patients.js';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aPatient, uniqueBsn } from '../test/support/factories.js';
import { duplicateReport, findByIdentifier, findById, findCandidates, linkIdentifier, merge } from './index.js';

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => t.close());

describe(`identity on ${engineUnderTest}`, () => {
  it('finds a patient by identifier and by a merged record id, always reaching the survivor', async () => {
    const { store } = t;
    const survivor = await store.patients.insert(aPatient());
    const old = await store.patients.insert(aPatient());
    await merge(store, survivor.id, old.id, { mergedBy: 'admin', reason: 'duplicate' });
    expect((await findById(store, old.id))?.patient.id).toBe(survivor.id);
    // The light lookup the outbound pipeline uses reaches the same survivor, and nothing for an unknown id.
    // Each with the change clock its statement read, and the survivor's consent facts as of that clock.
    await store.consent.setChoice(survivor.id, 0, ['Treatment', 'Payment'], { setBy: 'staff-1', kind: 'staff' });
    const clock = await store.changeClock();
    const facts = await store.consent.patientFacts(survivor.id);
    expect(facts.patientChoice?.purposes).toEqual(['Treatment', 'Payment']);
    expect(await store.patients.resolveId(old.id)).toEqual({ value: survivor.id, changeClock: clock, consent: facts });
    expect((await store.patients.resolveId(survivor.id)).value).toBe(survivor.id);
    expect(await store.patients.resolveId('00000000-0000-4000-8000-000000000000')).toEqual({ value: undefined, changeClock: clock });
    expect(await store.patients.resolveIdentifier(old.identifiers[0]!.system, old.identifiers[0]!.value)).toEqual({ value: survivor.id, changeClock: clock, consent: facts });
    expect((await store.patients.resolveIdentifier(old.identifiers[0]!.system, 'no-such-value')).value).toBeUndefined();
    expect((await findByIdentifier(store, old.identifiers[0]!))?.patient.id).toBe(survivor.id);
    const linked = await linkIdentifier(store, old.id, { system: 'urn:oid:2.16.840.1.113883.3.7.1', value: 'EXT-9' }, 'test');
    expect(linked).toEqual({ outcome: 'linked', patientId: survivor.id });
    expect((await findByIdentifier(store, { system: '2.16.840.1.113883.3.7.1', value: 'EXT-9' }))?.patient.id).toBe(survivor.id);
  });

  it('resolves the ids and identifiers of several requests in one statement, each as it resolves alone', async () => {
    const { store } = t;
    const survivor = await store.patients.insert(aPatient());
    const old = await store.patients.insert(aPatient());
    const other = await store.patients.insert(aPatient());
    await merge(store, survivor.id, old.id, { mergedBy: 'admin', reason: 'duplicate' });
    await store.consent.setChoice(other.id, 0, ['Payment'], { setBy: 'staff-1', kind: 'staff' });
    const clock = await store.changeClock();
    const [s, o] = [await store.consent.patientFacts(survivor.id), await store.consent.patientFacts(other.id)];
    expect([s.patientChoice, o.patientChoice?.purposes]).toEqual([undefined, ['Payment']]);
    const ids = [other.id, old.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', survivor.id, old.id];
    expect(await store.patients.resolveIds(ids)).toEqual({
      value: [other.id, survivor.id, undefined, undefined, survivor.id, survivor.id], changeClock: clock, consent: [o, s, undefined, undefined, s, s],
    });
    for (const id of ids) expect(await store.patients.resolveId(id)).toEqual(resolvedAt(await store.patients.resolveIds([id]), 0));
    // Asked for, the survivor's record comes with them, as a read of it by id gives it.
    const [sr, or] = [await store.patients.get(survivor.id), await store.patients.get(other.id)];
    expect(await store.patients.resolveIds(ids, { withRecords: true })).toEqual({
      value: [other.id, survivor.id, undefined, undefined, survivor.id, survivor.id], changeClock: clock, consent: [o, s, undefined, undefined, s, s],
      records: [or, sr, undefined, undefined, sr, sr],
    });
    expect(await store.patients.resolveIds([])).toEqual({ value: [], changeClock: clock, consent: [] });
    const [moved, others] = [old.identifiers[0]!, other.identifiers[0]!];
    const identifiers = [moved, { system: others.system, value: 'no-such-value' }, { system: 'not a system', value: '' }, others];
    expect(await store.patients.resolveIdentifiers(identifiers)).toEqual({ value: [survivor.id, undefined, undefined, other.id], changeClock: clock, consent: [s, undefined, undefined, o] });
  });

  it("carries the merged record's consent choice to the survivor, never sharing more than either record allowed", async () => {
    const { store } = t;
    const staff = { setBy: 'staff-1', kind: 'staff' as const };
    const pair = async (survivorChoice?: Purpose[] | null, mergedChoice?: Purpose[] | null) => {
      const [s, m] = [await store.patients.insert(aPatient()), await store.patients.insert(aPatient())];
      if (survivorChoice !== undefined) {
        await store.consent.setChoice(s.id, 0, ['Treatment'], staff);
        if (survivorChoice === null || survivorChoice.join() !== 'Treatment') await store.consent.setChoice(s.id, 1, survivorChoice, staff);
      }
      if (mergedChoice !== undefined) {
        await store.consent.setChoice(m.id, 0, ['Treatment'], staff);
        if (mergedChoice === null || mergedChoice.join() !== 'Treatment') await store.consent.setChoice(m.id, 1, mergedChoice, staff);
      }
      const result = await merge(store, s.id, m.id, { mergedBy: 'user:merger', reason: 'duplicate' });
      return { result, history: (await store.consent.choiceHistory(s.id)).map((v) => [v.version, v.purposes, v.setBy, v.setByKind]) };
    };

    const taken = await pair(undefined, ['Payment', 'Treatment']);
    expect(taken.result.consentChoice).toMatchObject({ version: 1, purposes: ['Payment', 'Treatment'], setBy: 'user:merger', setByKind: 'staff' });
    expect(taken.history).toEqual([[1, ['Payment', 'Treatment'], 'user:merger', 'staff']]);
    const narrowed = await pair(['Treatment', 'Payment', 'Patient Request'], ['Patient Request', 'Treatment']);
    expect(narrowed.history[0]).toEqual([3, ['Treatment', 'Patient Request'], 'user:merger', 'staff']);
    const refusedAll = await pair(['Treatment'], []);
    expect(refusedAll.history[0]).toEqual([2, [], 'user:merger', 'staff']);
    // Nothing to carry, or nothing the survivor allows that the merged record did not: no new version.
    for (const [survivorChoice, mergedChoice] of [[['Treatment'], undefined], [['Treatment'], null], [['Treatment'], ['Treatment', 'Payment']], [undefined, null]] as const) {
      const same = await pair(survivorChoice === undefined ? undefined : [...survivorChoice], mergedChoice === undefined || mergedChoice === null ? mergedChoice : [...mergedChoice]);
      expect(same.result.consentChoice).toBeUndefined();
      expect(same.history.length).toBeLessThanOrEqual(1);
    }
  });

  it('moves the requests held under the merged record to the survivor, folding one the survivor also holds', async () => {
    const { store } = t;
    const [s, m] = [await store.patients.insert(aPatient()), await store.patients.insert(aPatient())];
    const org = await store.organizations.save({ id: randomUUID(), name: 'Asking Clinic' });
    const other = await store.organizations.save({ id: randomUUID(), name: 'Other Clinic' });
    const hold = (patientId: string, organizationId: string, purpose: Purpose) => store.consent.holdRequest({ patientId, organizationId, purpose, surface: 'fhir' });
    const both = await hold(s.id, org.id, 'Payment');
    const mergedTwice = await hold(m.id, org.id, 'Payment');
    await hold(m.id, org.id, 'Payment');
    const onlyMerged = await hold(m.id, other.id, 'Treatment');
    const decided = await hold(m.id, other.id, 'Payment');
    await store.consent.decideRequest(decided.id, { approve: true, days: 7 }, 'staff-1');

    const result = await merge(store, s.id, m.id, { mergedBy: 'user:merger', reason: 'duplicate' });
    expect(result.accessRequestsMoved).toBe(2);
    const pending = await store.consent.listRequests({ status: 'pending', patientId: s.id });
    expect(pending.map((r) => [r.id, r.organizationId, r.purpose, r.timesAsked]).sort()).toEqual([
      [both.id, org.id, 'Payment', 3],
      [onlyMerged.id, other.id, 'Treatment', 1],
    ].sort());
    expect(pending.find((r) => r.id === both.id)!.receivedAt <= mergedTwice.receivedAt).toBe(true);
    expect(await store.consent.listRequests({ status: 'pending', patientId: m.id })).toEqual([]);
    // The approval given on the merged record stays there: it is not widened to the survivor's data.
    expect((await store.consent.listRequests({ status: 'approved', patientId: m.id })).map((r) => r.id)).toEqual([decided.id]);
    expect((await store.consent.facts(s.id, other.id)).approvals).toEqual([]);
  });

  it('lets no cached decision outlive a merge that narrowed the survivor', async () => {
    const { store } = t;
    const consent = createConsentService(store);
    await consent.ready();
    try {
      const org = await store.organizations.save({ id: randomUUID(), name: 'Asking' });
      const [s, m] = [await store.patients.insert(aPatient()), await store.patients.insert(aPatient())];
      await store.consent.setChoice(s.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
      await store.consent.setChoice(m.id, 0, ['Payment'], { setBy: 'portal', kind: 'patient' });
      const ask = () => consent.decide({ patientId: s.id, organizationId: org.id, purpose: matchPurpose([purposeCoding('Treatment')]), now: new Date(), connectionActive: true });
      expect(await ask()).toMatchObject({ result: 'permit' });
      await merge(store, s.id, m.id, { mergedBy: 'user:merger', reason: 'duplicate' });
      expect(await ask()).toMatchObject({ result: 'deny', rule: 'patient-choice' });
    } finally {
      await consent.close();
    }
  });

  it('finds one confident candidate by demographics, and reports several as ambiguous', async () => {
    const { store } = t;
    const p = await store.patients.insert(aPatient({ birthDate: '1948-11-30', gender: 'male', names: [{ family: 'Heuvel', familyPrefix: 'van den', given: ['Gerrit'], initials: 'G.' }] }));
    const found = await findCandidates(store, { names: [{ family: 'van den Heuvel', given: ['Gerrit'] }], birthDate: '1948-11-30', gender: 'male' });
    expect(found.decision).toEqual({ outcome: 'match', patientId: p.id, score: expect.any(Number) });

    const typo = await findCandidates(store, { names: [{ family: 'Heuvels', given: ['G'] }], birthDate: '1948-11-30', gender: 'male' });
    expect(typo.results[0]).toMatchObject({ patientId: p.id });
    expect(typo.results[0]!.reasons).toContain('family name one edit apart');

    const twin = await store.patients.insert(aPatient({ birthDate: '1948-11-30', gender: 'male', names: [{ family: 'Heuvel', familyPrefix: 'van den', given: ['Gerard'], initials: 'G.' }] }));
    const both = await findCandidates(store, { names: [{ family: 'van den Heuvel', given: [] }], birthDate: '1948-11-30', gender: 'male' });
    expect(both.decision).toEqual({ outcome: 'ambiguous', patientIds: expect.arrayContaining([p.id, twin.id]) });
    const none = await findCandidates(store, { names: [{ family: 'Nobody', given: [] }], birthDate: '1901-01-01' });
    expect(none.decision).toEqual({ outcome: 'none' });
  });

  it('never matches a different BSN', async () => {
    const { store } = t;
    const p = await store.patients.insert(aPatient({ birthDate: '1970-07-07', names: [{ family: 'Uniek', given: ['Sara'] }] }));
    const r = await findCandidates(store, { identifiers: [{ system: IdentifierSystems.bsn.uri, value: uniqueBsn() }], names: [{ family: 'Uniek', given: ['Sara'] }], birthDate: '1970-07-07', gender: 'female' });
    expect(r.results.find((x) => x.patientId === p.id)).toMatchObject({ score: 0, reasons: ['BSN differs'] });
    expect(r.decision).toEqual({ outcome: 'none' });
  });

  it('reports likely duplicates with scores and reasons, strongest first', async () => {
    const { store } = t;
    const a = await store.patients.insert(aPatient({ identifiers: [], birthDate: '1939-09-09', names: [{ family: 'Dubbel', familyPrefix: 'de', given: ['Klaas'], initials: 'K.' }], gender: 'male' }));
    const b = await store.patients.insert(aPatient({ identifiers: [], birthDate: '1939-09-09', names: [{ family: 'de Dubbel', given: ['Klaas'] }], gender: 'male' }));
    const report = await duplicateReport(store, 1000);
    const entry = report.find((e) => e.familyKey === 'dubbel');
    expect(entry?.patients.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(entry?.patients[1]).toMatchObject({ score: 100, reasons: expect.arrayContaining(['family name equal', 'birth date equal', 'initials equal']) });
  });
});
