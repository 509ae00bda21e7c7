import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Document, type DocumentInput } from '../../canonical/index.js';
import { FIXTURE_COMMUNITY, xcaGolden } from '../../fixtures/ihe/xca/fixtures.js';
import { childNamed, childrenNamed, descendantsNamed, NS, readXml, type XmlElement } from '../xml/index.js';
import { registryError, RESPONSE_STATUS } from './registry-error.js';
import {
  renderAdhocQueryResponse,
  sourcePatientIdFor,
  type AdhocQueryResponseInput,
  type AssociationInput,
  type DocumentEntryInput,
  type FolderInput,
  type SubmissionSetInput,
} from './render-query-response.js';
import { DOCUMENT_ENTRY, DOCUMENT_ENTRY_TYPE, FOLDER, SUBMISSION_SET } from './vocabulary.js';

const HOME = `urn:oid:${FIXTURE_COMMUNITY.homeCommunityId}`;
const PATIENT_CX = '0012345678^^^&2.999.1.3&ISO';
const LOINC = '2.16.840.1.113883.6.1';
const SNOMED = '2.16.840.1.113883.6.96';
const ENTRY_1 = 'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const ENTRY_2 = 'urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const SET = 'urn:uuid:c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f';
const FOLDER_ID = 'urn:uuid:d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80';

