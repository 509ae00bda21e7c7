import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentifierSystems, type AuditRecordContent } from '../canonical/index.js';
import request from 'supertest';
import type { AuditEvent, Bundle } from 'fhir/r4.js';
import { createApp } from '../gateway/http/app.js';
import { merge } from '../identity/index.js';
import { fhirProblems } from './support/fhir-validators.js';
import { sessionFor } from './support/people.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aDocument, anObservation, aPatient } from './support/factories.js';
import { testDeps } from './support/gateway.js';
import { DEFAULTS, issueSigner, samlPki, signedEnvelope } from './support/saml.js';
import {
  adhocQuery, all, findDocumentsBody, first, getDocumentsBody, GET_ALL, GET_SUBMISSION_SET_AND_CONTENTS, mtomPart, PATHS, post, retrieveBody, slot, xcpdBody,
} from './support/ihe.js';

/**
 * The responding gateway end to end through HTTP: a partner discovers a patient (ITI-55), lists their documents
 * (ITI-38) and retrieves them (ITI-39) with signed assertions; consent decides per patient and purpose, every
 * exchange is on the audit trail, and everything refused is answered in the standard's own form.
 */
let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;
let publicUrl: string;
let ours: string;
let repository: string;
const patients: Record<string, string> = {};
let partner: { organizationId: string; connectionId: string };
let lab: ReturnType<typeof aDocument>;

const call = (path: string, body: string, options: Parameters<typeof post>[3] extends infer O ? Omit<O & object, 'publicUrl'> : never = {}) =>
  post(app, path, body, { publicUrl, ...options });

beforeAll(async () => {
  t = await openTestStore();
  deps = { ...testDeps(t.store, { CROSSGATE_IHE_CLIENT_CERT: 'optional' }), trustAnchors: samlPki().trustAnchors };
  await deps.consent.ready();
  app = createApp(deps);
  publicUrl = deps.config.publicUrl;
  ours = deps.config.homeCommunityId;
  repository = deps.config.repositoryUniqueId;
  const org = await t.store.organizations.save({ id: randomUUID(), name: 'Example Hospital', homeCommunityId: DEFAULTS.homeCommunityId });
  const connection = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'carequality', name: 'Example XCA' });
  // No TLS here: the assertion's signing certificate is what names the connection.
  const signer = new X509Certificate(samlPki().signer.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: signer, createdBy: 'test' });
  await t.store.connections.setStatus(connection.id, 'active');
  partner = { organizationId: org.id, connectionId: connection.id };
  await t.store.consent.setDefaults(0, ['Treatment'], 'test');

  const jansen = await t.store.patients.insert(aPatient({ names: [{ use: 'official', family: 'Jansen', given: ['Pieter'], initials: 'P.' }], birthDate: '1961-07-21', gender: 'male' }));
  await t.store.observations.insertMany([anObservation(jansen.id), anObservation(jansen.id, { effective: '2025-09-01T09:00:00+02:00' })]);
  lab = aDocument(jansen.id, 'HbA1c 53 mmol/mol');
  lab.doc.repositoryUniqueId = repository;
  // As an import derives it from the patient's first OID identifier: the BSN, which must not reach a partner.
  lab.doc.sourcePatientId = `${jansen.identifiers[0]!.value}^^^&${IdentifierSystems.bsn.oid}&ISO`;
  await t.store.documents.insert(lab.doc, lab.content);
  // Two who look alike: discovery by name and birth date cannot tell them apart.
  const twinA = await t.store.patients.insert(aPatient({ names: [{ use: 'official', family: 'Smit', given: ['Anna'], initials: 'A.' }], birthDate: '1970-01-01', gender: 'female', addresses: [{ lines: [], postalCode: '3511 AA' }] }));
  const twinB = await t.store.patients.insert(aPatient({ names: [{ use: 'official', family: 'Smit', given: ['Anne'], initials: 'A.' }], birthDate: '1970-01-01', gender: 'female', addresses: [{ lines: [], postalCode: '1011 AB' }] }));
  // Opted out: Patient Request only.
  const private_ = await t.store.patients.insert(aPatient({ names: [{ use: 'official', family: 'Visser', given: ['Els'], initials: 'E.' }], birthDate: '1980-05-05', gender: 'female' }));
  await t.store.consent.setChoice(private_.id, 0, ['Patient Request'], { setBy: 'portal', kind: 'patient' });
  const privateDoc = aDocument(private_.id, 'private');
  privateDoc.doc.repositoryUniqueId = repository;
  await t.store.documents.insert(privateDoc.doc, privateDoc.content);
  Object.assign(patients, { jansen: jansen.id, twinA: twinA.id, twinB: twinB.id, private: private_.id, privateDoc: privateDoc.doc.uniqueId });
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

