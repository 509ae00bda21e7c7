import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { Binary, Bundle, BundleEntry, DocumentReference, Patient as FhirPatient, Resource } from 'fhir/r4.js';
import { Document, Patient, type Issue } from '../../../canonical/index.js';
import { fhirProblems } from '../../../test/support/fhir-validators.js';
import { renderBinary, renderDocumentReference, renderPatient, type RenderContext } from '../index.js';
import { parseImportBundle } from './index.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/ihe/import');
const read = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));
const testSet = read('partner-test-set.json') as Bundle;
const errorsOf = (issues: readonly Issue[]) => issues.filter((i) => i.severity === 'error').map((i) => ({ path: i.where?.path, message: i.message }));
const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

const BSN = 'http://fhir.nl/fhir/NamingSystem/bsn';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const FORMAT = 'urn:oid:1.3.6.1.4.1.19376.1.2.3';

/** A minimal collection: one patient, one document with its Binary, each part replaceable. */
function collection(overrides: { patient?: object; document?: object; binary?: object; extra?: BundleEntry[] } = {}): Bundle {
  const bytes = Buffer.from('Visit note (synthetic)\n', 'utf8');
  const patient: FhirPatient = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.999.1.3', value: 'P-1' }], name: [{ family: 'Doe', given: ['Jo'] }], ...overrides.patient };
  const document: DocumentReference = {
    resourceType: 'DocumentReference',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.999.7.1' },
    status: 'current',
    type: { coding: [{ system: LOINC, code: '11506-3' }] },
    category: [{ coding: [{ system: LOINC, code: '11506-3' }] }],
    subject: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000a1' },
    securityLabel: [{ coding: [{ system: CONFIDENTIALITY, code: 'N' }] }],
    content: [{
      attachment: { contentType: 'text/plain', language: 'en-US', url: 'urn:uuid:00000000-0000-4000-8000-0000000000b1', creation: '2024-05-01T09:00:00Z' },
      format: { system: FORMAT, code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' },
    }],
    context: { facilityType: { coding: [{ system: SCT, code: '35971002' }] }, practiceSetting: { coding: [{ system: SCT, code: '394802001' }] } },
    ...overrides.document,
  };
  const binary: Binary = { resourceType: 'Binary', contentType: 'text/plain', data: bytes.toString('base64'), ...overrides.binary };
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000a1', resource: patient },
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000c1', resource: document },
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000b1', resource: binary },
      ...(overrides.extra ?? []),
    ],
  };
}