const baseDocument: DocumentInput = {
  id: '00000000-0000-4000-8000-0000000000d1',
  patientId: '00000000-0000-4000-8000-0000000000a1',
  entryUuid: ENTRY_1,
  uniqueId: '2.999.1.4.1001',
  repositoryUniqueId: FIXTURE_COMMUNITY.repositoryUniqueId,
  title: 'Diabetes jaarcontrole 2024',
  comments: 'Samenvatting van de jaarcontrole',
  classCode: { system: `urn:oid:${LOINC}`, code: '11488-4', display: 'Consult note' },
  typeCode: { system: 'http://loinc.org', code: '34133-9', display: 'Summary of episode note' },
  formatCode: { system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', code: 'urn:ihe:pcc:xphr:2007', display: 'HL7 CCD Document' },
  confidentialityCodes: [
    { system: '2.16.840.1.113883.5.25', code: 'N', display: 'normal' },
    { system: '2.16.840.1.113883.5.25', code: 'R' },
  ],
  healthcareFacilityTypeCode: { system: `urn:oid:${SNOMED}`, code: '22232009', display: 'Hospital' },
  practiceSettingCode: { system: `urn:oid:${SNOMED}`, code: '394802001', display: 'General medicine' },
  eventCodes: [{ system: 'urn:oid:2.16.840.1.113883.2.4.4.31.1', code: 'T90', display: 'Diabetes mellitus' }],
  languageCode: 'nl-NL',
  mimeType: 'text/xml',
  hash: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  size: 4096,
  creationTime: '2024-03-01T10:15:30+01:00',
  serviceStartTime: '2024-02-28T09:00+01:00',
  serviceStopTime: '2024-02-28',
  authors: [
    { person: '^Jansen^Piet^^^dr.', institutions: ['Huisartsenpraktijk De Linde^^^^^^^^^2.999.1.10'], roles: ['huisarts'], specialties: [], telecom: ['^^Internet^p.jansen@example.org'] },
    { institutions: ['Huisartsenpraktijk De Linde^^^^^^^^^2.999.1.10'] },
  ],
  legalAuthenticator: '^Jansen^Piet^^^dr.',
  sourcePatientId: 'PAT-7^^^&2.999.1.11&ISO',
  referenceIds: ['ORD-1001^^^&2.999.1.5&ISO^urn:ihe:iti:xds:2013:order'],
  provenance: { source: 'fixture' },
};

const stableEntry: DocumentEntryInput = { document: Document.parse(baseDocument), patientCx: PATIENT_CX, home: HOME, objectType: 'stable' };
const onDemandEntry: DocumentEntryInput = {
  document: Document.parse({
    ...baseDocument,
    id: '00000000-0000-4000-8000-0000000000d2',
    entryUuid: ENTRY_2,
    uniqueId: '2.999.1.4.1002',
    title: undefined,
    comments: undefined,
    availabilityStatus: 'deprecated',
    creationTime: '2024-03-01',
    serviceStartTime: undefined,
    serviceStopTime: undefined,
    authors: [],
    eventCodes: [],
    confidentialityCodes: [{ system: '2.16.840.1.113883.5.25', code: 'N' }],
    legalAuthenticator: undefined,
    sourcePatientId: undefined,
    referenceIds: [],
  }),
  patientCx: PATIENT_CX,
  home: FIXTURE_COMMUNITY.homeCommunityId,
  objectType: 'on-demand',
};
const submissionSet: SubmissionSetInput = {
  entryUuid: SET,
  uniqueId: '2.999.1.9.1',
  patientCx: PATIENT_CX,
  home: HOME,
  submissionTime: '2024-03-01T10:20:00Z',
  sourceId: 'urn:oid:2.999.1.6',
  contentTypeCode: { system: LOINC, code: '34133-9', display: 'Summary of episode note' },
  title: 'Jaarcontrole',
  authors: [{ institutions: ['Huisartsenpraktijk De Linde^^^^^^^^^2.999.1.10'], roles: [], specialties: [], telecom: [] }],
};
const folder: FolderInput = {
  entryUuid: FOLDER_ID,
  uniqueId: '2.999.1.8.1',
  patientCx: PATIENT_CX,
  home: HOME,
  lastUpdateTime: '2024-03-02T08:00:00Z',
  codes: [
    { system: 'urn:oid:2.16.840.1.113883.2.4.4.31.1', code: 'T90', display: 'Diabetes mellitus' },
    { system: 'urn:oid:2.16.840.1.113883.2.4.4.31.1', code: 'K86' },
  ],
  title: 'Ketenzorg DM2',
};
const associations: AssociationInput[] = [
  { id: 'urn:uuid:e5f6a7b8-c9d0-4e1f-8a2b-4c5d6e7f8091', home: HOME, type: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', sourceObject: SET, targetObject: ENTRY_1, submissionSetStatus: 'Original' },
  { id: 'urn:uuid:f6a7b8c9-d0e1-4f2a-9b3c-5d6e7f8091a2', home: HOME, type: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', sourceObject: FOLDER_ID, targetObject: ENTRY_1 },
  { id: 'urn:uuid:a7b8c9d0-e1f2-4a3b-8c4d-6e7f8091a2b3', home: HOME, type: 'urn:ihe:iti:2007:AssociationType:RPLC', sourceObject: ENTRY_2, targetObject: ENTRY_1 },
];
const everything = { documentEntries: [stableEntry, onDemandEntry], submissionSets: [submissionSet], folders: [folder], associations };

const CASES: Record<string, AdhocQueryResponseInput> = {
  'query-response-leafclass.xml': { returnType: 'LeafClass', errors: [], ...everything },
  'query-response-objectref.xml': { returnType: 'ObjectRef', errors: [], ...everything },
  'query-response-empty.xml': { returnType: 'LeafClass', errors: [] },
  'query-response-failure.xml': { returnType: 'LeafClass', errors: [registryError('XDSStoredQueryMissingParam', 'the required parameter $XDSDocumentEntryStatus is missing')] },
  'query-response-partial-success.xml': {
    returnType: 'LeafClass',
    errors: [
      registryError('XDSRegistryError', 'a document could not be read (request 7f3e)'),
      { errorCode: 'XDSTooManyResults', codeContext: 'the result was cut at 1 entry', severity: 'warning' },
    ],
    documentEntries: [stableEntry],
  },
};

function read(xml: string): XmlElement {
  const result = readXml(xml);
  if (!result.ok) throw new Error(`not well-formed: ${JSON.stringify(result.issues)}\n${xml}`);
  return result.root;
}

const slotsOf = (el: XmlElement) =>
  Object.fromEntries(childrenNamed(el, NS.rim, 'Slot').map((s) => [s.attributes.name, descendantsNamed(s, NS.rim, 'Value').map((v) => v.text)]));
const nameOf = (el: XmlElement) => childNamed(el, NS.rim, 'Name')?.children[0]?.attributes.value;

describe('renderAdhocQueryResponse: goldens reviewed against ihe-xca-xcpd.md §2.1, §2.3, §2.4', () => {
  it.each(Object.keys(CASES))('%s', (name) => {
    const actual = renderAdhocQueryResponse(CASES[name]!);
    expect(xcaGolden(name, actual)).toBe(actual);
  });

  it.each<[string, keyof typeof RESPONSE_STATUS]>([
    ['query-response-leafclass.xml', 'Success'],
    ['query-response-objectref.xml', 'Success'],
    ['query-response-empty.xml', 'Success'],
    ['query-response-failure.xml', 'Failure'],
    ['query-response-partial-success.xml', 'PartialSuccess'],
  ])('%s has status %s and always a RegistryObjectList', (name, status) => {
    const root = read(renderAdhocQueryResponse(CASES[name]!));
    expect([root.ns, root.name, root.attributes.status]).toEqual([NS.query, 'AdhocQueryResponse', RESPONSE_STATUS[status]]);
    expect(childNamed(root, NS.rim, 'RegistryObjectList')).toBeDefined();
  });
});

describe('renderAdhocQueryResponse: read back, it holds what was put in', () => {
  const root = read(renderAdhocQueryResponse(CASES['query-response-leafclass.xml']!));
  const list = childNamed(root, NS.rim, 'RegistryObjectList')!;
  const [stable, onDemand] = childrenNamed(list, NS.rim, 'ExtrinsicObject');
  const [set, folderPackage] = childrenNamed(list, NS.rim, 'RegistryPackage');

  it('DocumentEntries: ids, home, objectType, status and every slot, times in UTC', () => {
    expect(stable!.attributes).toEqual({
      id: ENTRY_1, home: HOME, objectType: DOCUMENT_ENTRY_TYPE.stable, status: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved', mimeType: 'text/xml',
    });
    expect(slotsOf(stable!)).toEqual({
      creationTime: ['20240301091530'],
      hash: ['da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      languageCode: ['nl-NL'],
      legalAuthenticator: ['^Jansen^Piet^^^dr.'],
      repositoryUniqueId: ['2.999.1.2'],
      serviceStartTime: ['20240228080000'],
      serviceStopTime: ['20240228'],
      size: ['4096'],
      sourcePatientId: ['PAT-7^^^&2.999.1.11&ISO'],
      'urn:ihe:iti:xds:2013:referenceIdList': ['ORD-1001^^^&2.999.1.5&ISO^urn:ihe:iti:xds:2013:order'],
    });
    expect(nameOf(stable!)).toBe('Diabetes jaarcontrole 2024');
    expect(childNamed(stable!, NS.rim, 'Description')!.children[0]!.attributes.value).toBe('Samenvatting van de jaarcontrole');
  });

  it('an on-demand entry has no hash or size, carries its deprecated status, and home in the urn:oid: form', () => {
    expect(onDemand!.attributes).toMatchObject({ id: ENTRY_2, home: HOME, objectType: DOCUMENT_ENTRY_TYPE['on-demand'], status: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated' });
    expect(Object.keys(slotsOf(onDemand!))).toEqual(['creationTime', 'languageCode', 'repositoryUniqueId']);
    expect(slotsOf(onDemand!).creationTime).toEqual(['20240301']);
    expect(nameOf(onDemand!)).toBeUndefined();
  });

  it('DocumentEntry classifications: the scheme UUIDs of §2.3, code, coding scheme as an OID, display or the code', () => {
    const classifications = childrenNamed(stable!, NS.rim, 'Classification').map((c) => ({
      scheme: c.attributes.classificationScheme,
      classified: c.attributes.classifiedObject,
      code: c.attributes.nodeRepresentation,
      ...slotsOf(c),
      name: nameOf(c),
    }));
    expect(classifications).toEqual([
      {
        scheme: DOCUMENT_ENTRY.author, classified: ENTRY_1, code: '', name: undefined,
        authorPerson: ['^Jansen^Piet^^^dr.'], authorInstitution: ['Huisartsenpraktijk De Linde^^^^^^^^^2.999.1.10'], authorRole: ['huisarts'], authorTelecommunication: ['^^Internet^p.jansen@example.org'],
      },
      { scheme: DOCUMENT_ENTRY.author, classified: ENTRY_1, code: '', name: undefined, authorInstitution: ['Huisartsenpraktijk De Linde^^^^^^^^^2.999.1.10'] },
      { scheme: DOCUMENT_ENTRY.classCode, classified: ENTRY_1, code: '11488-4', codingScheme: [LOINC], name: 'Consult note' },
      { scheme: DOCUMENT_ENTRY.confidentialityCode, classified: ENTRY_1, code: 'N', codingScheme: ['2.16.840.1.113883.5.25'], name: 'normal' },
      { scheme: DOCUMENT_ENTRY.confidentialityCode, classified: ENTRY_1, code: 'R', codingScheme: ['2.16.840.1.113883.5.25'], name: 'R' },
      { scheme: DOCUMENT_ENTRY.eventCodeList, classified: ENTRY_1, code: 'T90', codingScheme: ['2.16.840.1.113883.2.4.4.31.1'], name: 'Diabetes mellitus' },
      { scheme: DOCUMENT_ENTRY.formatCode, classified: ENTRY_1, code: 'urn:ihe:pcc:xphr:2007', codingScheme: ['1.3.6.1.4.1.19376.1.2.3'], name: 'HL7 CCD Document' },
      { scheme: DOCUMENT_ENTRY.healthcareFacilityTypeCode, classified: ENTRY_1, code: '22232009', codingScheme: [SNOMED], name: 'Hospital' },
      { scheme: DOCUMENT_ENTRY.practiceSettingCode, classified: ENTRY_1, code: '394802001', codingScheme: [SNOMED], name: 'General medicine' },
      { scheme: DOCUMENT_ENTRY.typeCode, classified: ENTRY_1, code: '34133-9', codingScheme: [LOINC], name: 'Summary of episode note' },
    ]);
  });

  it('ExternalIdentifiers: patient id and uniqueId, each naming its object', () => {
    const identifiers = (el: XmlElement) =>
      childrenNamed(el, NS.rim, 'ExternalIdentifier').map((e) => [e.attributes.identificationScheme, e.attributes.registryObject, e.attributes.value, nameOf(e)]);
    expect(identifiers(stable!)).toEqual([
      [DOCUMENT_ENTRY.patientId, ENTRY_1, PATIENT_CX, 'XDSDocumentEntry.patientId'],
      [DOCUMENT_ENTRY.uniqueId, ENTRY_1, '2.999.1.4.1001', 'XDSDocumentEntry.uniqueId'],
    ]);
    expect(identifiers(set!)).toEqual([
      [SUBMISSION_SET.uniqueId, SET, '2.999.1.9.1', 'XDSSubmissionSet.uniqueId'],
      [SUBMISSION_SET.sourceId, SET, '2.999.1.6', 'XDSSubmissionSet.sourceId'],
      [SUBMISSION_SET.patientId, SET, PATIENT_CX, 'XDSSubmissionSet.patientId'],
    ]);
    expect(identifiers(folderPackage!)).toEqual([
      [FOLDER.patientId, FOLDER_ID, PATIENT_CX, 'XDSFolder.patientId'],
      [FOLDER.uniqueId, FOLDER_ID, '2.999.1.8.1', 'XDSFolder.uniqueId'],
    ]);
  });

  it('RegistryPackages: classified as SubmissionSet or Folder, with their slots and codes', () => {
    const nodes = (el: XmlElement) => childrenNamed(el, NS.rim, 'Classification').flatMap((c) => (c.attributes.classificationNode ? [[c.attributes.classificationNode, c.attributes.classifiedObject]] : []));
    expect(set!.attributes).toMatchObject({ id: SET, home: HOME });
    expect(slotsOf(set!)).toEqual({ submissionTime: ['20240301102000'] });
    expect(nodes(set!)).toEqual([[SUBMISSION_SET.node, SET]]);
    expect(childrenNamed(set!, NS.rim, 'Classification').map((c) => c.attributes.classificationScheme)).toEqual([SUBMISSION_SET.author, SUBMISSION_SET.contentTypeCode, undefined]);
    expect(folderPackage!.attributes).toMatchObject({ id: FOLDER_ID, home: HOME });
    expect(slotsOf(folderPackage!)).toEqual({ lastUpdateTime: ['20240302080000'] });
    expect(nodes(folderPackage!)).toEqual([[FOLDER.node, FOLDER_ID]]);
    expect(childrenNamed(folderPackage!, NS.rim, 'Classification').map((c) => c.attributes.nodeRepresentation)).toEqual(['T90', 'K86', undefined]);
  });

  it('Associations: type, source, target and the SubmissionSetStatus slot', () => {
    expect(childrenNamed(list, NS.rim, 'Association').map((a) => [a.attributes.associationType, a.attributes.sourceObject, a.attributes.targetObject, slotsOf(a)])).toEqual([
      ['urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', SET, ENTRY_1, { SubmissionSetStatus: ['Original'] }],
      ['urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', FOLDER_ID, ENTRY_1, {}],
      ['urn:ihe:iti:2007:AssociationType:RPLC', ENTRY_2, ENTRY_1, {}],
    ]);
  });

  it('every id in the response is a distinct urn:uuid:', () => {
    const withIds = (el: XmlElement): string[] => [...(el.attributes.id ? [el.attributes.id] : []), ...el.children.flatMap(withIds)];
    const ids = withIds(list);
    // 7 objects; Classifications + ExternalIdentifiers of each entry, the set and the folder.
    expect(ids).toHaveLength(7 + (10 + 2) + (6 + 2) + (3 + 3) + (3 + 2));
    for (const id of ids) expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('ObjectRef gives id and home only, for every object', () => {
    const refs = childNamed(read(renderAdhocQueryResponse(CASES['query-response-objectref.xml']!)), NS.rim, 'RegistryObjectList')!.children;
    expect(refs.map((r) => [r.name, r.attributes])).toEqual(
      [ENTRY_1, ENTRY_2, SET, FOLDER_ID, ...associations.map((a) => a.id)].map((id) => ['ObjectRef', { id, home: HOME }]),
    );
  });
});

describe('renderAdhocQueryResponse: hostile content', () => {
  const HOSTILE = `<script>&amp;"'\u0001\u0000\uFFFE\uD800 ]]> \r\n\t`;

  it('stays well-formed and carries the text, with what XML cannot hold replaced', () => {
    const document = Document.parse({ ...baseDocument, title: `a${HOSTILE}z`, comments: `a${HOSTILE}z` });
    const entry: DocumentEntryInput = { ...stableEntry, document, patientCx: `x${HOSTILE}` };
    const root = read(renderAdhocQueryResponse({ returnType: 'LeafClass', errors: [registryError('XDSRegistryError', HOSTILE)], documentEntries: [entry] }));
    const carried = `a<script>&amp;"'\uFFFD\uFFFD\uFFFD\uFFFD ]]> \r\n\tz`;
    const object = childNamed(childNamed(root, NS.rim, 'RegistryObjectList')!, NS.rim, 'ExtrinsicObject')!;
    expect(nameOf(object)).toBe(carried);
    expect(descendantsNamed(root, NS.rs, 'RegistryError')[0]!.attributes.codeContext).toBe(carried.slice(1, -1));
  });

  it('never throws and always writes well-formed XML, whatever strings the objects hold (property)', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('<', '&', '"', '\u0000', '\uD800', '\r'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))), maxLength: 30 });
    fc.assert(
      fc.property(text, text, text, text, (title, id, cx, code) => {
        const xml = renderAdhocQueryResponse({
          returnType: 'LeafClass',
          errors: [registryError('XDSRegistryError', code)],
          documentEntries: [{ ...stableEntry, document: { ...stableEntry.document, title, entryUuid: id, creationTime: code, classCode: { system: code, code } }, patientCx: cx }],
          folders: [{ ...folder, entryUuid: id, lastUpdateTime: title, codes: [{ system: id, code: cx }] }],
          associations: [{ ...associations[0]!, sourceObject: id, targetObject: cx }],
        });
        expect(readXml(xml).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sourcePatientIdFor', () => {
  it('gives our patient id for a source patient id under the BSN authority, and any other as it is', () => {
    expect(sourcePatientIdFor('999900018^^^&2.16.840.1.113883.2.4.6.3&ISO', PATIENT_CX)).toBe(PATIENT_CX);
    expect(sourcePatientIdFor('999900018^^^&urn:oid:2.16.840.1.113883.2.4.6.3&ISO', PATIENT_CX)).toBe(PATIENT_CX);
    expect(sourcePatientIdFor('PAT-7^^^&2.999.1.11&ISO', PATIENT_CX)).toBe('PAT-7^^^&2.999.1.11&ISO');
    expect(sourcePatientIdFor('PAT-7', PATIENT_CX)).toBe('PAT-7');
    expect(sourcePatientIdFor(undefined, PATIENT_CX)).toBeUndefined();
  });

  it('renders a stored BSN source patient id as the patient id the query named', () => {
    const bsnDocument = Document.parse({ ...baseDocument, sourcePatientId: '999900018^^^&2.16.840.1.113883.2.4.6.3&ISO' });
    const xml = renderAdhocQueryResponse({ returnType: 'LeafClass', errors: [], documentEntries: [{ ...stableEntry, document: bsnDocument }] });
    expect(xml).not.toContain('999900018');
    expect(xml).toContain(`<rim:Value>${PATIENT_CX.replace(/&/g, '&amp;')}</rim:Value>`);
  });
});