const cx = (id: string) => `${id}^^^&${ours}&ISO`;
/** The trail's records, newest first, with their content. */
const trail = async () => (await t.store.audit.search({ limit: 1000 })).map((r) => ({ seq: r.seq, content: JSON.parse(r.body) as AuditRecordContent }));

describe(`ITI-55 patient discovery on ${engineUnderTest}`, () => {
  it('answers one confident match with our patient id and home community, relating to the request', async () => {
    const messageId = `urn:uuid:${randomUUID()}`;
    const a = await call(PATHS.xcpd, xcpdBody({ given: 'Pieter', family: 'Jansen', gender: 'M', birthTime: '19610721' }), { messageId });
    expect(a.status).toBe(200);
    expect(a.relatesTo).toBe(messageId);
    expect(a.body.name).toBe('PRPA_IN201306UV02');
    expect(first(a.body, 'acknowledgement')!.children.find((c) => c.name === 'typeCode')!.attributes.code).toBe('AA');
    expect(first(a.body, 'queryResponseCode')!.attributes.code).toBe('OK');
    const patient = first(first(a.body, 'subject1')!, 'patient')!;
    expect(patient.children.find((c) => c.name === 'id')!.attributes).toMatchObject({ root: ours, extension: patients.jansen });
    expect(first(first(a.body, 'custodian')!, 'id')!.attributes.root).toBe(ours);
    // The degree of match, as identity scored the demographics (a confident match is 85 or more).
    const degree = first(first(patient, 'queryMatchObservation')!, 'value')!.attributes;
    expect(degree.type).toBe('INT');
    expect(Number(degree.value)).toBeGreaterThanOrEqual(85);
    expect(Number(degree.value)).toBeLessThanOrEqual(100);
    const bsn = (await t.store.patients.get(patients.jansen!))!.patient.identifiers[0]!.value;
    expect(a.envelope).not.toContain(bsn);
  });

  it('answers NF for nobody, asks for more attributes when two patients fit, and never guesses', async () => {
    const none = await call(PATHS.xcpd, xcpdBody({ given: 'Nemo', family: 'Nobody', gender: 'M', birthTime: '19010101' }));
    expect(first(none.body, 'queryResponseCode')!.attributes.code).toBe('NF');
    expect(all(none.body, 'subject1')).toHaveLength(0);
    const twins = await call(PATHS.xcpd, xcpdBody({ family: 'Smit', birthTime: '19700101' }));
    expect(all(twins.body, 'subject1')).toHaveLength(0);
    const requested = all(twins.body, 'detectedIssueEvent').flatMap((d) => all(d, 'code').map((c) => c.attributes.code));
    expect(requested).toEqual(expect.arrayContaining(['LivingSubjectAdministrativeGenderRequested', 'PatientAddressRequested']));
    // Sent again with the address asked for, it is settled: one of them lives there, the other elsewhere.
    const settled = await call(PATHS.xcpd, xcpdBody({ family: 'Smit', gender: 'F', birthTime: '19700101', postalCode: '3511AA' }));
    expect(first(settled.body, 'queryResponseCode')!.attributes.code).toBe('OK');
    expect(all(settled.body, 'subject1')).toHaveLength(1);
    expect(settled.envelope).toContain(patients.twinA!);
  });

  it("answers NF to a query whose identifier names a patient of another birth date and sex, disclosing nothing of them", async () => {
    const jansen = (await t.store.patients.get(patients.jansen!))!.patient;
    const mrn = { system: 'urn:oid:2.16.840.1.113883.19.5.99999.2', value: 'MRN-100234' };
    await t.store.patients.linkIdentifier(jansen.id, mrn, 'test');
    const ids = [{ root: '2.16.840.1.113883.19.5.99999.2', extension: 'MRN-100234' }];
    const confirmed = await call(PATHS.xcpd, xcpdBody({ ids, gender: 'M', birthTime: '19610721' }));
    expect(first(confirmed.body, 'queryResponseCode')!.attributes.code).toBe('OK');
    const contradicted = await call(PATHS.xcpd, xcpdBody({ given: 'Bob', family: 'Smith', ids, gender: 'F', birthTime: '19990101' }));
    expect(first(contradicted.body, 'queryResponseCode')!.attributes.code).toBe('NF');
    expect(all(contradicted.body, 'subject1')).toHaveLength(0);
    expect(contradicted.envelope).not.toContain('Jansen');
  });

  it('answers a patient whose consent does not permit the purpose exactly as one it does not hold, and audits the denial', async () => {
    const denied = await call(PATHS.xcpd, xcpdBody({ given: 'Els', family: 'Visser', gender: 'F', birthTime: '19800505' }));
    expect(first(denied.body, 'queryResponseCode')!.attributes.code).toBe('NF');
    const record = (await trail()).find((r) => r.content.transaction === 'ITI-55' && r.content.patientIds.includes(patients.private!));
    expect(record?.content).toMatchObject({ outcome: 'denied', decision: { result: 'deny' }, purpose: { matched: 'Treatment' }, actor: { type: 'partner', name: DEFAULTS.subjectId } });
    expect(Buffer.from(record!.content.query!, 'base64').toString()).toContain('PRPA_IN201305UV02');
    expect(Buffer.from(record!.content.query!, 'base64').toString()).not.toContain('Assertion');
  });
});

