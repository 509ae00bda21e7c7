import request from 'supertest';
import type { Condition, EpisodeOfCare, Observation, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordOf } from '../audit/index.js';
import { createApp } from '../gateway/http/app.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { aSender, deliver, fhirSearch, fixture, hl7Ack, inboundAudit, staffCall, type Sender } from './inbound-helpers.js';

/**
 * Issue 8 end to end: a GP system's connection posts HL7v3 Ketenzorg messages; what is filed appears in the FHIR
 * API; every error path answers with an acknowledgement naming the problem, quarantines with the reason, files
 * nothing of a refused message, and is on the audit trail without the payload.
 */
let t: TestStore;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let provider: TestSession;
let his: Sender;

const BSN = 'http://fhir.nl/fhir/NamingSystem/bsn';

beforeAll(async () => {
  t = await openTestStore();
  app = createApp(testDeps(t.store));
  admin = await sessionFor(t.store, { roles: ['admin'] });
  provider = await sessionFor(t.store, { roles: ['provider'] });
  his = await aSender(app, admin, 'his', 'Huisartsenpraktijk Voorbeeld');
});
afterAll(async () => t.close());

async function patientByBsn(bsn: string): Promise<Patient | undefined> {
  return (await fhirSearch<Patient>(app, provider, `Patient?identifier=${encodeURIComponent(`${BSN}|${bsn}`)}`))[0];
}

async function inboundDetail(id: string) {
  return (await staffCall(request(app).get(`/admin/inbound/${id}`), admin).expect(200)).body as {
    message: { id: string; status: string; issues: { code: string; message: string }[]; attempts: number };
    parts: { status: string; patientId?: string; records: number; issues: { code: string }[] }[];
  };
}

