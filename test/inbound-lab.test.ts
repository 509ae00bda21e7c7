import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { DiagnosticReport, Observation, Organization, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../gateway/http/app.js';
import type { LabAcknowledgement } from '../gateway/inbound/lab.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aPatient } from './support/factories.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { aSender, deliver, fhirSearch, fixture, inboundAudit, staffCall, type Sender } from './inbound-helpers.js';

/**
 * Issue 9 end to end: a lab connection posts MEDLAB interchanges; results are filed under the right patient (by
 * BSN; without one only when exactly one patient fits, else they wait for staff), every problem is named in the
 * acknowledgement, and nothing uncertain is filed.
 */
let t: TestStore;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let provider: TestSession;
let lab: Sender;
/** A second route for the same lab's interchanges, made by the test that uses it. */
let zorgmail: Sender | undefined;

const BSN = 'http://fhir.nl/fhir/NamingSystem/bsn';

beforeAll(async () => {
  t = await openTestStore();
  app = createApp(testDeps(t.store));
  admin = await sessionFor(t.store, { roles: ['admin'] });
  provider = await sessionFor(t.store, { roles: ['provider'] });
  lab = await aSender(app, admin, 'lab', 'Regionaal Laboratorium Voorbeeld');
});
afterAll(async () => t.close());

async function post(body: Buffer | string): Promise<LabAcknowledgement> {
  const res = await deliver(app, lab, 'lab', body).expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.body as LabAcknowledgement;
}

async function patientByBsn(bsn: string): Promise<Patient | undefined> {
  return (await fhirSearch<Patient>(app, provider, `Patient?identifier=${encodeURIComponent(`${BSN}|${bsn}`)}`))[0];
}

const codes = (problems: readonly { code: string }[]) => problems.map((p) => p.code);

describe(`MEDLAB from a lab on ${engineUnderTest}`, () => {
  it('files results with flags, remarks and a pending test under the patient by BSN, one report per order', async () => {
    const ack = await post(fixture('medlab', 'results-flags-remarks.edi'));
    expect(ack).toMatchObject({
      acknowledgement: 'AA', status: 'processed', duplicate: false,
      interchange: { reference: 'IC250314A', sender: '500000111', recipient: '500000222', messageId: '500000111/IC250314A' },
      messages: [{ reference: 'M0001', position: 0, type: 'MEDLAB:1', outcome: 'filed', records: 8 }],
    });
    expect(codes(ack.messages[0]!.problems)).toEqual(['UNMAPPED_CODE', 'UNMAPPED_CODE', 'UNMAPPED_CODE']);
    expect(ack.messages[0]!.problems[0]).toMatchObject({ severity: 'warning', segment: 'BEP', field: 'BEP.9', line: expect.any(Number) });

    const patient = (await patientByBsn('999901011'))!;
    expect(patient.name?.[0]?.family).toMatch(/Berg/);
    const reports = await fhirSearch<DiagnosticReport>(app, provider, `DiagnosticReport?patient=${patient.id}`);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.result).toHaveLength(7);
    expect(reports[0]!.conclusion).toMatch(/geautoriseerd/);
    const observations = await fhirSearch<Observation>(app, provider, `Observation?patient=${patient.id}&_count=100`);
    expect(observations).toHaveLength(7);
    const hba1c = observations.find((o) => o.code.text?.startsWith('HbA1c') || o.code.coding?.some((c) => c.code === '2816'))!;
    expect(hba1c.interpretation?.[0]?.coding?.[0]?.code).toBe('H');
    expect(hba1c.note?.map((n) => n.text).join(' ')).toMatch(/Streefwaarde/);
    expect(observations.filter((o) => o.status === 'registered')).toHaveLength(1);
    const crp = observations.find((o) => o.code.coding?.some((c) => c.code === 'CRP B'))!;
    expect(crp.code.coding?.[0]?.system).toBe('urn:crossgate:medlab:500000111:test-code');
    const performer = hba1c.performer?.[0]?.reference;
    expect(performer).toMatch(/^Organization\//);
    const org = await request(app).get(`/fhir/R4/${performer}`).set('Cookie', provider.cookie).expect(200);
    expect((JSON.parse(org.text) as Organization).name).toBe('Regionaal Laboratorium Voorbeeld');
  });

  it('is idempotent on the interchange reference: a repeat is acknowledged again and files nothing', async () => {
    const before = await t.store.counts();
    const again = await post(fixture('medlab', 'results-flags-remarks.edi'));
    expect(again).toMatchObject({ acknowledgement: 'AA', duplicate: true, messages: [{ outcome: 'filed', records: 8 }] });
    const changed = fixture('medlab', 'results-flags-remarks.edi').toString('latin1').replace('+58++mmol/mol', '+61++mmol/mol');
    expect((await post(Buffer.from(changed, 'latin1'))).duplicate).toBe(true);
    expect(await t.store.counts()).toEqual(before);
  });

  it('files an interchange that also arrives through ZorgMail once: the second route is told its results were filed before', async () => {
    const before = await t.store.counts();
    zorgmail = await aSender(app, admin, 'lab', 'ZorgMail');
    const res = await deliver(app, zorgmail, 'lab', fixture('medlab', 'results-flags-remarks.edi')).expect(200);
    const ack = res.body as LabAcknowledgement;
    expect(ack).toMatchObject({ acknowledgement: 'AA', duplicate: false, messages: [{ outcome: 'filed', records: 8 }] });
    expect(ack.messages[0]!.problems).toContainEqual(expect.objectContaining({ severity: 'information', code: 'RECORDS_FILED_BEFORE' }));
    const after = await t.store.counts();
    expect({ ...after, inboundMessages: before.inboundMessages, organizations: before.organizations }).toEqual(before);
  });

  it('files an order sent again in a new interchange once, and replaces a result the lab changed in a later one, keeping the first', async () => {
    /** results-flags-remarks.edi as interchange `ref`, prepared at `at` (YYMMDD:HHMM), with the HbA1c result line `hba1c`. */
    const again = (ref: string, at: string, hba1c = '58++mmol/mol') => Buffer.from(fixture('medlab', 'results-flags-remarks.edi').toString('latin1')
      .replaceAll('IC250314A', ref).replace('250314:1012', at).replace('+58++mmol/mol', `+${hba1c}`), 'latin1');
    const patient = (await patientByBsn('999901011'))!;
    const hba1c = async () => (await fhirSearch<Observation>(app, provider, `Observation?patient=${patient.id}&_count=100`))
      .filter((o) => o.code.coding?.some((c) => c.code === 'HBAC B'));
    const [first] = await hba1c();
    const before = await t.store.counts();
    const unchanged = { ...before, inboundMessages: expect.any(Number) };

    // The same order in a new interchange: its results and report are the same records (the report issued anew is
    // no correction of it).
    const resent = await post(again('IC250315A', '250315:0900'));
    expect(resent).toMatchObject({ acknowledgement: 'AA', duplicate: false, messages: [{ outcome: 'filed' }] });
    expect(resent.messages[0]!.problems.filter((p) => p.code.startsWith('RECORD'))).toEqual([
      expect.objectContaining({ code: 'RECORDS_FILED_BEFORE', message: expect.stringMatching(/^8 of the records were filed before/) }),
    ]);
    expect(await t.store.counts()).toEqual(unchanged);

    // A later interchange with the HbA1c changed (BEP element 4): the result's second version, marked corrected.
    const corrected = await post(again('IC250316A', '250316:0800', '61+1+mmol/mol'));
    expect(corrected.acknowledgement).toBe('AA');
    expect(corrected.messages[0]!.problems).toContainEqual(expect.objectContaining({ code: 'RECORD_CORRECTED', message: expect.stringMatching(/^1 of the records .*: A0001\/HBAC B$/) }));
    expect(await t.store.counts()).toEqual(unchanged);
    const [now] = await hba1c();
    expect(now!.id).toBe(first!.id);
    expect([now!.valueQuantity?.value, now!.status, now!.meta?.versionId]).toEqual([61, 'corrected', '2']);
    expect((await t.store.observations.history(now!.id!)).map((v) => v.record.status)).toEqual(['final', 'corrected']);

    // An earlier interchange arriving late does not undo it.
    const late = await post(again('IC250314X', '250314:1100', '70+1+mmol/mol'));
    expect(late.messages[0]!.problems).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'RECORD_OLDER_NOT_APPLIED', message: expect.stringMatching(/^1 of the records .*: A0001\/HBAC B$/) }));
    expect((await hba1c()).map((o) => [o.valueQuantity?.value, o.meta?.versionId])).toEqual([[61, '2']]);
  });

  it('closes a pending test when the order comes back with its result, and keeps results a partial update leaves out', async () => {
    const patient = (await patientByBsn('999901011'))!;
    const observations = async () => fhirSearch<Observation>(app, provider, `Observation?patient=${patient.id}&_count=100`);
    const report = async () => (await fhirSearch<DiagnosticReport>(app, provider, `DiagnosticReport?patient=${patient.id}`))[0]!;
    const before = await observations();
    const pending = before.find((o) => o.status === 'registered' && o.code.text === 'Vitamine B12')!;
    const crp = before.find((o) => o.code.coding?.some((c) => c.code === 'CRP B'))!;
    const filedReport = await report();
    // The report a day later: Vitamine B12 has its result (the lab writes its name a little differently), and CRP is
    // not sent again: a partial update, which closes the pending test it brings the result of and takes nothing else.
    const complete = fixture('medlab', 'results-flags-remarks.edi').toString('latin1')
      .replaceAll('IC250314A', 'IC250317A').replace('250314:1012', '250317:0800')
      .replace("NUB:1:1+Vitamine B12'\r\nOPU:1:1:1+Uitslag volgt'", "BEP:1:1:6+0+VITAMINE-B12+300++pmol/l+++145+B12 B'")
      .replace(/BEP:1:1:5\+0\+CRP[^']*'\r\n/, '').replace('UNT+24+M0001', 'UNT+22+M0001');
    const ack = await post(Buffer.from(complete, 'latin1'));
    expect(ack.acknowledgement).toBe('AA');
    expect(ack.messages[0]!.problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ severity: 'information', code: 'PENDING_TESTS_CLOSED', message: expect.stringMatching(/^1 of the tests report A0001 had as pending are no longer pending: 1 with a result/) }),
      expect.objectContaining({ severity: 'warning', code: 'RESULTS_LEFT_OUT', message: expect.stringMatching(/: A0001\/CRP B$/) }),
    ]));
    const after = await observations();
    expect(after.find((o) => o.id === pending.id)).toMatchObject({ status: 'entered-in-error', meta: { versionId: '2' } });
    const b12 = after.find((o) => o.code.coding?.some((c) => c.code === 'B12 B'))!;
    expect(b12).toMatchObject({ status: 'final', valueQuantity: { value: 300 } });
    const completed = await report();
    expect(completed.status).toBe('final');
    const expected = [...filedReport.result!.map((r) => r.reference).filter((r) => r !== `Observation/${pending.id}`), `Observation/${b12.id}`];
    expect(completed.result!.map((r) => r.reference).sort()).toEqual(expected.sort());

    // Then the same again without the comment: a partial update takes nothing away from the report.
    const partial = complete.replaceAll('IC250317A', 'IC250318A').replace('250317:0800', '250318:0800')
      .replace(/COM\+[^']*'\r\n/, '').replace('UNT+22+M0001', 'UNT+21+M0001');
    const left = await post(Buffer.from(partial, 'latin1'));
    expect(left.acknowledgement).toBe('AA');
    expect(left.messages[0]!.problems).toContainEqual(expect.objectContaining({
      severity: 'warning', code: 'RESULTS_LEFT_OUT', message: expect.stringMatching(/^1 of the results filed before for report A0001 .*: A0001\/CRP B$/),
    }));
    expect((await observations()).find((o) => o.id === crp.id)).toMatchObject({ status: 'final', meta: { versionId: crp.meta!.versionId } });
    const kept = await report();
    expect(kept.result!.map((r) => r.reference)).toContain(`Observation/${crp.id}`);
    expect([kept.effectiveDateTime, kept.meta!.versionId, kept.conclusion]).toEqual([completed.effectiveDateTime, completed.meta!.versionId, completed.conclusion]);
    expect(kept.conclusion).toMatch(/geautoriseerd/);
  });

  it('holds a patient without BSN in the matching queue; once staff link it the results are filed, and the next message finds the patient by the lab number', async () => {
    const known = await t.store.patients.insert(aPatient({
      identifiers: [{ system: BSN, value: '999970021' }],
      names: [{ use: 'official', family: 'Jansen', partnerFamily: 'Vries', partnerPrefix: 'de', given: ['Anna', 'Maria'], initials: 'A.M.' }],
      birthDate: '1962-07-21', gender: 'female',
    }));
    const before = await t.store.counts();
    const ack = await post(fixture('medlab', 'patient-without-bsn.edi'));
    expect(ack).toMatchObject({ acknowledgement: 'AA', status: 'processed', messages: [{ outcome: 'waiting-for-match', records: 4 }] });
    expect(ack.messages[0]!.problems).toEqual([expect.objectContaining({ severity: 'information', code: 'PATIENT_TO_MATCH' })]);
    expect((await t.store.counts()).observations).toBe(before.observations);

    const queue = await staffCall(request(app).get('/admin/lab-matching'), provider).expect(200);
    const entry = queue.body.entries.find((e: { message: { id: string } }) => e.message.id === ack.inboundMessageId);
    expect(entry).toMatchObject({
      status: 'waiting', refs: ['M0001'], records: 4, reason: expect.stringMatching(/no full birth date/),
      subject: { birthDate: '1962-07', gender: 'female', names: [expect.objectContaining({ family: 'Jansen' })] },
    });
    expect(entry.candidates[0]).toMatchObject({ id: known.id, birthDate: '1962-07-21', reasons: expect.arrayContaining(['family name equal']) });
    const one = await staffCall(request(app).get(`/admin/lab-matching/${entry.id}`), provider).expect(200);
    expect(one.body).toMatchObject({ id: entry.id, subject: entry.subject, candidates: entry.candidates });
    const member = await sessionFor(t.store, { roles: ['member'] });
    await staffCall(request(app).get('/admin/lab-matching'), member).expect(403);
    await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/link`), provider).send({ patientId: '00000000-0000-4000-8000-000000000000' }).expect(404);

    const linked = await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/link`), provider).send({ patientId: known.id }).expect(200);
    expect(linked.body).toMatchObject({ message: { status: 'processed' }, patients: [known.id], filed: { observations: 3, reports: 1 } });
    await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/link`), provider).send({ patientId: known.id }).expect(409);
    await staffCall(request(app).get(`/admin/lab-matching/${entry.id}`), provider).expect(404);
    // Once filed, the names and birth date the message gave are no longer kept beside the patient record.
    expect((await t.store.filing.part(entry.id))!.subject).toBeUndefined();
    expect(await fhirSearch<Observation>(app, provider, `Observation?patient=${known.id}`)).toHaveLength(3);
    expect((await t.store.patients.get(known.id))!.patient.identifiers).toContainEqual(expect.objectContaining({ system: 'urn:crossgate:medlab:500000111:patient', value: 'L0099' }));

    // The next order, measured a week later: new records, found under the patient by the lab number alone.
    const next = fixture('medlab', 'patient-without-bsn.edi').toString('latin1').replace(/IC250602B/g, 'IC250609C').replace('250602:1545', '250609:1545')
      .replace('DET:1+25:06:02', 'DET:1+25:06:09').replace('D0007', 'D0012').replace('+142++', '+138++');
    const second = await post(Buffer.from(next, 'latin1'));
    expect(second).toMatchObject({ acknowledgement: 'AA', messages: [{ outcome: 'filed' }] });
    expect(await fhirSearch<Observation>(app, provider, `Observation?patient=${known.id}`)).toHaveLength(6);

    const trail = (await inboundAudit(t.store)).filter((r) => r.subject?.inboundMessageId === ack.inboundMessageId);
    expect(trail.map((r) => [r.action, r.actor.type, r.patientIds])).toEqual([['receive', 'partner', []], ['match-link', 'user', [known.id]]]);
  });

  it('holds a message whose BSN belongs to a patient of another birth date and sex; staff place it, and only then is the lab number linked', async () => {
    const holder = await t.store.patients.insert(aPatient({
      identifiers: [{ system: BSN, value: '999970057' }], names: [{ family: 'Brouwer', given: ['Johannes'], initials: 'J.' }], birthDate: '1995-08-22', gender: 'male',
    }));
    const edited = fixture('medlab', 'results-flags-remarks.edi').toString('latin1').replace(/IC250314A/g, 'IC250314Z').replaceAll('+A0001+', '+A0101+')
      .replace('PID+1950:02:28+M+::van den Berg::Jan:J.+L0042+BSN999901011', 'PID+1950:02:28+V+::van den Berg::Jan:J.+L0777+BSN999970057');
    const before = await t.store.counts();
    const ack = await post(Buffer.from(edited, 'latin1'));
    expect(ack).toMatchObject({ acknowledgement: 'AA', messages: [{ outcome: 'waiting-for-match' }] });
    expect(ack.messages[0]!.problems.find((p) => p.code === 'PATIENT_TO_MATCH')!.message).toMatch(/birth date and sex contradict the record of the patient holding its BSN/);
    expect((await t.store.counts()).observations).toBe(before.observations);
    const lab = 'urn:crossgate:medlab:500000111:patient';
    expect((await t.store.patients.get(holder.id))!.patient.identifiers.map((i) => i.system)).not.toContain(lab);

    const queue = await staffCall(request(app).get('/admin/lab-matching'), provider).expect(200);
    const entry = queue.body.entries.find((e: { message: { id: string } }) => e.message.id === ack.inboundMessageId);
    expect(entry.candidates.map((c: { id: string }) => c.id)).toContain(holder.id);
    await staffCall(request(app).post(`/admin/lab-matching/${entry.id}/link`), provider).send({ patientId: holder.id }).expect(200);
    expect((await t.store.patients.get(holder.id))!.patient.identifiers).toContainEqual(expect.objectContaining({ system: lab, value: 'L0777' }));

    // A birth date only to the month, or a sex the record does not know, contradicts nothing.
    const vague = await t.store.patients.insert(aPatient({ identifiers: [{ system: BSN, value: '999970069' }], birthDate: '1950-02-28', gender: 'unknown' }));
    const agreeing = edited.replace(/IC250314Z/g, 'IC250314Y').replaceAll('+A0101+', '+A0102+').replace('PID+1950:02:28+V', 'PID+1950:02:00+M').replace('BSN999970057', 'BSN999970069').replace('L0777', 'L0778');
    const filed = await post(Buffer.from(agreeing, 'latin1'));
    expect(filed.messages[0]).toMatchObject({ outcome: 'filed' });
    expect((await t.store.filing.parts(filed.inboundMessageId))[0]!.patientId).toBe(vague.id);
  });

  it('links a patient without BSN by family name, full birth date, sex and initials only when exactly one patient fits', async () => {
    const variant = (ref: string, number: string, initials: string) => Buffer.from(fixture('medlab', 'patient-without-bsn.edi').toString('latin1')
      .replace(/IC250602B/g, ref).replace('PID+1962:07:00+V+Vries:de:Jansen::Anna Maria:A.M.+L0099', `PID+1962:07:21+V+Vries:de:Jansen::Anna Maria:${initials}+${number}`), 'latin1');
    const [known] = (await t.store.patients.findByFamilyKey('jansen', '1962-07-21')).map((r) => r.patient);
    const one = await post(variant('IC250602D', 'L0100', 'A.M.'));
    expect(one.messages[0]).toMatchObject({ outcome: 'filed' });
    expect((await t.store.filing.parts(one.inboundMessageId))[0]!.patientId).toBe(known!.id);

    const otherInitials = await post(variant('IC250602E', 'L0101', 'B.'));
    expect(otherInitials.messages[0]).toMatchObject({ outcome: 'waiting-for-match' });
    expect(otherInitials.messages[0]!.problems[0]!.message).toMatch(/no patient has this name, birth date and sex/);

    await t.store.patients.insert(aPatient({ identifiers: [{ system: BSN, value: '999970045' }], names: [{ family: 'Jansen', given: ['Anna'], initials: 'A.' }], birthDate: '1962-07-21', gender: 'female' }));
    const two = await post(variant('IC250602F', 'L0102', 'A.M.'));
    expect(two.messages[0]).toMatchObject({ outcome: 'waiting-for-match' });
    expect(two.messages[0]!.problems[0]!.message).toMatch(/2 patients have this name, birth date and sex/);
  });

  it('quarantines a message with an invalid BSN and files nothing of it (AR)', async () => {
    const before = await t.store.counts();
    const ack = await post(fixture('medlab', 'invalid-bsn.edi'));
    expect(ack).toMatchObject({ acknowledgement: 'AR', status: 'quarantined', messages: [{ outcome: 'quarantined', records: 0 }] });
    expect(ack.messages[0]!.problems).toContainEqual(expect.objectContaining({ severity: 'error', code: 'INVALID_BSN', segment: 'PID', field: 'PID.5' }));
    expect({ ...(await t.store.counts()), inboundMessages: before.inboundMessages }).toEqual(before);
    expect(await patientByBsn('999900019')).toBeUndefined();
  });

  it('rejects a truncated transfer as a whole (AR), keeping it in quarantine', async () => {
    const ack = await post(fixture('medlab', 'truncated.edi'));
    expect(ack).toMatchObject({ acknowledgement: 'AR', status: 'quarantined', messages: [] });
    expect(codes(ack.problems)).toEqual(expect.arrayContaining(['MISSING_UNT', 'MISSING_UNZ']));
    const listed = await staffCall(request(app).get(`/admin/inbound?status=quarantined&sender=${lab.connectionId}`), admin).expect(200);
    expect(listed.body.messages.map((m: { id: string }) => m.id)).toContain(ack.inboundMessageId);
  });

  it('files the rest of a message when a result has a unit that contradicts its code (AE, the result named)', async () => {
    const ack = await post(fixture('medlab', 'unit-mismatch.edi'));
    expect(ack).toMatchObject({ acknowledgement: 'AE', status: 'processed', messages: [{ outcome: 'filed', records: 2 }] });
    expect(ack.messages[0]!.problems).toContainEqual(expect.objectContaining({ severity: 'error', code: 'UNIT_MISMATCH', field: 'BEP.5' }));
    const patient = (await patientByBsn('999901035'))!;
    const [report] = await fhirSearch<DiagnosticReport>(app, provider, `DiagnosticReport?patient=${patient.id}`);
    expect(report!.status).toBe('partial');
    expect(report!.result).toHaveLength(1);
  });

  it('files the messages of an interchange it can read and quarantines the one it cannot; a replay files nothing twice', async () => {
    const ack = await post(fixture('medlab', 'multiple-messages.edi'));
    expect(ack.acknowledgement).toBe('AE');
    expect(ack.status).toBe('quarantined');
    expect(ack.messages.map((m) => [m.reference, m.outcome])).toEqual([['M0001', 'filed'], ['M0002', 'filed'], ['M0003', 'quarantined']]);
    expect(codes(ack.messages[2]!.problems)).toContain('UNSUPPORTED_MESSAGE_TYPE');
    expect(codes(ack.problems)).toEqual(expect.arrayContaining(['UNT_COUNT_MISMATCH', 'PARTS_QUARANTINED']));
    expect(await patientByBsn('999901047')).toBeDefined();
    expect(await patientByBsn('999901059')).toBeDefined();
    const before = await t.store.counts();
    const replayed = await staffCall(request(app).post(`/admin/inbound/${ack.inboundMessageId}/replay`), admin).expect(200);
    expect(replayed.body.message.status).toBe('quarantined');
    expect(replayed.body.filed).toEqual({ observations: 0, conditions: 0, enrolments: 0, reports: 0 });
    expect(await t.store.counts()).toEqual(before);
  });

  it('reads Latin-1 names and released separators', async () => {
    expect((await post(fixture('medlab', 'latin1-names.edi'))).acknowledgement).toBe('AA');
    const latin = (await patientByBsn('999900079'))!;
    expect(JSON.stringify(latin.name)).toContain('Çelik');
    expect(JSON.stringify(latin.name)).toContain('Müller');
    expect((await post(fixture('medlab', 'escaped-separators.edi'))).acknowledgement).toBe('AA');
    const escaped = (await patientByBsn('999900080'))!;
    expect(JSON.stringify(escaped.name)).toContain('Ancona');
    const [observation] = await fhirSearch<Observation>(app, provider, `Observation?patient=${escaped.id}`);
    expect(observation!.note?.[0]?.text).toBe("Verhouding 1:4 ? berekend; zie 'bijlage'");
  });

  it('refuses other connection kinds, and bodies that hold no message with an AR acknowledgement naming why', async () => {
    const his = await aSender(app, admin, 'his');
    await deliver(app, his, 'lab', fixture('medlab', 'results-flags-remarks.edi')).expect(403);
    const before = await t.store.counts();
    const refusal = (code: string) => ({ acknowledgement: 'AR', status: 'refused', problems: [expect.objectContaining({ severity: 'fatal', code })] });
    expect((await deliver(app, lab, 'lab', '').expect(400)).body).toEqual(refusal('BODY_EMPTY'));
    expect((await deliver(app, lab, 'lab', ' \r\n\t\n').expect(400)).body).toEqual(refusal('BODY_EMPTY'));
    expect((await deliver(app, lab, 'lab', Buffer.from([0xef, 0xbb, 0xbf, 0x20, 0x0a])).expect(400)).body).toEqual(refusal('BODY_EMPTY'));
    // A NUL byte, which PostgreSQL keeps in no text, is quoted in the answer and stored with it all the same.
    const nul = await deliver(app, lab, 'lab', Buffer.from([0x00])).expect(200);
    expect(nul.body).toMatchObject({ acknowledgement: 'AR', status: 'quarantined' });
    const form = await request(app).post('/inbound/lab').set('Authorization', `Bearer ${lab.token}`).type('form').send({ m: 'UNB' }).expect(415);
    expect(form.body).toEqual(refusal('NOT_A_MESSAGE'));
    const huge = await deliver(app, lab, 'lab', `UNB+UNOA:1+${'A'.repeat(10 * 1024 * 1024)}'`).expect(413);
    expect(huge.body).toEqual(refusal('PAYLOAD_TOO_LARGE'));
    expect(huge.headers['x-acknowledgement']).toBe('AR');
    expect(await t.store.counts()).toEqual({ ...before, inboundMessages: before.inboundMessages + 1 });
  });

  it('puts every lab delivery on the audit trail without names or BSNs', async () => {
    const records = (await inboundAudit(t.store)).filter((r) => r.transaction === 'inbound-lab' && r.actor.type === 'partner');
    expect(records.length).toBeGreaterThanOrEqual(9);
    expect(records.every((r) => r.actor.connectionId === lab.connectionId || r.actor.connectionId === zorgmail?.connectionId)).toBe(true);
    const text = JSON.stringify(records);
    for (const secret of ['999901011', 'Jansen', 'Çelik', 'Pietersen']) expect(text).not.toContain(secret);
  });

  it('reports likely duplicate patients for staff (prefixes, diacritics, initials) and merges one into another', async () => {
    const a = await t.store.patients.insert(aPatient({ identifiers: [{ system: BSN, value: '999970033' }], names: [{ family: 'Hoek', familyPrefix: 'van den', given: ['Ine'], initials: 'I.' }], birthDate: '1949-04-04', gender: 'female' }));
    const b = await t.store.patients.insert(aPatient({ identifiers: [], names: [{ family: 'VAN DEN HÖEK', given: [], initials: 'I.' }], birthDate: '1949-04-04', gender: 'female' }));
    const twin = await t.store.patients.insert(aPatient({ identifiers: [], names: [{ family: 'Hoek', familyPrefix: 'van den', given: ['Paul'] }], birthDate: '1949-04-04', gender: 'male' }));
    const report = await staffCall(request(app).get('/admin/patients/duplicates'), provider).expect(200);
    const group = report.body.groups.find((g: { familyKey: string }) => g.familyKey === 'hoek');
    expect(group.pairs).toEqual([expect.objectContaining({ a: [a.id, b.id].sort()[0], b: [a.id, b.id].sort()[1], reasons: expect.arrayContaining(['family name equal', 'birth date equal', 'initials equal']) })]);
    expect(group.patients.map((p: { id: string }) => p.id)).not.toContain(twin.id);

    const observation = { id: '7d9c2f0e-51a4-4c8e-9d51-1f0a6b2c3d4e', patientId: b.id, status: 'final' as const, codings: [{ system: 'urn:test', code: 'x' }], provenance: { source: 'test' } };
    await t.store.observations.insertMany([observation]);
    // The duplicate's own consent choice is the same person's word: the survivor, which had none, takes it.
    await t.store.consent.setChoice(b.id, 0, ['Treatment'], { setBy: 'portal', kind: 'patient' });
    // A partner's request held for review under the duplicate is decided where decisions are made: the survivor.
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Asking Clinic' });
    const held = await t.store.consent.holdRequest({ patientId: b.id, organizationId: org.id, purpose: 'Payment', surface: 'fhir' });
    const merged = await staffCall(request(app).post('/admin/patients/merge'), provider).send({ survivorId: a.id, mergedId: b.id, reason: 'same person: duplicate report' }).expect(200);
    expect(merged.body.moved.records.observations).toEqual([observation.id]);
    // Moved, the record is a new version naming the survivor; the one naming the merged patient is kept.
    expect((await t.store.observations.history(observation.id)).map((v) => [v.stamp.version, v.record.patientId])).toEqual([[1, b.id], [2, a.id]]);
    // Named as the consent API names whoever sets a choice: by the user id.
    expect(merged.body.consentChoice).toMatchObject({ version: 1, purposes: ['Treatment'], setByKind: 'staff', setBy: merged.body.mergedBy.replace(/^user:/, '') });
    expect((await t.store.consent.currentChoice(a.id))?.purposes).toEqual(['Treatment']);
    expect(merged.body.accessRequestsMoved).toBe(1);
    expect((await t.store.consent.listRequests({ status: 'pending', patientId: a.id })).map((r) => r.id)).toEqual([held.id]);
    const [trail] = await t.store.audit.search({ transaction: 'admin-change', patientId: a.id, limit: 1 });
    expect(JSON.parse(trail!.body)).toMatchObject({ action: 'patient-merge', detail: { accessRequestsMoved: 1, consentChoiceVersion: 1 } });
    expect((await t.store.observations.list(a.id)).items.map((o) => o.id)).toEqual([observation.id]);
    const after = await staffCall(request(app).get('/admin/patients/duplicates'), provider).expect(200);
    expect(after.body.groups.find((g: { familyKey: string }) => g.familyKey === 'hoek')).toBeUndefined();
  });
});