describe(`ITI-55 refusals on ${engineUnderTest}`, () => {
  it('answers a query it cannot read with an HL7v3 application error naming each problem, on the trail as refused', async () => {
    const body = xcpdBody({ given: 'Pieter', family: 'Jansen', gender: 'M', birthTime: '19610721' }).replace('<queryByParameter>', '<notTheQuery>').replace('</queryByParameter>', '</notTheQuery>');
    const a = await call(PATHS.xcpd, body);
    expect(a.status).toBe(200);
    expect(a.body.name).toBe('PRPA_IN201306UV02');
    expect(first(first(a.body, 'acknowledgement')!, 'typeCode')!.attributes.code).toBe('AE');
    expect(all(a.body, 'acknowledgementDetail').map((d) => first(d, 'text')!.text).join(' ')).toMatch(/QUERY_MISSING/);
    expect(first(a.body, 'queryResponseCode')!.attributes.code).toBe('AE');
    const refused = (await trail()).find((r) => r.content.transaction === 'ITI-55' && r.content.outcome === 'failure');
    expect(refused?.content.decision?.reason).toMatch(/QUERY_MISSING/);
  });
});

describe(`ITI-38 query on ${engineUnderTest}`, () => {
  it('lists the stored documents and the current CCD summary of a permitted patient, each with home', async () => {
    const a = await call(PATHS.query, findDocumentsBody(cx(patients.jansen!)));
    expect(first(a.body, 'AdhocQueryResponse') ?? a.body).toBeDefined();
    expect(a.body.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success');
    const entries = all(a.body, 'ExtrinsicObject');
    expect(entries).toHaveLength(2);
    for (const e of entries) expect(e.attributes.home).toBe(`urn:oid:${ours}`);
    const uniqueIds = entries.map((e) => all(e, 'ExternalIdentifier').find((x) => x.attributes.identificationScheme === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab')!.attributes.value);
    expect(uniqueIds).toContain(lab.doc.uniqueId);
    const summary = entries.find((e) => all(e, 'Classification').some((c) => c.attributes.nodeRepresentation === 'urn:hl7-org:sdwg:ccda-structuredBody:2.1'));
    expect(summary).toBeDefined();
    // The BSN the lab document was stored with is given as our patient id; the summary names the patient by it too.
    const bsn = (await t.store.patients.get(patients.jansen!))!.patient.identifiers[0]!.value;
    expect(a.envelope).not.toContain(bsn);
    const sourcePatientIds = entries.map((e) => all(e, 'Slot').find((x) => x.attributes.name === 'sourcePatientId'));
    for (const slot of sourcePatientIds) if (slot) expect(all(slot, 'Value').map((v) => v.text)).toEqual([cx(patients.jansen!)]);
    expect(sourcePatientIds.some((slot) => slot !== undefined)).toBe(true);
    // The same query again names the same summary: it is made once per change of the record.
    const again = await call(PATHS.query, findDocumentsBody(cx(patients.jansen!)));
    expect(all(again.body, 'ExtrinsicObject').map((e) => e.attributes.id).sort()).toEqual(entries.map((e) => e.attributes.id).sort());
  });

  it("answers a merged patient's id for the record it was merged into", async () => {
    const survivor = await t.store.patients.insert(aPatient());
    const duplicate = await t.store.patients.insert(aPatient());
    const stored = aDocument(survivor.id, 'letter');
    stored.doc.repositoryUniqueId = repository;
    await t.store.documents.insert(stored.doc, stored.content);
    await merge(t.store, survivor.id, duplicate.id, { mergedBy: 'test', reason: 'duplicate' });
    const a = await call(PATHS.query, findDocumentsBody(cx(duplicate.id)));
    const entries = all(a.body, 'ExtrinsicObject');
    const scheme = (id: string) => entries.map((e) => all(e, 'ExternalIdentifier').find((x) => x.attributes.identificationScheme === id)!.attributes.value);
    expect(scheme('urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab')).toContain(stored.doc.uniqueId);
    // Entries carry the patient id as the query gave it, as for a query by a partner's own identifier.
    expect(new Set(scheme('urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427'))).toEqual(new Set([cx(duplicate.id)]));
  });

  it('replaces the summary when the record changes: the next query lists the new one only, the old one deprecated', async () => {
    const p = await t.store.patients.insert(aPatient());
    await t.store.observations.insertMany([anObservation(p.id)]);
    const listed = async () => all((await call(PATHS.query, findDocumentsBody(cx(p.id)))).body, 'ExtrinsicObject').map((e) => e.attributes.id);
    const before = await listed();
    expect(before).toHaveLength(1);
    expect(await listed()).toEqual(before);
    await t.store.observations.insertMany([anObservation(p.id, { effective: '2025-10-01T09:00:00+02:00' })]);
    const after = await listed();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    const old = await t.store.documents.getByEntryUuid(before[0]!);
    expect(old?.availabilityStatus).toBe('deprecated');
  });

  it('answers ObjectRef, GetDocuments by uniqueId, GetSubmissionSetAndContents and GetAll', async () => {
    const refs = await call(PATHS.query, findDocumentsBody(cx(patients.jansen!), [], { returnType: 'ObjectRef' }));
    expect(all(refs.body, 'ObjectRef').map((r) => r.attributes.home)).toEqual([`urn:oid:${ours}`, `urn:oid:${ours}`]);
    const byId = await call(PATHS.query, getDocumentsBody([lab.doc.uniqueId], `urn:oid:${ours}`));
    expect(all(byId.body, 'ExtrinsicObject').map((e) => e.attributes.id)).toEqual([lab.doc.entryUuid]);
    const set = (await t.store.documents.owners([lab.doc.uniqueId])).value[0]!.submissionSet;
    const contents = await call(PATHS.query, adhocQuery(GET_SUBMISSION_SET_AND_CONTENTS, [slot('$XDSSubmissionSetUniqueId', `'${set.uniqueId}'`)], { home: `urn:oid:${ours}` }));
    expect(all(contents.body, 'RegistryPackage').map((p) => p.attributes.id)).toEqual([set.entryUuid]);
    expect(all(contents.body, 'ExtrinsicObject').map((e) => e.attributes.id)).toEqual([lab.doc.entryUuid]);
    expect(all(contents.body, 'Association').map((x) => [x.attributes.sourceObject, x.attributes.targetObject])).toEqual([[set.entryUuid, lab.doc.entryUuid]]);
    const everything = await call(PATHS.query, adhocQuery(GET_ALL, [
      slot('$patientId', `'${cx(patients.jansen!)}'`), slot('$XDSDocumentEntryStatus', "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"),
      slot('$XDSSubmissionSetStatus', "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"), slot('$XDSFolderStatus', "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"),
    ]));
    expect(all(everything.body, 'ExtrinsicObject')).toHaveLength(2);
    expect(all(everything.body, 'RegistryPackage')).toHaveLength(2);
    expect(all(everything.body, 'Association')).toHaveLength(2);
  });

  it('gives the same empty Success for a patient it does not hold and for one whose consent denies', async () => {
    for (const patient of [randomUUID(), patients.private!]) {
      const a = await call(PATHS.query, findDocumentsBody(cx(patient)));
      expect(a.body.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success');
      expect(all(a.body, 'ExtrinsicObject')).toHaveLength(0);
      expect(all(a.body, 'RegistryError')).toHaveLength(0);
    }
    const byId = await call(PATHS.query, getDocumentsBody([patients.privateDoc!], `urn:oid:${ours}`));
    expect(all(byId.body, 'ExtrinsicObject')).toHaveLength(0);
  });

  it.each([
    ['an unknown stored query', 'XDSUnknownStoredQuery', adhocQuery('urn:uuid:00000000-0000-4000-8000-000000000000', [])],
    ['a missing patient id', 'XDSStoredQueryMissingParam', adhocQuery('urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d', [slot('$XDSDocumentEntryStatus', "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')")])],
    ['a Get query without home', 'XDSMissingHomeCommunityId', getDocumentsBody(['1.2.3'])],
    ['another community', 'XDSUnknownCommunity', getDocumentsBody(['1.2.3'], 'urn:oid:1.2.3.4.5')],
  ])('answers %s with Failure and %s', async (_, code, body) => {
    const a = await call(PATHS.query, body);
    expect(a.status).toBe(200);
    expect(a.body.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure');
    expect(all(a.body, 'RegistryError').map((e) => e.attributes.errorCode)).toContain(code);
  });
});

describe(`ITI-39 retrieve on ${engineUnderTest}`, () => {
  it('returns documents as MTOM parts whose bytes match the metadata a query gave, and per-document errors', async () => {
    const listed = await call(PATHS.query, findDocumentsBody(cx(patients.jansen!)));
    const summary = all(listed.body, 'ExtrinsicObject').find((e) => e.attributes.mimeType === 'text/xml')!;
    const slotValue = (name: string) => all(summary, 'Slot').find((s) => s.attributes.name === name)!.children[0]!.children[0]!.text;
    const summaryId = all(summary, 'ExternalIdentifier').find((x) => x.attributes.identificationScheme === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab')!.attributes.value!;

    const a = await call(PATHS.retrieve, retrieveBody([
      { home: `urn:oid:${ours}`, repository, uniqueId: summaryId },
      { home: `urn:oid:${ours}`, repository, uniqueId: lab.doc.uniqueId },
      { home: `urn:oid:${ours}`, repository, uniqueId: '1.2.3.4.404' },
      { home: 'urn:oid:1.2.3.4.5', repository, uniqueId: lab.doc.uniqueId },
      { home: `urn:oid:${ours}`, repository: '1.2.3.4.6', uniqueId: lab.doc.uniqueId },
      { home: `urn:oid:${ours}`, repository, uniqueId: patients.privateDoc! },
    ]), { mtom: true });
    expect(a.contentType).toMatch(/^multipart\/related/);
    expect(first(a.body, 'RegistryResponse')!.attributes.status).toBe('urn:ihe:iti:2007:ResponseStatusType:PartialSuccess');
    expect(all(a.body, 'RegistryError').map((e) => [e.attributes.errorCode, e.attributes.codeContext])).toEqual([
      ['XDSUnknownCommunity', `unknown home community 1.2.3.4.5 (document ${lab.doc.uniqueId})`], ['XDSUnknownRepositoryId', expect.any(String)],
      ['XDSDocumentUniqueIdError', '1.2.3.4.404'], ['XDSDocumentUniqueIdError', patients.privateDoc],
    ]);
    const responses = all(a.body, 'DocumentResponse');
    expect(responses.map((r) => first(r, 'DocumentUniqueId')!.text)).toEqual([summaryId, lab.doc.uniqueId]);
    const bytes = responses.map((r) => mtomPart(a, first(r, 'Include')!.attributes.href!.replace(/^cid:/, ''))!);
    expect(createHash('sha1').update(bytes[0]!).digest('hex')).toBe(slotValue('hash'));
    expect(String(bytes[0]!.byteLength)).toBe(slotValue('size'));
    expect(bytes[0]!.toString('utf8')).toContain('<ClinicalDocument');
    expect(bytes[1]!.equals(Buffer.from(lab.content))).toBe(true);
    // The trail says what left and, of what was asked for, what did not and why.
    const record = (await trail()).find((r) => r.content.transaction === 'ITI-39' && r.content.patientIds[0] === patients.jansen)!.content;
    expect(record.returned).toEqual(expect.arrayContaining([`Binary/${lab.doc.id}`]));
    expect(record.detail?.notReturned).toEqual([
      `XDSUnknownCommunity: unknown home community 1.2.3.4.5 (document ${lab.doc.uniqueId})`, expect.stringMatching(/^XDSUnknownRepositoryId: /),
      'XDSDocumentUniqueIdError: 1.2.3.4.404', `XDSDocumentUniqueIdError: ${patients.privateDoc}`,
    ]);
    expect(record.detail?.retrieved).toEqual([summaryId, lab.doc.uniqueId]);
    expect(record.outcome).toBe('success');
  });

  it('puts a retrieve that returned nothing on the trail as failed', async () => {
    const a = await call(PATHS.retrieve, retrieveBody([{ home: `urn:oid:${ours}`, repository, uniqueId: '1.2.3.4.405' }]));
    expect(first(a.body, 'RegistryResponse')!.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure');
    const record = (await trail()).find((r) => r.content.transaction === 'ITI-39' && String(r.content.detail?.notReturned).includes('XDSDocumentUniqueIdError: 1.2.3.4.405'))!.content;
    expect(record.outcome).toBe('failure');
    expect(record.detail?.retrieved).toBeUndefined();
  });

  it('answers a plain SOAP request inline', async () => {
    const a = await call(PATHS.retrieve, retrieveBody([{ home: `urn:oid:${ours}`, repository, uniqueId: lab.doc.uniqueId }]));
    expect(a.contentType).toMatch(/^application\/soap\+xml/);
    expect(Buffer.from(first(a.body, 'Document')!.text, 'base64').equals(Buffer.from(lab.content))).toBe(true);
  });

  it('refuses a request without HomeCommunityId as a whole', async () => {
    const a = await call(PATHS.retrieve, retrieveBody([{ home: '', repository, uniqueId: lab.doc.uniqueId }]));
    expect(first(a.body, 'RegistryResponse')!.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure');
    expect(all(a.body, 'RegistryError').map((e) => e.attributes.errorCode)).toEqual(['XDSMissingHomeCommunityId']);
    expect(all(a.body, 'DocumentResponse')).toHaveLength(0);
  });
});

describe(`the audit trail of IHE exchanges on ${engineUnderTest}`, () => {
  it('exports the exchanges as BALP AuditEvents (ITI-55 and ITI-38 queries, ITI-39 exports) that both validators accept', async () => {
    const admin = await sessionFor(t.store, { roles: ['compliance'] });
    const res = await request(app).get(`/audit/export.fhir?from=${encodeURIComponent('2000-01-01T00:00:00Z')}`).set('Cookie', admin.cookie).expect(200);
    const bundle = res.body as Bundle;
    const events = (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
    const subtypes = new Set(events.flatMap((e) => (e.subtype ?? []).map((c) => c.code)));
    expect([...subtypes]).toEqual(expect.arrayContaining(['ITI-55', 'ITI-38', 'ITI-39']));
    const iheEvents = events.filter((e) => (e.subtype ?? []).some((c) => /^ITI-/.test(c.code ?? '')));
    expect(iheEvents.flatMap((e) => fhirProblems(e))).toEqual([]);
    const retrieve = iheEvents.find((e) => e.subtype?.some((c) => c.code === 'ITI-39') && e.outcome === '0');
    expect(retrieve?.type.code).toBe('110106');
    // The documents as the partner knows them, and its MessageID, so both sides' logs can be matched.
    const reports = iheEvents.filter((e) => e.subtype?.some((c) => c.code === 'ITI-39')).flatMap((e) => (e.entity ?? []).filter((x) => x.role?.code === '3'));
    expect(reports.map((x) => x.what?.identifier?.value)).toContain(lab.doc.uniqueId);
    for (const e of iheEvents) expect(e.entity?.some((x) => x.what?.identifier?.type?.text === 'wsa:MessageID' && /^urn:uuid:/.test(x.what.identifier.value ?? ''))).toBe(true);
  });
});

describe(`security on the IHE endpoints on ${engineUnderTest}`, () => {
  const fault = (a: Awaited<ReturnType<typeof call>>) => ({
    status: a.status, name: a.body.name,
    code: first(a.body, 'Code')?.children[0]?.text, subcode: first(first(a.body, 'Code') ?? a.body, 'Subcode')?.children[0]?.text,
    reason: first(a.body, 'Text')?.text,
  });
  const find = () => findDocumentsBody(cx(patients.jansen!));

  it.each([
    ['an expired assertion', { notOnOrAfter: new Date(Date.now() - 600_000), notBefore: new Date(Date.now() - 900_000) }, 'wsse:'],
    ['a wrong audience', { audience: 'https://elsewhere.example/ihe' }, 'wsse:'],
    ['an assertion without purpose', { purposes: null }, 'wsse:'],
    ['an unknown home community', { homeCommunityId: 'urn:oid:1.2.3.4.99' }, 'wsse:FailedAuthentication'],
  ])('refuses %s with a SOAP fault and no data', async (_, options, subcode) => {
    const a = await call(PATHS.query, find(), options);
    const f = fault(a);
    expect(f).toMatchObject({ status: 400, name: 'Fault', code: 'env:Sender' });
    expect(f.subcode).toContain(subcode);
    expect(a.envelope).not.toContain('ExtrinsicObject');
  });

  it('refuses a replayed MessageID, and records security failures on the trail', async () => {
    const envelope = signedEnvelope({ action: 'urn:ihe:iti:2007:CrossGatewayQuery', audience: `${publicUrl}${PATHS.query}`, body: find() });
    expect((await call(PATHS.query, '', { envelope })).body.name).toBe('AdhocQueryResponse');
    const replay = fault(await call(PATHS.query, '', { envelope }));
    expect(replay).toMatchObject({ status: 400, subcode: 'wsse:InvalidSecurity' });
    expect(replay.reason).toMatch(/MessageID was used before/);
    const countBefore = (await t.store.connections.get(partner.connectionId))!.failedAuthCount;
    const refusal = (await trail()).find((r) => r.content.action === 'partner-auth-failed' && /MessageID was used before/.test(String(r.content.detail?.reason)))!;
    // The assertion verified under the connection's registered signer: the refusal is on that partner's record.
    expect(refusal.content.actor).toMatchObject({ type: 'partner', ...partner });
    expect(refusal.content.detail?.messageId).toMatch(/^urn:uuid:/);
    const byOrganization = await t.store.audit.search({ organizationId: partner.organizationId, limit: 1000 });
    expect(byOrganization.map((r) => r.seq)).toContain(refusal.seq);
    expect(countBefore).toBeGreaterThan(0);
    // The answered query's records carry the partner's MessageID too.
    const answered = (await trail()).find((r) => r.content.transaction === 'ITI-38' && r.content.detail?.messageId !== undefined);
    expect(answered).toBeDefined();
    // And who the assertion says asked, for whom: a network's one connection serves many member organizations.
    expect(answered!.content.detail).toMatchObject({
      assertionId: expect.stringMatching(/^_/), assertionIssuer: DEFAULTS.issuer, subjectNameId: DEFAULTS.nameId,
      onBehalfOf: DEFAULTS.organization, onBehalfOfId: DEFAULTS.organizationId, homeCommunityId: DEFAULTS.homeCommunityId, npi: DEFAULTS.npi,
    });
  });

  it('answers exactly one of several copies of a message sent at once (their MessageIDs are checked in one batch)', async () => {
    const envelope = signedEnvelope({ action: 'urn:ihe:iti:2007:CrossGatewayQuery', audience: `${publicUrl}${PATHS.query}`, body: find() });
    const answers = await Promise.all(Array.from({ length: 4 }, () => call(PATHS.query, '', { envelope })));
    expect(answers.filter((a) => a.body.name === 'AdhocQueryResponse')).toHaveLength(1);
    for (const refused of answers.filter((a) => a.body.name !== 'AdhocQueryResponse')) {
      expect(fault(refused)).toMatchObject({ status: 400, subcode: 'wsse:InvalidSecurity', reason: expect.stringMatching(/MessageID was used before/) });
    }
  });

  it('refuses a wrong Action, SOAP 1.1, malformed XML and a DTD before anything else', async () => {
    expect(fault(await call(PATHS.query, find(), { action: 'urn:ihe:iti:2007:CrossGatewayRetrieve' }))).toMatchObject({ subcode: 'wsa:ActionNotSupported' });
    const soap11 = signedEnvelope({ body: find() }).replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/');
    // Answered as SOAP 1.1 understands it, with the Upgrade header naming the envelope taken (SOAP 1.2 Part 1 §5.4.7).
    const mismatch = await call(PATHS.query, '', { envelope: soap11 });
    expect(mismatch).toMatchObject({ status: 500, contentType: expect.stringMatching(/^text\/xml/) });
    expect(first(mismatch.body, 'faultcode')!.text).toBe('env:VersionMismatch');
    expect(mismatch.envelope).toContain('<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">');
    expect(mismatch.envelope).toMatch(/<upg:Upgrade xmlns:upg="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope"><upg:SupportedEnvelope qname="ns1:Envelope" xmlns:ns1="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope"\/><\/upg:Upgrade>/);
    const cut = fault(await call(PATHS.query, '', { envelope: '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">\n<soap:Body>' }));
    expect(cut).toMatchObject({ status: 400, code: 'env:Sender' });
    expect(cut.reason).toBe('the envelope was refused: the message is not well-formed XML: it ends at line 2, column 11 with <soap:Body>, <soap:Envelope> not closed; was it cut off?');
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${signedEnvelope({ body: find() }).replace(/^<\?xml[^>]*>/, '')}`;
    const refused = fault(await call(PATHS.query, '', { envelope: xxe }));
    expect(refused).toMatchObject({ status: 400, code: 'env:Sender' });
    expect(refused.reason).toMatch(/DOCTYPE/);
    const large = signedEnvelope({ body: find() }).replace('</soap:Body>', `<x>${'a'.repeat(2 * 1024 * 1024)}</x></soap:Body>`);
    const tooLarge = fault(await call(PATHS.query, '', { envelope: large }));
    expect(tooLarge).toMatchObject({ status: 413, code: 'env:Sender' });
    expect(tooLarge.reason).toMatch(/larger than the limit of 2097152 bytes/);
    // A body some other parser reads (JSON here) is no SOAP message: refused, not waited for.
    const json = await request(app).post(PATHS.query).set('Content-Type', 'application/json').send({ a: 1 });
    expect(json.status).toBe(415);
    expect(json.text).toMatch(/Fault/);
    // The connection and the endpoint still answer after the refusal.
    expect((await call(PATHS.query, find())).body.name).toBe('AdhocQueryResponse');
  });

  it('refuses every request without a client certificate when one is required', async () => {
    const strict = createApp({ ...deps, config: { ...deps.config, ihe: { ...deps.config.ihe, clientCertificate: 'required' } } });
    const a = await post(strict, PATHS.query, find(), { publicUrl });
    expect(fault(a)).toMatchObject({ status: 400, subcode: 'wsse:InvalidSecurity' });
  });

  it('refuses, without a client certificate, an assertion signed by a trusted certificate no connection of its community holds', async () => {
    const stranger = issueSigner();
    const f = fault(await call(PATHS.query, find(), { signer: stranger }));
    expect(f).toMatchObject({ status: 400, subcode: 'wsse:FailedAuthentication' });
    expect(f.reason).toMatch(/signing certificate is not registered/);
  });

  it('refuses a suspended connection', async () => {
    const [connection] = await t.store.connections.list({ kind: 'carequality' });
    await t.store.connections.setStatus(connection!.id, 'suspended');
    try {
      expect(fault(await call(PATHS.query, find()))).toMatchObject({ status: 400, subcode: 'wsse:FailedAuthentication' });
    } finally {
      await t.store.connections.setStatus(connection!.id, 'active');
    }
  });
});