describe('the partner test set fixture', () => {
  it('is valid FHIR R4 by both independent validators, every entry', () => {
    const problems = (testSet.entry ?? []).flatMap((e, i) => fhirProblems(e.resource as Resource).map((p) => `entry[${i}]: ${p}`));
    expect(fhirProblems(testSet)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('reads as 3 patients and 4 documents with their bytes, without any issue', () => {
    const parsed = parseImportBundle(testSet);
    expect(parsed.issues).toEqual([]);
    expect(parsed.patients.map((p) => p.path)).toEqual(['Bundle.entry[0].resource', 'Bundle.entry[1].resource', 'Bundle.entry[2].resource']);
    expect(parsed.documents.map((d) => [d.path, d.content.path])).toEqual([
      ['Bundle.entry[3].resource', 'Bundle.entry[4].resource'],
      ['Bundle.entry[5].resource', 'Bundle.entry[6].resource'],
      ['Bundle.entry[7].resource', 'Bundle.entry[8].resource'],
      ['Bundle.entry[9].resource', 'Bundle.entry[9].resource.content[0].attachment.data'],
    ]);
    expect(parsed.binaries).toHaveLength(3);
    for (const d of parsed.documents) {
      expect(d.input.hash).toBe(sha1(d.content.bytes));
      expect(d.input.size).toBe(d.content.bytes.byteLength);
    }
  });

  it('keeps the Dutch patient with the BSN and the name parts, and the US patients with their MRN authorities', () => {
    const [alice, marcus, anna] = parseImportBundle(testSet).patients.map((p) => p.patient);
    expect(anna).toMatchObject({
      identifiers: [{ system: BSN, value: '999981213', use: 'official' }],
      names: [{ use: 'official', family: 'Vries', familyPrefix: 'de', given: ['Anna', 'Sophia'] }],
      addresses: [{ use: 'home', lines: ['Oudegracht 231'], street: 'Oudegracht', houseNumber: '231', city: 'Utrecht', postalCode: '3511NK', country: 'NL' }],
      telecom: [{ system: 'email', value: 'anna.devries@example.nl', use: 'home' }],
      gender: 'female',
      birthDate: '1984-03-12',
    });
    expect(alice!.identifiers).toEqual([{ system: 'urn:oid:2.16.840.1.113883.19.5.99999.2', value: 'MRN-100234', use: 'usual', assignerName: 'Good Health Clinic' }]);
    expect(marcus!.identifiers[0]).toMatchObject({ system: 'urn:oid:2.16.840.1.113883.19.5.99999.3', value: '449271' });
  });

  it('maps the C-CDA entry with its authors, authenticator and source patient as XDS strings', () => {
    const ccda = parseImportBundle(testSet).documents[0]!;
    expect(ccda.subject).toEqual({ patient: 0 });
    expect(ccda.input).toMatchObject({
      uniqueId: '2.16.840.1.113883.19.5.99999.10.1',
      entryUuid: 'urn:uuid:5f0e3a1c-7b2d-4e6f-9a8b-1c2d3e4f5a61',
      availabilityStatus: 'approved',
      title: 'Continuity of Care Document',
      comments: 'Continuity of care document after the pneumonia admission',
      typeCode: { system: LOINC, code: '34133-9', display: 'Summarization of episode note' },
      classCode: { system: LOINC, code: '34133-9' },
      formatCode: { system: FORMAT, code: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1' },
      confidentialityCodes: [{ system: CONFIDENTIALITY, code: 'N', display: 'normal' }],
      healthcareFacilityTypeCode: { system: SCT, code: '22232009' },
      practiceSettingCode: { system: SCT, code: '394802001' },
      eventCodes: [],
      languageCode: 'en-US',
      mimeType: 'text/xml',
      creationTime: '2024-02-03T16:20:00-05:00',
      serviceStartTime: '2024-02-01',
      serviceStopTime: '2024-02-03',
      authors: [{
        person: '1234567893^Seven^Henry^^^Dr.^^^&2.16.840.1.113883.4.6&ISO',
        institutions: ['Good Health Clinic^^^^^^^^^2.16.840.1.113883.19.5'],
        roles: ['309343006^^^&2.16.840.1.113883.6.96&ISO'],
        specialties: ['207R00000X^^^&2.16.840.1.113883.6.101&ISO'],
        telecom: ['^^Internet^h.seven@goodhealth.example.org'],
      }],
      legalAuthenticator: '1234567893^Seven^Henry^^^Dr.^^^&2.16.840.1.113883.4.6&ISO',
      sourcePatientId: 'MRN-100234^^^&2.16.840.1.113883.19.5.99999.2&ISO',
      provenance: { source: 'fhir-import' },
    });
  });

  it('maps the PDF (uniqueId with an extension, a display-only author, an event code) and the inline lab report', () => {
    const [, pdf, note, lab] = parseImportBundle(testSet).documents;
    expect(pdf!.subject).toEqual({ patient: 1 });
    expect(pdf!.input).toMatchObject({
      uniqueId: '2.16.840.1.113883.19.5.99999.11^DS-2024-0117',
      mimeType: 'application/pdf',
      confidentialityCodes: [{ system: CONFIDENTIALITY, code: 'R' }],
      eventCodes: [{ system: SCT, code: '22298006', display: 'Myocardial infarction' }],
      authors: [{ person: '^Dr. Priya Raman' }, { institutions: ['Mercy Test Hospital^^^^^&2.16.840.1.113883.19.5.99999&ISO^^^^3'] }],
      sourcePatientId: '449271^^^&2.16.840.1.113883.19.5.99999.3&ISO',
    });
    expect(Buffer.from(pdf!.content.bytes).subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(note!.input.authors).toEqual([{
      person: '01999998^Linden^Marit^^^^^^&2.16.840.1.113883.2.4.6.1&ISO',
      institutions: ['Huisartsenpraktijk De Linde^^^^^&2.16.528.1.1007.3.3&ISO^^^^90000001'],
      roles: ['62247001^^^&2.16.840.1.113883.6.96&ISO'],
      specialties: [],
      telecom: [],
    }]);
    expect(note!.input.sourcePatientId).toBe('999981213^^^&2.16.840.1.113883.2.4.6.3&ISO');
    // Subject by BSN, held by a patient of the bundle; no entryUUID given, so one is derived from the uniqueId
    // (Python's uuid.uuid5(uuid.NAMESPACE_OID, '2.16.840.1.113883.19.5.99999.10.4') gives the same).
    expect(lab!.subject).toEqual({ patient: 2 });
    expect(lab!.input).toMatchObject({ entryUuid: 'urn:uuid:d26725dc-eccb-5a6e-8acd-f992c3902db3', authors: [{ institutions: ['Saltro Diagnostisch Centrum (test)'] }] });
    expect(lab!.input.serviceStopTime).toBeUndefined();
  });

  it('gives the same parse for the same bytes, so a second import can recognise everything', () => {
    expect(parseImportBundle(read('partner-test-set.json'))).toEqual(parseImportBundle(testSet));
  });
});

describe('the bad bundles in the fixtures', () => {
  it.each(['wrong-resource-type.json', 'hash-mismatch.json', 'missing-master-identifier.json', 'unresolved-subject.json'])(
    '%s has exactly one error, and no warning about a Binary whose DocumentReference was refused', (file) => {
      const { issues } = parseImportBundle(read(`bad/${file}`));
      expect(issues.map((i) => i.severity)).toEqual(['error']);
    },
  );

  it('wrong-resource-type: an Observation entry', () => {
    const parsed = parseImportBundle(read('bad/wrong-resource-type.json'));
    expect(errorsOf(parsed.issues)).toEqual([
      { path: 'Bundle.entry[3].resource.resourceType', message: 'Bundle.entry[3].resource.resourceType must be Patient, DocumentReference or Binary: the import loads nothing else' },
    ]);
    expect(parsed).toMatchObject({ patients: [], documents: [], binaries: [] });
  });

  it('hash-mismatch: the stated SHA-1 is not the SHA-1 of the Binary', () => {
    expect(errorsOf(parseImportBundle(read('bad/hash-mismatch.json')).issues)).toEqual([
      { path: 'Bundle.entry[1].resource.content[0].attachment.hash', message: 'DocumentReference.content[0].attachment.hash does not match the SHA-1 of the content' },
    ]);
  });

  it('missing-master-identifier: no uniqueId', () => {
    expect(errorsOf(parseImportBundle(read('bad/missing-master-identifier.json')).issues)).toEqual([
      { path: 'Bundle.entry[1].resource.masterIdentifier', message: 'DocumentReference.masterIdentifier is required: it is the DocumentEntry uniqueId' },
    ]);
  });

  it('unresolved-subject: the subject names no Patient of the bundle', () => {
    expect(errorsOf(parseImportBundle(read('bad/unresolved-subject.json')).issues)).toEqual([
      { path: 'Bundle.entry[1].resource.subject.reference', message: 'DocumentReference.subject.reference names no Patient entry of the bundle (by fullUrl or Patient/id)' },
    ]);
  });
});

describe('parseImportBundle', () => {
  it('accepts the minimal collection used below', () => {
    const parsed = parseImportBundle(collection());
    expect(parsed.issues).toEqual([]);
    expect(parsed.documents[0]!.input.sourcePatientId).toBe('P-1^^^&2.999.1.3&ISO');
  });

  it('refuses what is not a collection or transaction Bundle, at the element that says so', () => {
    expect(errorsOf(parseImportBundle([]).issues)).toEqual([{ path: 'Bundle', message: 'Bundle is invalid: invalid input: expected object, received array' }]);
    expect(errorsOf(parseImportBundle({ resourceType: 'Patient' }).issues).map((e) => e.path)).toEqual(['Bundle.resourceType', 'Bundle.type']);
    expect(errorsOf(parseImportBundle({ ...collection(), type: 'searchset' }).issues)).toEqual([
      { path: 'Bundle.type', message: 'Bundle.type is invalid: invalid option: expected one of "collection"|"transaction"' },
    ]);
    expect(errorsOf(parseImportBundle({ resourceType: 'Bundle', type: 'collection', entry: [] }).issues)).toEqual([
      { path: 'Bundle.entry', message: 'Bundle.entry is empty: there is nothing to import' },
    ]);
    expect(errorsOf(parseImportBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:x' }] }).issues)).toEqual([
      { path: 'Bundle.entry[0].resource', message: 'Bundle.entry[0].resource is required' },
    ]);
  });

  it('in a transaction, needs a POST or PUT request on every entry', () => {
    const bundle = collection();
    const transaction = { ...bundle, type: 'transaction', entry: bundle.entry!.map((e, i) => (i === 0 ? e : { ...e, request: { method: i === 1 ? 'POST' : 'DELETE', url: 'x' } })) };
    expect(errorsOf(parseImportBundle(transaction).issues)).toEqual([
      { path: 'Bundle.entry[0].request', message: 'Bundle.entry[0].request is required in a transaction Bundle' },
      { path: 'Bundle.entry[2].request.method', message: 'Bundle.entry[2].request.method must be POST or PUT: the import only adds' },
    ]);
  });

  it('resolves references by fullUrl, by Type/id and by a transaction PUT url', () => {
    const byId = collection({ patient: { id: 'p1' }, document: { subject: { reference: 'Patient/p1' } } });
    expect(parseImportBundle(byId).documents[0]!.subject).toEqual({ patient: 0 });
    const bytes = Buffer.from('Visit note (synthetic)\n', 'utf8');
    const put: Bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: collection().entry!.map((e, i) => ({ ...e, request: i === 2 ? { method: 'PUT', url: 'Binary/b-7' } : { method: 'POST', url: 'x' } })),
    };
    (put.entry![1]!.resource as DocumentReference).content[0]!.attachment.url = 'Binary/b-7';
    const parsed = parseImportBundle(put);
    expect(parsed.issues).toEqual([]);
    expect(Buffer.from(parsed.documents[0]!.content.bytes)).toEqual(bytes);
  });

  it('refuses a reference to an entry of the wrong type, and a repeated fullUrl or id', () => {
    const wrongType = collection({ document: { subject: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000b1' } } });
    expect(errorsOf(parseImportBundle(wrongType).issues)).toEqual([
      { path: 'Bundle.entry[1].resource.subject.reference', message: 'DocumentReference.subject.reference names Bundle.entry[2], which is a Binary, not a Patient' },
    ]);
    const repeated = collection({ extra: [{ fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000b1', resource: { resourceType: 'Binary', contentType: 'text/plain', data: '' } }] });
    expect(errorsOf(parseImportBundle(repeated).issues)).toEqual([
      { path: 'Bundle.entry[3].fullUrl', message: 'Bundle.entry[3].fullUrl names the same resource as Bundle.entry[2]' },
    ]);
  });

  it('refuses an attachment url that names no Binary', () => {
    const parsed = parseImportBundle(collection({ document: { content: [{ ...(collection().entry![1]!.resource as DocumentReference).content[0]!, attachment: { contentType: 'text/plain', language: 'en-US', url: 'Binary/elsewhere', creation: '2024-05-01' } }] } }));
    expect(errorsOf(parsed.issues)).toEqual([
      { path: 'Bundle.entry[1].resource.content[0].attachment.url', message: 'DocumentReference.content[0].attachment.url names no Binary entry of the bundle (by fullUrl or Binary/id)' },
    ]);
  });

  it('leaves a subject identifier that no bundle patient holds for the store, with sourcePatientId from it', () => {
    const parsed = parseImportBundle(collection({ document: { subject: { identifier: { system: 'urn:oid:2.999.1.3', value: 'P-elsewhere' } } } }));
    expect(parsed.issues).toEqual([]);
    expect(parsed.documents[0]).toMatchObject({
      subject: { identifier: { system: 'urn:oid:2.999.1.3', value: 'P-elsewhere' }, path: 'Bundle.entry[1].resource.subject.identifier' },
      input: { sourcePatientId: 'P-elsewhere^^^&2.999.1.3&ISO' },
    });
  });

  it('finds a subject given by an eight-digit BSN among the bundle patients written with nine', () => {
    const parsed = parseImportBundle(collection({
      patient: { identifier: [{ system: BSN, value: '999981213' }] },
      document: { subject: { identifier: { system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: '999981213' } } },
    }));
    expect(parsed.documents[0]!.subject).toEqual({ patient: 0 });
  });

  it('takes sourcePatientId from the patient sourcePatientInfo references, not the subject', () => {
    const parsed = parseImportBundle(collection({
      document: { context: { facilityType: { coding: [{ system: SCT, code: '35971002' }] }, practiceSetting: { coding: [{ system: SCT, code: '394802001' }] }, sourcePatientInfo: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000a2' } } },
      extra: [{ fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000a2', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.999.9', value: 'LOCAL-5' }], name: [{ family: 'Doe' }] } }],
    }));
    expect(parsed.documents[0]!.input.sourcePatientId).toBe('LOCAL-5^^^&2.999.9&ISO');
  });

  it('warns when no identifier of the source patient has an OID: there is then no sourcePatientId', () => {
    const parsed = parseImportBundle(collection({ patient: { identifier: [{ system: 'https://example.org/mrn', value: 'P-1' }] } }));
    expect(parsed.documents[0]!.input.sourcePatientId).toBeUndefined();
    expect(parsed.issues).toEqual([{
      severity: 'warning', code: 'informational',
      message: 'DocumentReference.subject.reference gives no identifier with an OID system: the document has no XDS sourcePatientId',
      where: { path: 'Bundle.entry[1].resource.subject.reference', field: 'DocumentReference.subject.reference' },
    }]);
  });

  it('refuses an identifier given to two patients, and a uniqueId or entryUUID given to two documents', () => {
    const base = collection();
    const twin = { ...base.entry![0]!, fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000a9' };
    const secondDocument = { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000c9', resource: base.entry![1]!.resource };
    const parsed = parseImportBundle({ ...base, entry: [...base.entry!, twin, secondDocument] });
    expect(errorsOf(parsed.issues)).toEqual([
      { path: 'Bundle.entry[3].resource.identifier[0]', message: 'Patient.identifier[0] repeats the identifier at Bundle.entry[0].resource.identifier[0]' },
      { path: 'Bundle.entry[4].resource.masterIdentifier', message: 'DocumentReference.masterIdentifier repeats the uniqueId of Bundle.entry[1].resource' },
      { path: 'Bundle.entry[4].resource.identifier', message: 'DocumentReference.identifier repeats the entryUUID of Bundle.entry[1].resource' },
    ]);
  });

  it('refuses a Binary whose contentType differs from the attachment that uses it, and a stated size that is wrong', () => {
    const parsed = parseImportBundle(collection({
      binary: { contentType: 'application/pdf' },
      document: { content: [{ ...(collection().entry![1]!.resource as DocumentReference).content[0]!, attachment: { contentType: 'text/plain', language: 'en-US', url: 'urn:uuid:00000000-0000-4000-8000-0000000000b1', size: 999, creation: '2024-05-01' } }] },
    }));
    expect(errorsOf(parsed.issues)).toEqual([
      { path: 'Bundle.entry[1].resource.content[0].attachment.contentType', message: 'DocumentReference.content[0].attachment.contentType differs from the contentType of the Binary at Bundle.entry[2].resource' },
      { path: 'Bundle.entry[1].resource.content[0].attachment.size', message: 'DocumentReference.content[0].attachment.size is 999 but the content has 23 bytes' },
    ]);
  });

  it('warns about a Binary no DocumentReference uses, which is not imported', () => {
    const parsed = parseImportBundle(collection({ extra: [{ fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000b2', resource: { resourceType: 'Binary', contentType: 'text/plain', data: 'eA==' } }] }));
    expect(parsed.issues).toEqual([expect.objectContaining({ severity: 'warning', message: 'Binary is referenced by no DocumentReference: it is not imported', where: { path: 'Bundle.entry[3].resource', field: 'Binary' } })]);
    expect(parsed.binaries).toHaveLength(2);
  });

  it('never puts a value from the input into a message', () => {
    const secret = 'Zeldzaamnaam-1234';
    const bad = collection({
      patient: { identifier: [{ system: BSN, value: '123456789' }], name: [{ family: secret, given: [secret] }], birthDate: `${secret}` },
      document: { description: secret, masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:${secret}` }, subject: { reference: `Patient/${secret}` } },
    });
    const parsed = parseImportBundle(bad);
    expect(errorsOf(parsed.issues).length).toBeGreaterThan(2);
    expect(JSON.stringify(parsed.issues)).not.toContain(secret);
    expect(JSON.stringify(parsed.issues)).not.toContain('123456789');
  });
});

describe('round trip with our own FHIR renderers', () => {
  const context: RenderContext = { baseUrl: 'https://gateway.example.org/fhir/R4', versionId: '1', lastUpdated: '2026-01-02T03:04:05.678Z' };

  it('reads back what renderPatient, renderDocumentReference and renderBinary serve, XDS metadata intact', () => {
    const parsed = parseImportBundle(testSet);
    const patientIds = ['7d1c8f0e-52a4-4f3e-9b1a-000000000001', '7d1c8f0e-52a4-4f3e-9b1a-000000000002', '7d1c8f0e-52a4-4f3e-9b1a-000000000003'];
    const patients = parsed.patients.map((p, i) => Patient.parse({ ...p.patient, id: patientIds[i] }));
    const documents = parsed.documents.map((d, i) => Document.parse({
      ...d.input, id: `7d1c8f0e-52a4-4f3e-9b1a-00000000010${i}`, patientId: patientIds['patient' in d.subject ? d.subject.patient : 0], repositoryUniqueId: '2.999.1.2',
    }));
    const served: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        ...patients.map((p) => ({ fullUrl: `${context.baseUrl}/Patient/${p.id}`, resource: renderPatient(p, context) })),
        ...documents.flatMap((d, i) => [
          { fullUrl: `${context.baseUrl}/DocumentReference/${d.id}`, resource: renderDocumentReference(d, context) },
          { fullUrl: `${context.baseUrl}/Binary/${d.id}`, resource: renderBinary(d, parsed.documents[i]!.content.bytes, context) },
        ]),
      ],
    };
    const again = parseImportBundle(served);
    expect(errorsOf(again.issues)).toEqual([]);
    expect(again.patients.map((p) => p.patient.identifiers)).toEqual(parsed.patients.map((p) => p.patient.identifiers));
    expect(again.patients.map((p) => p.patient.names.map((n) => [n.family, n.familyPrefix]))).toEqual(parsed.patients.map((p) => p.patient.names.map((n) => [n.family, n.familyPrefix])));
    // What the FHIR surface does not carry (authors, authenticator, title is kept) is the renderer's choice, not lost here.
    const xds = (d: (typeof parsed.documents)[number]) => {
      const { authors: _a, legalAuthenticator: _l, sourcePatientId: _s, ...rest } = d.input;
      return rest;
    };
    expect(again.documents.map(xds)).toEqual(parsed.documents.map(xds));
  });
});
