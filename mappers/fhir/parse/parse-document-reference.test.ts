import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { DocumentReference, Resource } from 'fhir/r4.js';
import type { Issue } from '../../../canonical/index.js';
import { renderRelated } from '../xds-authors.js';
import { completeDocument, parseDocumentReference, type DocumentReferenceParts } from './parse-document-reference.js';

const PATH = 'Bundle.entry[2].resource';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const FORMAT = 'urn:oid:1.3.6.1.4.1.19376.1.2.3';
const bytes = Buffer.from('Consult note (synthetic)\n', 'utf8');
const sha1 = createHash('sha1').update(bytes);
const HEX = sha1.copy().digest('hex');
const BASE64 = sha1.digest('base64');

const base: DocumentReference = {
  resourceType: 'DocumentReference',
  masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.999.7.1' },
  status: 'current',
  type: { coding: [{ system: LOINC, code: '11488-4', display: 'Consult note' }] },
  category: [{ coding: [{ system: LOINC, code: '11488-4' }] }],
  subject: { reference: 'Patient/p1' },
  securityLabel: [{ coding: [{ system: CONFIDENTIALITY, code: 'N' }] }],
  content: [{
    attachment: { contentType: 'text/plain', language: 'nl-NL', data: bytes.toString('base64'), creation: '2024-05-01T09:00:00+02:00' },
    format: { system: FORMAT, code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' },
  }],
  context: { facilityType: { coding: [{ system: SCT, code: '35971002' }] }, practiceSetting: { coding: [{ system: SCT, code: '394814009' }] } },
};

const parse = (overrides: Partial<Record<keyof DocumentReference, unknown>>) => parseDocumentReference({ ...base, ...overrides }, PATH);
const withAttachment = (attachment: object) => ({ content: [{ ...base.content[0], attachment: { ...base.content[0]!.attachment, ...attachment } }] });
const withContext = (context: object) => ({ context: { ...base.context, ...context } });
const problems = (issues: readonly Issue[]) => issues.map((i) => [i.severity, i.where?.path, i.message]);
const errors = (issues: readonly Issue[]) => problems(issues.filter((i) => i.severity === 'error'));
const metadataOf = (overrides: Partial<Record<keyof DocumentReference, unknown>>) => {
  const parsed = parse(overrides);
  expect(errors(parsed.issues)).toEqual([]);
  return parsed.document!.metadata;
};
const complete = (parts: DocumentReferenceParts) => completeDocument(parts, { bytes: new Uint8Array(bytes), from: `${PATH}.content[0].attachment.data` }, undefined);

describe('parseDocumentReference: the DocumentEntry metadata', () => {
  it('maps a minimal MHD DocumentReference, and completes it with size and SHA-1 from the bytes', () => {
    const parsed = parseDocumentReference(base, PATH);
    expect(parsed.issues).toEqual([]);
    expect(parsed.document).toMatchObject({
      subject: { reference: 'Patient/p1', where: { path: `${PATH}.subject.reference` } },
      attachment: { contentType: 'text/plain', data: new Uint8Array(bytes), where: { path: `${PATH}.content[0].attachment` } },
    });
    expect(complete(parsed.document!)).toEqual({
      document: {
        uniqueId: '2.999.7.1',
        // The name-based UUID of the uniqueId: Python's uuid.uuid5(uuid.NAMESPACE_OID, '2.999.7.1') gives the same.
        entryUuid: 'urn:uuid:0a406a2e-88db-50a4-a844-e2ca1afaa384',
        availabilityStatus: 'approved',
        classCode: { system: LOINC, code: '11488-4' },
        typeCode: { system: LOINC, code: '11488-4', display: 'Consult note' },
        formatCode: { system: FORMAT, code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' },
        confidentialityCodes: [{ system: CONFIDENTIALITY, code: 'N' }],
        healthcareFacilityTypeCode: { system: SCT, code: '35971002' },
        practiceSettingCode: { system: SCT, code: '394814009' },
        eventCodes: [],
        languageCode: 'nl-NL',
        mimeType: 'text/plain',
        creationTime: '2024-05-01T09:00:00+02:00',
        authors: [],
        provenance: { source: 'fhir-import' },
        hash: HEX,
        size: bytes.byteLength,
      },
      issues: [],
    });
  });

  it('takes uniqueId from masterIdentifier: urn:oid: under urn:ietf:rfc:3986, or an extension under urn:oid:<root>', () => {
    expect(metadataOf({ masterIdentifier: { value: 'urn:oid:2.999.7.2' } }).uniqueId).toBe('2.999.7.2');
    expect(metadataOf({ masterIdentifier: { system: 'urn:oid:2.999.7', value: 'NOTE-17' } }).uniqueId).toBe('2.999.7^NOTE-17');
    expect(errors(parse({ masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0b6f4f5e-1111-4222-8333-444455556666' } }).issues)).toEqual([
      ['error', `${PATH}.masterIdentifier.value`, 'DocumentReference.masterIdentifier.value must be urn:oid: followed by the uniqueId OID'],
    ]);
    expect(errors(parse({ masterIdentifier: { system: 'https://example.org/ids', value: 'x' } }).issues)).toEqual([
      ['error', `${PATH}.masterIdentifier.system`, 'DocumentReference.masterIdentifier.system must be urn:ietf:rfc:3986, or urn:oid: and the root OID the value is an extension of'],
    ]);
    expect(errors(parse({ masterIdentifier: { system: 'urn:oid:2.999.7', value: 'AN-EXTENSION-TOO-LONG' } }).issues)).toEqual([
      ['error', `${PATH}.masterIdentifier.value`, 'DocumentReference.masterIdentifier.value must give an OID, optionally with an extension of at most 16 characters'],
    ]);
    expect(errors(parse({ masterIdentifier: { system: 'urn:ietf:rfc:3986' } }).issues)).toEqual([
      ['error', `${PATH}.masterIdentifier.value`, 'DocumentReference.masterIdentifier.value is required: it is the DocumentEntry uniqueId'],
    ]);
  });

  it('takes entryUUID from the urn:uuid identifier (the official one first), lower-cased, and warns about the others', () => {
    const parsed = parse({
      identifier: [
        { system: 'https://example.org/docs', value: 'D-9' },
        { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0B6F4F5E-1111-4222-8333-444455556661' },
        { use: 'official', system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0B6F4F5E-1111-4222-8333-444455556662' },
      ],
    });
    expect(parsed.document!.metadata.entryUuid).toBe('urn:uuid:0b6f4f5e-1111-4222-8333-444455556662');
    expect(problems(parsed.issues)).toEqual([
      ['warning', `${PATH}.identifier[0]`, 'DocumentReference.identifier[0] is not imported: only the urn:uuid entryUUID has a DocumentEntry counterpart'],
      ['warning', `${PATH}.identifier[1]`, 'DocumentReference.identifier[1] is not imported: only the urn:uuid entryUUID has a DocumentEntry counterpart'],
    ]);
    expect(errors(parse({ identifier: [{ value: 'urn:uuid:not-a-uuid' }] }).issues)).toEqual([
      ['error', `${PATH}.identifier[0].value`, 'DocumentReference.identifier[0].value must be urn:uuid: followed by a UUID'],
    ]);
  });

  it('maps status current to approved and superseded to deprecated; entered-in-error is not imported', () => {
    expect(metadataOf({ status: 'superseded' }).availabilityStatus).toBe('deprecated');
    expect(errors(parse({ status: 'entered-in-error' }).issues)).toEqual([
      ['error', `${PATH}.status`, 'DocumentReference.status is entered-in-error: such a document is not imported'],
    ]);
    expect(errors(parse({ status: undefined }).issues)).toEqual([['error', `${PATH}.status`, 'DocumentReference.status is required']]);
  });

  it('maps type, category and securityLabel to one XDS code per concept, the first coding kept', () => {
    const parsed = parse({
      type: { coding: [{ system: LOINC, code: '11488-4' }, { system: 'urn:oid:2.999.5', code: 'CONSULT' }] },
      category: [{ coding: [{ system: LOINC, code: '11488-4' }] }, { coding: [{ system: LOINC, code: '11506-3' }] }],
      securityLabel: [{ coding: [{ system: CONFIDENTIALITY, code: 'R' }] }, { coding: [{ system: 'urn:oid:2.16.840.1.113883.5.25', code: 'V' }] }],
    });
    expect(parsed.document!.metadata).toMatchObject({
      typeCode: { system: LOINC, code: '11488-4' },
      classCode: { system: LOINC, code: '11488-4' },
      // urn:oid: of a known code system becomes its URI, so both spellings meet in the store's code indexes.
      confidentialityCodes: [{ system: CONFIDENTIALITY, code: 'R' }, { system: CONFIDENTIALITY, code: 'V' }],
    });
    expect(problems(parsed.issues)).toEqual([
      ['warning', `${PATH}.type.coding`, 'DocumentReference.type.coding has 2 codings: only the first is kept as XDS typeCode'],
      ['warning', `${PATH}.category`, 'DocumentReference.category has 2 entries: only the first is kept as XDS classCode'],
    ]);
  });

  it('needs type, category, securityLabel, format, facility type and practice setting, each a coded value with a system', () => {
    expect(errors(parse({ type: undefined, category: [], securityLabel: undefined, context: undefined, content: [{ attachment: base.content[0]!.attachment }] }).issues)).toEqual([
      ['error', `${PATH}.type`, 'DocumentReference.type is required (XDS typeCode)'],
      ['error', `${PATH}.category`, 'DocumentReference.category is required (XDS classCode)'],
      ['error', `${PATH}.securityLabel`, 'DocumentReference.securityLabel is required (XDS confidentialityCode)'],
      ['error', `${PATH}.content[0].format`, 'DocumentReference.content[0].format is required (XDS formatCode)'],
      ['error', `${PATH}.context.facilityType`, 'DocumentReference.context.facilityType is required (XDS healthcareFacilityTypeCode)'],
      ['error', `${PATH}.context.practiceSetting`, 'DocumentReference.context.practiceSetting is required (XDS practiceSettingCode)'],
    ]);
    expect(errors(parse({ type: { text: 'Consult' }, category: [{ coding: [{ code: '11488-4' }] }] }).issues)).toEqual([
      ['error', `${PATH}.type.coding`, 'DocumentReference.type.coding is required: XDS typeCode is a code, not text'],
      ['error', `${PATH}.category[0].coding[0].system`, 'DocumentReference.category[0].coding[0].system is required: an XDS code names its coding scheme'],
    ]);
  });

  it('warns when a code system has no known OID, since XDS names coding schemes by OID', () => {
    const parsed = parse(withContext({ practiceSetting: { coding: [{ system: 'https://example.org/settings', code: 'GP' }] } }));
    expect(parsed.document!.metadata.practiceSettingCode).toEqual({ system: 'https://example.org/settings', code: 'GP' });
    expect(problems(parsed.issues)).toEqual([
      ['warning', `${PATH}.context.practiceSetting.coding[0].system`, 'DocumentReference.context.practiceSetting.coding[0].system has no known OID: XDS partners receive the system as written for its coding scheme'],
    ]);
  });

  it('maps the attachment: contentType, language, title, creation; description to comments', () => {
    expect(metadataOf({ description: 'Na verwijzing', ...withAttachment({ contentType: 'application/pdf', language: 'en-US', title: 'Consult', creation: '2024-05' }) })).toMatchObject({
      mimeType: 'application/pdf', languageCode: 'en-US', title: 'Consult', creationTime: '2024-05', comments: 'Na verwijzing',
    });
  });

  it('needs contentType, language and creation, well formed, and the bytes once (url or data)', () => {
    expect(errors(parse(withAttachment({ contentType: undefined, language: undefined, creation: undefined, data: undefined })).issues)).toEqual([
      ['error', `${PATH}.content[0].attachment.contentType`, 'DocumentReference.content[0].attachment.contentType is required (XDS mimeType)'],
      ['error', `${PATH}.content[0].attachment.language`, 'DocumentReference.content[0].attachment.language is required (XDS languageCode)'],
      ['error', `${PATH}.content[0].attachment.creation`, 'DocumentReference.content[0].attachment.creation is required (XDS creationTime)'],
      ['error', `${PATH}.content[0].attachment.url`, 'DocumentReference.content[0].attachment.url is required, or data: the document itself must be in the bundle'],
    ]);
    expect(errors(parse(withAttachment({ contentType: 'pdf', language: 'Dutch', creation: '2024-05-01T09:00', url: 'Binary/b1', data: 'not base64!' })).issues)).toEqual([
      ['error', `${PATH}.content[0].attachment.contentType`, 'DocumentReference.content[0].attachment.contentType must be a MIME type'],
      ['error', `${PATH}.content[0].attachment.language`, 'DocumentReference.content[0].attachment.language must be a language tag such as en-US'],
      ['error', `${PATH}.content[0].attachment.creation`, 'DocumentReference.content[0].attachment.creation must be a FHIR date or dateTime, with a time zone when a time is given'],
      ['error', `${PATH}.content[0].attachment`, 'DocumentReference.content[0].attachment has both url and data: give the bytes once'],
      ['error', `${PATH}.content[0].attachment.data`, 'DocumentReference.content[0].attachment.data must be base64'],
    ]);
  });

  it('refuses more than one content: a DocumentEntry is one document', () => {
    expect(errors(parse({ content: [base.content[0], base.content[0]] }).issues)).toEqual([
      ['error', `${PATH}.content`, 'DocumentReference.content holds 2 entries: a DocumentEntry describes one document, so give each its own DocumentReference'],
    ]);
    expect(errors(parse({ content: [] }).issues)).toEqual([
      ['error', `${PATH}.content`, 'DocumentReference.content is invalid: too small: expected array to have >=1 items'],
    ]);
  });

  it('reads the stated hash as base64 SHA-1 and refuses a hex digest or other length', () => {
    expect(parse(withAttachment({ hash: BASE64 })).document!.attachment.sha1).toBe(HEX);
    expect(errors(parse(withAttachment({ hash: HEX })).issues)).toEqual([
      ['error', `${PATH}.content[0].attachment.hash`, 'DocumentReference.content[0].attachment.hash must be the base64 of a 20-byte SHA-1 digest'],
    ]);
    expect(errors(parse(withAttachment({ size: -1 })).issues)).toEqual([
      ['error', `${PATH}.content[0].attachment.size`, 'DocumentReference.content[0].attachment.size is invalid: too small: expected number to be >=0'],
    ]);
  });

  it('maps context: event codes, the period as service start and stop', () => {
    expect(metadataOf(withContext({
      event: [{ coding: [{ system: SCT, code: '44054006' }] }, { coding: [{ system: SCT, code: '38341003' }] }],
      period: { start: '2024-04-15T10:00:00+02:00', end: '2024-04-15T10:20:00+02:00' },
    }))).toMatchObject({
      eventCodes: [{ system: SCT, code: '44054006' }, { system: SCT, code: '38341003' }],
      serviceStartTime: '2024-04-15T10:00:00+02:00',
      serviceStopTime: '2024-04-15T10:20:00+02:00',
    });
    expect(errors(parse(withContext({ period: { start: 'yesterday' } })).issues)).toEqual([
      ['error', `${PATH}.context.period.start`, 'DocumentReference.context.period.start must be a FHIR date or dateTime, with a time zone when a time is given'],
    ]);
  });

  it('warns that relatesTo, context.encounter and a related without an XDS reference id are not imported', () => {
    const parsed = parse({ relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/old' } }], ...withContext({ related: [{ reference: 'Encounter/e' }], encounter: [{ reference: 'Encounter/e' }] }) });
    expect(parsed.document).toBeDefined();
    expect(problems(parsed.issues)).toEqual([
      ['warning', `${PATH}.relatesTo`, 'DocumentReference.relatesTo is not imported: relationships between documents (XDS associations) are not kept'],
      ['warning', `${PATH}.context.related[0]`, 'DocumentReference.context.related[0] is not imported: an XDS reference id needs an identifier with a value, a system with an OID and a type coded as an XDS reference id type (urn:ihe:iti:xds:…)'],
      ['warning', `${PATH}.context.encounter`, 'DocumentReference.context.encounter is not imported: a DocumentEntry has no encounter'],
    ]);
  });

  it('imports context.related as the referenceIdList, and reads back what the gateway serves of it', () => {
    const served = renderRelated(['R-77^^^&2.16.528.1.1007.3.3&ISO^urn:ihe:iti:xds:2013:referral', 'ORD\\S\\1^^^&1.2.3.4&ISO^urn:ihe:iti:xds:2013:order']);
    const parsed = parse(withContext({ related: served }));
    expect(problems(parsed.issues)).toEqual([]);
    expect(parsed.document!.metadata.referenceIds).toEqual(['R-77^^^&2.16.528.1.1007.3.3&ISO^urn:ihe:iti:xds:2013:referral', 'ORD\\S\\1^^^&1.2.3.4&ISO^urn:ihe:iti:xds:2013:order']);
  });

  it('needs a subject by reference to a bundle entry or by identifier', () => {
    expect(parse({ subject: { identifier: { system: 'urn:oid:2.999.1.3', value: 'P-1' } } }).document!.subject).toEqual({
      identifier: { system: 'urn:oid:2.999.1.3', value: 'P-1' }, where: { path: `${PATH}.subject.identifier`, field: 'DocumentReference.subject.identifier' },
    });
    expect(errors(parse({ subject: undefined }).issues)).toEqual([['error', `${PATH}.subject`, 'DocumentReference.subject is required: a document belongs to a patient']]);
    expect(errors(parse({ subject: { display: 'J. Doe' } }).issues)).toEqual([
      ['error', `${PATH}.subject.reference`, 'DocumentReference.subject.reference is required, or identifier: a display alone does not say who the patient is'],
    ]);
    expect(errors(parse({ subject: { reference: '#p' } }).issues)).toEqual([
      ['error', `${PATH}.subject.reference`, 'DocumentReference.subject.reference must name a Patient entry of the bundle, not a contained resource'],
    ]);
  });

  it('never repeats a value from the input in a message', () => {
    const secret = 'Geheimnaam 1234';
    const parsed = parse({ masterIdentifier: { value: secret }, subject: { display: secret }, description: secret, ...withAttachment({ language: secret, creation: secret, data: secret }) });
    expect(parsed.issues.length).toBeGreaterThan(3);
    expect(JSON.stringify(parsed.issues)).not.toContain('Geheimnaam');
  });
});

describe('parseDocumentReference: authors, legal authenticator and source patient', () => {
  const practitioner: Resource = {
    resourceType: 'Practitioner', id: 'pr', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
    name: [{ family: 'Seven', given: ['Henry', 'A'], prefix: ['Dr.'], suffix: ['MD'] }], telecom: [{ system: 'phone', value: '+1-555-0100' }],
  } as Resource;
  const organization: Resource = { resourceType: 'Organization', id: 'org', identifier: [{ system: 'http://fhir.nl/fhir/NamingSystem/ura', value: '90000001' }], name: 'Praktijk A&B' } as Resource;
  const role: Resource = {
    resourceType: 'PractitionerRole', id: 'role', practitioner: { reference: '#pr' }, organization: { reference: '#org' },
    code: [{ coding: [{ system: SCT, code: '62247001', display: 'General practitioner' }] }],
    specialty: [{ coding: [{ system: 'https://example.org/specialties', code: 'GP', display: 'Huisartsgeneeskunde' }] }],
    telecom: [{ system: 'email', value: 'praktijk@example.nl' }],
  } as Resource;
  const contained = [practitioner, organization, role, { resourceType: 'Patient', id: 'src', identifier: [{ system: 'urn:oid:2.999.8', value: 'LOCAL^7' }] } as Resource];

  it('maps a contained PractitionerRole to all four author parts, and Practitioner and Organization to one each', () => {
    const parsed = parse({ contained, author: [{ reference: '#role' }, { reference: '#pr' }, { reference: '#org' }] });
    expect(errors(parsed.issues)).toEqual([]);
    expect(parsed.document!.metadata.authors).toEqual([
      {
        person: '1234567893^Seven^Henry^A^MD^Dr.^^^&2.16.840.1.113883.4.6&ISO',
        institutions: ['Praktijk A\\T\\B^^^^^&2.16.528.1.1007.3.3&ISO^^^^90000001'],
        roles: ['62247001^^^&2.16.840.1.113883.6.96&ISO'],
        specialties: ['Huisartsgeneeskunde'],
        telecom: ['^^Internet^praktijk@example.nl', '^^PH^^^^^^^^^+1-555-0100'],
      },
      { person: '1234567893^Seven^Henry^A^MD^Dr.^^^&2.16.840.1.113883.4.6&ISO', institutions: [], roles: [], specialties: [], telecom: ['^^PH^^^^^^^^^+1-555-0100'] },
      { institutions: ['Praktijk A\\T\\B^^^^^&2.16.528.1.1007.3.3&ISO^^^^90000001'], roles: [], specialties: [], telecom: [] },
    ]);
  });

  it('takes a display as the person (or, with type Organization, the institution) when the author is not contained', () => {
    expect(metadataOf({ author: [{ display: 'Dr. P. Raman' }, { reference: 'Organization/elsewhere', type: 'Organization', display: 'Lab B.V.' }] }).authors).toEqual([
      { person: '^Dr. P. Raman', institutions: [], roles: [], specialties: [], telecom: [] },
      { institutions: ['Lab B.V.'], roles: [], specialties: [], telecom: [] },
    ]);
  });

  it('refuses an author it cannot read, at the reference', () => {
    expect(errors(parse({ contained, author: [{ reference: 'Practitioner/elsewhere' }, { reference: '#nobody' }, { reference: '#src' }] }).issues)).toEqual([
      ['error', `${PATH}.author[0].display`, 'DocumentReference.author[0].display is required when the author is not a contained resource'],
      ['error', `${PATH}.author[1].reference`, 'DocumentReference.author[1].reference names no contained resource'],
      ['error', `${PATH}.author[2].reference`, 'DocumentReference.author[2].reference must name a contained Practitioner, PractitionerRole or Organization'],
    ]);
    const nameless = [{ resourceType: 'Practitioner', id: 'pr', identifier: [{ system: 'https://example.org/staff', value: '7' }] }, { resourceType: 'Organization', id: 'org' }];
    expect(errors(parse({ contained: nameless, author: [{ reference: '#pr' }, { reference: '#org' }] }).issues)).toEqual([
      ['error', `${PATH}.contained[0].name[0].family`, 'DocumentReference.contained[0].name[0].family is required, or an identifier with an OID system: an XDS person needs one of them'],
      ['error', `${PATH}.contained[1].name`, 'DocumentReference.contained[1].name is required (XDS authorInstitution)'],
    ]);
  });

  it('maps authenticator to legalAuthenticator: a Practitioner, the practitioner of a PractitionerRole, or a display', () => {
    expect(metadataOf({ contained, authenticator: { reference: '#role' } }).legalAuthenticator).toBe('1234567893^Seven^Henry^A^MD^Dr.^^^&2.16.840.1.113883.4.6&ISO');
    expect(metadataOf({ authenticator: { display: 'Dr. Jansen' } }).legalAuthenticator).toBe('^Dr. Jansen');
    expect(errors(parse({ contained, authenticator: { reference: '#org' } }).issues)).toEqual([
      ['error', `${PATH}.authenticator.reference`, 'DocumentReference.authenticator.reference must name a contained Practitioner or PractitionerRole: XDS names a person here'],
    ]);
  });

  it('takes sourcePatientId from a contained source patient or an identifier, as CX; a bundle reference is left to the bundle', () => {
    expect(metadataOf({ contained, ...withContext({ sourcePatientInfo: { reference: '#src' } }) }).sourcePatientId).toBe('LOCAL\\S\\7^^^&2.999.8&ISO');
    expect(metadataOf(withContext({ sourcePatientInfo: { identifier: { system: 'http://fhir.nl/fhir/NamingSystem/bsn', value: '999981213' } } })).sourcePatientId)
      .toBe('999981213^^^&2.16.840.1.113883.2.4.6.3&ISO');
    const byReference = parse(withContext({ sourcePatientInfo: { reference: 'Patient/src' } }));
    expect(byReference.document!.metadata.sourcePatientId).toBeUndefined();
    expect(byReference.document!.sourcePatient).toEqual({ reference: 'Patient/src', where: { path: `${PATH}.context.sourcePatientInfo.reference`, field: 'DocumentReference.context.sourcePatientInfo.reference' } });
  });
});

describe('completeDocument', () => {
  const parts = parseDocumentReference({ ...base, ...withAttachment({ size: bytes.byteLength, hash: BASE64 }) }, PATH).document!;

  it('accepts a stated size and hash that describe the bytes', () => {
    expect(complete(parts).document).toMatchObject({ size: bytes.byteLength, hash: HEX });
  });

  it('refuses a stated size or hash that do not, and a Binary of another content type', () => {
    const other = new Uint8Array(Buffer.from('Consult note (synthetic), edited\n', 'utf8'));
    expect(problems(completeDocument(parts, { bytes: other, contentType: 'text/html', from: 'Bundle.entry[3].resource' }, undefined).issues)).toEqual([
      ['error', `${PATH}.content[0].attachment.contentType`, 'DocumentReference.content[0].attachment.contentType differs from the contentType of the Binary at Bundle.entry[3].resource'],
      ['error', `${PATH}.content[0].attachment.size`, `DocumentReference.content[0].attachment.size is ${bytes.byteLength} but the content has ${other.byteLength} bytes`],
      ['error', `${PATH}.content[0].attachment.hash`, 'DocumentReference.content[0].attachment.hash does not match the SHA-1 of the content'],
    ]);
  });

  it('fills sourcePatientId from the bundle only where the resource gave none, and checks the canonical limits', () => {
    expect(completeDocument(parts, { bytes: new Uint8Array(bytes), from: 'x' }, 'P-1^^^&2.999.1.3&ISO').document!.sourcePatientId).toBe('P-1^^^&2.999.1.3&ISO');
    const long = parseDocumentReference({ ...base, description: 'x'.repeat(4001) }, PATH).document!;
    expect(problems(complete(long).issues)).toEqual([['error', `${PATH}.description`, 'DocumentReference.description is invalid: too big: expected string to have <=4000 characters']]);
  });
});