describe(`ketenzorg from a GP system on ${engineUnderTest}`, () => {
  it.each([
    ['dm2.xml', '999900006', 13, 'T90.02', 'DM2'],
    ['copd.xml', '999900018', 7, 'R95.00', 'COPD'],
    ['cvrm.xml', '999900031', 9, 'K86.00', 'CVRM'],
  ])('files %s and serves it through the FHIR API', async (file, bsn, observations, icpc, programme) => {
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', file)).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details.filter((d) => d.type === 'E')).toEqual([]);
    expect(res.headers['x-acknowledgement']).toBe('AA');

    const patient = await patientByBsn(bsn);
    expect(patient).toBeDefined();
    const found = await fhirSearch<Observation>(app, provider, `Observation?patient=${patient!.id}&_count=100`);
    expect(found).toHaveLength(observations);
    const conditions = await fhirSearch<Condition>(app, provider, `Condition?patient=${patient!.id}`);
    expect(conditions.flatMap((c) => c.code?.coding?.map((x) => x.code) ?? [])).toContain(icpc);
    const episodes = await fhirSearch<EpisodeOfCare>(app, provider, `EpisodeOfCare?patient=${patient!.id}`);
    expect(JSON.stringify(episodes)).toContain(programme);

    const detail = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(detail.message.status).toBe('processed');
    expect(detail.parts).toEqual([expect.objectContaining({ status: 'filed', patientId: patient!.id })]);
  });

  it('files a batch about two patients, one known only by the partner name', async () => {
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', 'batch-two.xml')).expect(200);
    expect(hl7Ack(res.text).code).toBe('AA');
    const partnerOnly = await patientByBsn('999900043');
    expect(partnerOnly?.name?.[0]?.family).toMatch(/Dijk/);
    expect(await patientByBsn('999900055')).toBeDefined();
  });

  it('puts each delivery on the audit trail: sender, message, patients, outcome, and never the payload', async () => {
    const records = await inboundAudit(t.store);
    const dm2 = records.find((r) => r.subject?.messageId === '2.16.840.1.113883.2.4.6.6^DM2-BATCH-0001')!;
    expect(dm2).toMatchObject({
      transaction: 'inbound-ketenzorg', action: 'receive', outcome: 'success', surface: 'inbound',
      actor: { type: 'partner', connectionId: his.connectionId, organizationId: his.organizationId },
      detail: expect.objectContaining({ status: 'processed', observations: 13, conditions: 1, enrolments: 1 }),
    });
    expect(dm2.patientIds).toEqual([(await patientByBsn('999900006'))!.id]);
    const text = JSON.stringify(records);
    for (const secret of ['999900006', 'Berg', 'Johanna']) expect(text).not.toContain(secret);
    expect(records.every((r) => r.query === undefined)).toBe(true);
  });

  it('acknowledges a repeated delivery again and files nothing twice, even when the bytes differ', async () => {
    const before = await t.store.counts();
    const again = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', 'dm2.xml')).expect(200);
    expect(hl7Ack(again.text).code).toBe('AA');
    expect(again.headers['x-duplicate']).toBe('true');
    const altered = fixture('ketenzorg', 'dm2.xml').toString('utf8').replace('value="53"', 'value="99"');
    const third = await deliver(app, his, 'ketenzorg', altered).expect(200);
    expect(third.headers['x-duplicate']).toBe('true');
    expect(await t.store.counts()).toEqual(before);
    const actions = (await inboundAudit(t.store)).filter((r) => r.subject?.messageId === '2.16.840.1.113883.2.4.6.6^DM2-BATCH-0001').map((r) => r.action);
    expect(actions).toEqual(['receive', 'receive-duplicate', 'receive-duplicate']);
  });

  it('files records sent again in a new message or by another practice connection once, and says they were filed before', async () => {
    const before = await t.store.counts();
    // New transmission and message ids: the findings keep their own ids, which name the records.
    const resent = fixture('ketenzorg', 'dm2.xml').toString('utf8').replace('DM2-BATCH-0001', 'DM2-BATCH-0002').replace(/DM2-(REPC|POLB|POOB)-0001/g, 'DM2-$1-0002');
    const other = await aSender(app, admin, 'his', 'Huisartsenpost Voorbeeld');
    for (const [sender, body] of [[his, resent], [other, fixture('ketenzorg', 'dm2.xml')]] as const) {
      const res = await deliver(app, sender, 'ketenzorg', body).expect(200);
      expect(res.headers['x-duplicate']).toBe('false');
      const ack = hl7Ack(res.text);
      expect(ack.code).toBe('AA');
      expect(ack.details).toContainEqual(expect.objectContaining({ type: 'I', text: expect.stringMatching(/^RECORDS_FILED_BEFORE: 15 of the records were filed before/) }));
      expect((await inboundDetail(res.headers['x-inbound-message-id'] as string)).message.status).toBe('processed');
    }
    const after = await t.store.counts();
    expect({ ...after, inboundMessages: before.inboundMessages, organizations: before.organizations }).toEqual(before);
  });

  /**
   * dm2.xml sent again as transmission `n`, its messages made at `made` (HL7 TS) and the batch at `batchMade` (by
   * default the same), with HbA1c L-1001 (58 when first filed) at `value`.
   */
  const hba1cAgain = (n: string, made: string, value: string, batchMade = made) => fixture('ketenzorg', 'dm2.xml').toString('utf8')
    .replace('DM2-BATCH-0001', `DM2-BATCH-${n}`).replace(/DM2-(REPC|POLB|POOB)-0001/g, `DM2-$1-${n}`)
    .replace('<creationTime value="20240115093001"/>', `<creationTime value="${batchMade}"/>`)
    .replace(/<creationTime value="20240115093000"\/>/g, `<creationTime value="${made}"/>`)
    .replace('<value xsi:type="PQ" value="58" unit="mmol/mol"/>', `<value xsi:type="PQ" value="${value}" unit="mmol/mol"/>`);
  const hba1c = async () => {
    const patient = (await patientByBsn('999900006'))!;
    const found = await fhirSearch<Observation>(app, provider, `Observation?patient=${patient.id}&code=2816&_count=100`);
    return found.filter((o) => o.effectiveDateTime === '2024-01-08');
  };
  const L1001 = '2\\.16\\.840\\.1\\.113883\\.2\\.4\\.6\\.6\\.90000777\\.4\\.7\\^L-1001';

  it('tells the sender, with AE, that a record sent again with another value in a message of the same time was not applied', async () => {
    const before = await t.store.counts();
    const res = await deliver(app, his, 'ketenzorg', hba1cAgain('0004', '20240115093000', '62')).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AE');
    expect(ack.details).toContainEqual(expect.objectContaining({
      type: 'E', text: expect.stringMatching(new RegExp(`^RECORD_CHANGED_NOT_APPLIED: 1 of the records filed before came again with other content \\(a correction\\?\\), and the message times do not say which version is newer: ${L1001};`)),
    }));
    expect({ ...(await t.store.counts()), inboundMessages: before.inboundMessages }).toEqual(before);
    expect((await hba1c()).map((o) => [o.valueQuantity?.value, o.meta?.versionId])).toEqual([[58, '1']]);
  });

  it('replaces a record with the corrected version a later message brings, keeping the version it replaced', async () => {
    const before = await t.store.counts();
    const [first] = await hba1c();
    const res = await deliver(app, his, 'ketenzorg', hba1cAgain('0005', '20240116100000', '62')).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details).toContainEqual(expect.objectContaining({
      type: 'I', text: expect.stringMatching(new RegExp(`^RECORD_CORRECTED: 1 of the records filed before came again with other content in a later message: the corrected versions replace them \\(the earlier versions are kept\\): ${L1001} `)),
    }));
    // No second observation: the same one, in its second version.
    expect({ ...(await t.store.counts()), inboundMessages: before.inboundMessages }).toEqual(before);
    const [now] = await hba1c();
    expect(now!.id).toBe(first!.id);
    // A final result replacing a final one: amended (FHIR: modified after it was final).
    expect([now!.valueQuantity?.value, now!.meta?.versionId, now!.status]).toEqual([62, '2', 'amended']);
    expect(Date.parse(now!.meta!.lastUpdated!)).toBeGreaterThan(Date.parse(first!.meta!.lastUpdated!));
    const history = await t.store.observations.history(now!.id!);
    expect(history.map((h) => [h.stamp.version, h.record.value?.kind === 'quantity' ? h.record.value.quantity.value : undefined, h.record.provenance.sentAt])).toEqual([
      [1, '58', '2024-01-15T09:30:00+01:00'], [2, '62', '2024-01-16T10:00:00+01:00'],
    ]);
    expect(history[0]!.stamp.updatedAt).toBe(first!.meta!.lastUpdated);
    const [delivery] = (await inboundAudit(t.store)).filter((r) => r.subject?.messageId === '2.16.840.1.113883.2.4.6.6^DM2-BATCH-0005');
    expect(delivery!.detail).toMatchObject({ corrected: [`Observation/${now!.id}/_history/2`] });
    // The trail says which version left: the search above handed out the second.
    const searches = (await t.store.audit.search({ limit: 50 })).map((r) => recordOf(r).content).filter((c) => c.transaction === 'fhir-search');
    expect(searches[0]!.returned).toContain(`Observation/${now!.id}/_history/2`);
    expect(searches.some((c) => c.returned?.includes(`Observation/${now!.id}/_history/1`))).toBe(true);
  });

  it('keeps the newer version when an older message with other content arrives late, even in a newer batch, and warns the sender', async () => {
    // The messages' own times order them: a batch made later may carry old messages again.
    const res = await deliver(app, his, 'ketenzorg', hba1cAgain('0006', '20240115120000', '60', '20240120080000')).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details).toContainEqual(expect.objectContaining({
      type: 'W', text: expect.stringMatching(new RegExp(`^RECORD_OLDER_NOT_APPLIED: 1 of the records came with other content than filed, in a message made before the one the filed version came in: the newer version stands: ${L1001} `)),
    }));
    expect((await hba1c()).map((o) => [o.valueQuantity?.value, o.meta?.versionId])).toEqual([[62, '2']]);
  });

  it('enrols a patient in a programme with a care organization once, however many concerns name it', async () => {
    const patient = (await patientByBsn('999900006'))!;
    const enrolled = async () => (await fhirSearch<EpisodeOfCare>(app, provider, `EpisodeOfCare?patient=${patient.id}`)).filter((e) => e.status === 'active');
    const before = await enrolled();
    expect(before).toHaveLength(1);
    const anotherConcern = fixture('ketenzorg', 'dm2.xml').toString('utf8').replace(/DM2-/g, 'DM2B-');
    const res = await deliver(app, his, 'ketenzorg', anotherConcern).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details).toContainEqual(expect.objectContaining({ type: 'I', text: expect.stringMatching(/^ALREADY_ENROLLED: the patient is already enrolled in DM2/) }));
    expect((await enrolled()).map((e) => e.id)).toEqual(before.map((e) => e.id));
  });

  it('files a batch of thirty messages about one patient as one part', async () => {
    const dm2 = fixture('ketenzorg', 'dm2.xml').toString('utf8');
    const start = dm2.indexOf('<REPC_IN990111NL');
    const end = dm2.lastIndexOf('</POOB_IN990003NL>') + '</POOB_IN990003NL>'.length;
    const bodies = Array.from({ length: 30 }, (_, j) => dm2.slice(start, end).replace(/DM2-/g, `LONG${j}-`).replace(/extension="(L|D)-/g, `extension="$1${j}-`));
    const head = dm2.slice(0, start).replace('DM2-BATCH-0001', 'LONG-BATCH').replace('<transmissionQuantity value="3"/>', '<transmissionQuantity value="90"/>');
    const before = await t.store.counts();
    const res = await deliver(app, his, 'ketenzorg', `${head}${bodies.join('\n')}${dm2.slice(end)}`).expect(200);
    expect(hl7Ack(res.text).code).toBe('AA');
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(stored.parts).toEqual([expect.objectContaining({ status: 'filed', patientId: (await patientByBsn('999900006'))!.id, records: 30 * 15 })]);
    expect((await t.store.counts()).observations).toBe(before.observations + 30 * 13);
  });

  it('files no record whose id was filed for another patient, makes no patient for a message of only such records, and answers AR naming it', async () => {
    const before = await t.store.counts();
    const elsewhere = fixture('ketenzorg', 'dm2.xml').toString('utf8').replace('DM2-BATCH-0001', 'DM2-BATCH-0003').replace(/DM2-(REPC|POLB|POOB)-0001/g, 'DM2-$1-0003')
      .replaceAll('999900006', '999900067').replaceAll('<birthTime value="19580314"/>', '<birthTime value="19600101"/>');
    const res = await deliver(app, his, 'ketenzorg', elsewhere).expect(200);
    const ack = hl7Ack(res.text);
    // Nothing of it could be filed: the sender must correct it (the BSN, most likely) and send it again.
    expect(ack.code).toBe('AR');
    expect(ack.details).toContainEqual(expect.objectContaining({ type: 'E', text: expect.stringMatching(/^RECORD_ID_OF_OTHER_PATIENT: 15 of the records carry ids already filed for another patient: they were not filed: .*\^L-1001/) }));
    const after = await t.store.counts();
    expect({ observations: after.observations, conditions: after.conditions }).toEqual({ observations: before.observations, conditions: before.conditions });
    // Every record is another patient's: the message names the wrong person, so no patient is made for it, and
    // its part is quarantined, not shown as filed.
    expect(after.patients).toBe(before.patients);
    expect(await patientByBsn('999900067')).toBeUndefined();
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(stored.parts).toEqual([expect.objectContaining({ status: 'quarantined' })]);
  });

  it.each([
    ['invalid-bsn.xml', 'BSN_INVALID', /BSN fails the 11-proef/],
    ['truncated.xml', 'XML_MALFORMED', /./],
    ['unknown-interaction.xml', 'INTERACTION_UNSUPPORTED', /QURX_IN990203NL01/],
  ])('refuses %s with AR naming the problem, quarantines it and files nothing', async (file, code, message) => {
    const before = await t.store.counts();
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', file)).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AR');
    const detail = ack.details.find((d) => d.text.startsWith(`${code}:`));
    expect(detail).toBeDefined();
    expect(detail!.type).toBe('E');
    expect(detail!.text).toMatch(message);
    if (code !== 'XML_MALFORMED') expect(detail!.location).toMatch(/^\//);
    else expect(detail!.text).toMatch(/\(line \d+, column \d+\)$/);
    const after = await t.store.counts();
    expect({ ...after, inboundMessages: before.inboundMessages }).toEqual(before);
    expect(after.inboundMessages).toBe(before.inboundMessages + 1);
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(stored.message.status).toBe('quarantined');
    expect(stored.message.issues.map((i) => i.code)).toContain(code);
  });

  it('files the rest of a message when one result has a unit that contradicts its code (AE, each refused result named)', async () => {
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', 'unit-mismatch.xml')).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AE');
    const mismatches = ack.details.filter((d) => d.text.startsWith('UNIT_MISMATCH:'));
    expect(mismatches).toHaveLength(2);
    expect(mismatches.every((d) => d.type === 'E' && d.location?.includes('/value'))).toBe(true);
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(stored.message.status).toBe('processed');
    expect(stored.parts).toEqual([expect.objectContaining({ status: 'filed', records: 1 })]);
    const filed = (await t.store.observations.list(stored.parts[0]!.patientId!)).items.filter((o) => o.provenance.messageId === stored.message.id);
    expect(filed.map((o) => o.codings[0]!.code)).toEqual(['372']);
  });

  it('keeps results with practice-local codes, flagged unmapped, and says so in the acknowledgement', async () => {
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', 'unmapped-local-code.xml')).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details.filter((d) => d.text.startsWith('UNMAPPED_CODE:')).map((d) => d.type)).toEqual(['W', 'W']);
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    const filed = (await t.store.observations.list(stored.parts[0]!.patientId!)).items.filter((o) => o.provenance.messageId === stored.message.id);
    expect(filed).toHaveLength(3);
    expect(filed.filter((o) => o.unmapped).map((o) => o.codings[0]!.role)).toEqual(['local', 'local']);
  });

  it('stores an OZIS EDIFACT interchange, quarantines it as not implemented, answers AE and keeps it replayable', async () => {
    const res = await deliver(app, his, 'ketenzorg', fixture('ketenzorg', 'ozis.edi'), 'application/edifact').expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AE');
    expect(ack.details.map((d) => d.text)).toContain('OZIS_EDIFACT_UNSUPPORTED: OZIS EDIFACT layout not implemented');
    const id = res.headers['x-inbound-message-id'] as string;
    const stored = await inboundDetail(id);
    expect(stored.message).toMatchObject({ status: 'quarantined', issues: [expect.objectContaining({ message: 'OZIS EDIFACT layout not implemented' })] });
    const listed = await staffCall(request(app).get('/admin/inbound?status=quarantined'), admin).expect(200);
    expect(listed.body.messages.find((m: { id: string }) => m.id === id)).toMatchObject({ format: 'ozis-edifact' });
    const replayed = await staffCall(request(app).post(`/admin/inbound/${id}/replay`), admin).expect(200);
    expect(replayed.body.message).toMatchObject({ status: 'quarantined', attempts: 2 });
  });

  it('files nothing of a message when the database fails part-way, quarantines it with the reason, and files it on replay', async () => {
    await t.db.exec(`
      CREATE SEQUENCE inbound_test_rows;
      CREATE FUNCTION inbound_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('inbound_test_rows') = 3 THEN RAISE EXCEPTION 'simulated failure on the third observation'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER inbound_test_fail BEFORE INSERT ON observations FOR EACH ROW EXECUTE FUNCTION inbound_test_fail();`);
    const before = await t.store.counts();
    const message = fixture('ketenzorg', 'cvrm.xml').toString('utf8').replace(/CVRM-/g, 'FAIL-').replace(/extension="(L|D)-/g, 'extension="$1FAIL-').replace(/999900031/g, '999900109');
    const res = await deliver(app, his, 'ketenzorg', message).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AE');
    expect(ack.details.find((d) => d.text.startsWith('FILING_FAILED:'))?.text).toMatch(/SQLSTATE P0001.*nothing of the message was filed/);
    const after = await t.store.counts();
    expect({ ...after, inboundMessages: before.inboundMessages }).toEqual(before);
    expect(await patientByBsn('999900109')).toBeUndefined();
    const id = res.headers['x-inbound-message-id'] as string;
    expect((await inboundDetail(id)).message.status).toBe('quarantined');

    await t.db.exec('DROP TRIGGER inbound_test_fail ON observations');
    const replayed = await staffCall(request(app).post(`/admin/inbound/${id}/replay`), admin).expect(200);
    expect(replayed.body.message.status).toBe('processed');
    expect(replayed.body.filed).toEqual({ observations: 9, conditions: 2, enrolments: 1, reports: 0 });
    const patient = await patientByBsn('999900109');
    expect(await fhirSearch<Observation>(app, provider, `Observation?patient=${patient!.id}&_count=100`)).toHaveLength(9);
    await staffCall(request(app).post(`/admin/inbound/${id}/replay`), admin).expect(409);
    const trail = (await inboundAudit(t.store)).filter((r) => r.subject?.inboundMessageId === id);
    expect(trail.map((r) => [r.action, r.outcome])).toEqual([['receive', 'failure'], ['replay', 'success']]);
    expect(trail[1]!.actor).toMatchObject({ type: 'user', userId: admin.userId });
  });

  /** dm2.xml without its BSN, under other message ids; optionally another birth date. */
  const withoutBsn = (prefix: string, birth?: string) => {
    // Other findings too: records are named by the sender's own ids (extension L-…, D-…).
    const text = fixture('ketenzorg', 'dm2.xml').toString('utf8').replace(/DM2-/g, `${prefix}-`).replace(/extension="(L|D)-/g, `extension="$1${prefix}-`).replace(/\s*<id root="2\.16\.840\.1\.113883\.2\.4\.6\.3" extension="999900006"\/>/g, '');
    return birth ? text.replace(/<birthTime value="19580314"\/>/g, `<birthTime value="${birth}"/>`) : text;
  };

  it('files a patient without BSN under the one patient with the same name, birth date and sex', async () => {
    const res = await deliver(app, his, 'ketenzorg', withoutBsn('SAME')).expect(200);
    expect(hl7Ack(res.text).code).toBe('AA');
    const stored = await inboundDetail(res.headers['x-inbound-message-id'] as string);
    expect(stored.parts).toEqual([expect.objectContaining({ status: 'filed', patientId: (await patientByBsn('999900006'))!.id })]);
  });

  it('holds a patient without BSN whom no patient fits for staff, and files the records once a provider makes the patient', async () => {
    const message = withoutBsn('NOBSN', '19580315');
    expect(message).toContain('19580315');
    const res = await deliver(app, his, 'ketenzorg', message).expect(200);
    const ack = hl7Ack(res.text);
    expect(ack.code).toBe('AA');
    expect(ack.details.find((d) => d.text.startsWith('PATIENT_TO_MATCH:'))?.type).toBe('I');
    const queue = await staffCall(request(app).get('/admin/lab-matching'), provider).expect(200);
    const entry = queue.body.entries.find((e: { message: { id: string } }) => e.message.id === res.headers['x-inbound-message-id']);
    expect(entry.subject).toMatchObject({ birthDate: '1958-03-15', gender: 'female' });
    expect(entry.reason).toMatch(/no patient has this name, birth date and sex/);
    // The patient filed from dm2.xml is born a day apart: shown as a candidate, never linked without a person.
    expect(entry.candidates.map((c: { identifiers: { value: string }[] }) => c.identifiers.map((i) => i.value)).flat()).toContain('999900006');
    const created = await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/create-patient`), provider).send({}).expect(200);
    expect(created.body.filed).toEqual({ observations: 13, conditions: 1, enrolments: 1, reports: 0 });
    expect(created.body.parts[0]).toMatchObject({ status: 'filed', resolvedBy: `user:${provider.userId}` });
    await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/create-patient`), provider).send({}).expect(409);
  });

  it('refuses other connection kinds, and bodies that are not a message', async () => {
    const lab = await aSender(app, admin, 'lab');
    await deliver(app, lab, 'ketenzorg', fixture('ketenzorg', 'dm2.xml')).expect(403);
    const fhir = await aSender(app, admin, 'fhir');
    await deliver(app, fhir, 'ketenzorg', fixture('ketenzorg', 'dm2.xml')).expect(403);
    await request(app).post('/inbound/ketenzorg').send(fixture('ketenzorg', 'dm2.xml')).expect(401);
    // Each refusal answered as an acknowledgement (AR), with the HTTP status that says why, and nothing stored.
    const before = await t.store.counts();
    const json = await request(app).post('/inbound/ketenzorg').set('Authorization', `Bearer ${his.token}`).send({ message: 'x' }).expect(415);
    expect(json.headers['content-type']).toMatch(/^application\/xml/);
    expect(hl7Ack(json.text)).toMatchObject({ code: 'AR', details: [{ type: 'E', text: expect.stringMatching(/^NOT_A_MESSAGE: send the message itself/) }] });
    // A real message labelled as JSON is refused for its label, and not quoted back as JSON that failed to parse.
    const labelled = await request(app).post('/inbound/ketenzorg').set('Authorization', `Bearer ${his.token}`).set('Content-Type', 'application/json')
      .send(fixture('ketenzorg', 'dm2.xml').toString('utf8')).expect(415);
    expect(hl7Ack(labelled.text).details.map((d) => d.text)).toEqual([expect.stringMatching(/not as application\/json$/)]);
    expect(labelled.text).not.toContain('DM2-BATCH');
    const empty = await deliver(app, his, 'ketenzorg', '').expect(400);
    expect(hl7Ack(empty.text)).toMatchObject({ code: 'AR', details: [{ type: 'E', text: 'BODY_EMPTY: the request body is empty: it must be the message' }] });
    const huge = await deliver(app, his, 'ketenzorg', `<x>${'a'.repeat(10 * 1024 * 1024)}</x>`).expect(413);
    expect(huge.headers['x-acknowledgement']).toBe('AR');
    expect(hl7Ack(huge.text).details.map((d) => d.text)).toEqual([expect.stringMatching(/^PAYLOAD_TOO_LARGE: the body is larger than 10485760 bytes \(10 MB\): nothing was stored/)]);
    expect(await t.store.counts()).toEqual(before);
    const refusals = (await inboundAudit(t.store)).filter((r) => r.action === 'refused');
    expect(refusals.map((r) => [r.outcome, r.actor.connectionId, r.detail?.reason])).toEqual([
      ['failure', his.connectionId, expect.stringMatching(/^415 send the message itself/)],
      ['failure', his.connectionId, expect.stringMatching(/^415 send the message itself/)],
      ['failure', his.connectionId, '400 the request body is empty: it must be the message'],
      ['failure', his.connectionId, expect.stringMatching(/^413 the body is larger than/)],
    ]);
  });

  it('shows admins the message log with issues but never the payload, and keeps it from other roles', async () => {
    const listed = await staffCall(request(app).get(`/admin/inbound?sender=${his.connectionId}&limit=50`), admin).expect(200);
    expect(listed.body.messages.length).toBeGreaterThan(5);
    const text = JSON.stringify(listed.body);
    for (const secret of ['Berg', 'Johanna', '999900006']) expect(text).not.toContain(secret);
    await staffCall(request(app).get('/admin/inbound'), provider).expect(403);
    await staffCall(request(app).get('/admin/inbound?status=bogus'), admin).expect(400);
    // What each sender was answered, and those answered AE: a correction the message times could not order is one.
    expect(listed.body.messages.every((m: { acknowledgement: string }) => ['AA', 'AE', 'AR'].includes(m.acknowledgement))).toBe(true);
    const answeredAe = await staffCall(request(app).get(`/admin/inbound?sender=${his.connectionId}&acknowledgement=AE`), admin).expect(200);
    const ids = answeredAe.body.messages.map((m: { messageId: string; acknowledgement: string }) => [m.messageId, m.acknowledgement]);
    expect(ids).toContainEqual(['2.16.840.1.113883.2.4.6.6^DM2-BATCH-0004', 'AE']);
    expect(ids.every(([, code]: [string, string]) => code === 'AE')).toBe(true);
    expect(ids.map(([id]: [string]) => id)).not.toContain('2.16.840.1.113883.2.4.6.6^DM2-BATCH-0005');
    await staffCall(request(app).get('/admin/inbound?acknowledgement=AX'), admin).expect(400);
    // A message stored and not yet filed (or waiting to be resumed) has been given no verdict.
    const waiting = await t.store.inbound.receive({ sender: his.connectionId, messageId: 'not-yet-filed', format: 'ketenzorg-hl7v3', raw: new TextEncoder().encode('<x/>') });
    const unfiled = await staffCall(request(app).get(`/admin/inbound?sender=${his.connectionId}&status=received`), admin).expect(200);
    expect(unfiled.body.messages.map((m: { id: string; acknowledgement: unknown }) => [m.id, m.acknowledgement])).toEqual([[waiting.message.id, null]]);
    const stillAe = await staffCall(request(app).get(`/admin/inbound?sender=${his.connectionId}&acknowledgement=AE`), admin).expect(200);
    expect(stillAe.body.messages.map((m: { id: string }) => m.id)).not.toContain(waiting.message.id);
  });
});
