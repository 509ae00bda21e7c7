import { describe, expect, it } from '@jest/globals';
import { FIXTURE_COMMUNITY, xcaSample } from '../../fixtures/ihe/xca/fixtures.js';
import { childNamed, NS, readXml, type XmlElement } from '../xml/index.js';
import { parseAdhocQueryRequest, type AdhocQueryParse } from './parse-adhoc-query.js';
import { STORED_QUERIES } from './stored-queries.js';

const OPTIONS = { homeCommunityId: FIXTURE_COMMUNITY.homeCommunityId };
const FD = STORED_QUERIES.FindDocuments.id;
const GD = STORED_QUERIES.GetDocuments.id;
const APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')";
const PID = "'0012345678^^^&amp;2.999.1.3&amp;ISO'";
const PATIENT = { cx: '0012345678^^^&2.999.1.3&ISO', id: '0012345678', assigningAuthority: FIXTURE_COMMUNITY.assigningAuthority };
const E1 = 'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const E2 = 'urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const LOINC = '2.16.840.1.113883.6.1';
const ICPC = '2.16.840.1.113883.2.4.4.31.1';
const CONFIDENTIALITY = '2.16.840.1.113883.5.25';
const XPHR = { code: 'urn:ihe:pcc:xphr:2007', scheme: '1.3.6.1.4.1.19376.1.2.3' };

function root(xml: string): XmlElement {
  const read = readXml(xml);
  if (!read.ok) throw new Error(`fixture is not XML: ${JSON.stringify(read.issues)}`);
  return read.root;
}

/** The Body's first child of a SOAP sample, as the gateway hands it over. */
function body(name: string): XmlElement {
  const envelope = root(xcaSample(name));
  return childNamed(envelope, NS.soap12, 'Body')!.children[0]!;
}

type Slots = readonly (readonly [string, ...string[]])[];

/** A request built in place: each slot is its name and its Value texts (XML-escaped already). */
function request(id: string, slots: Slots, attributes: { home?: string; returnType?: string } = {}): XmlElement {
  const home = attributes.home === undefined ? '' : ` home="${attributes.home}"`;
  const option = attributes.returnType === undefined ? '' : `<q:ResponseOption returnType="${attributes.returnType}"/>`;
  const slotXml = slots.map(([name, ...values]) => `<r:Slot name="${name}"><r:ValueList>${values.map((v) => `<r:Value>${v}</r:Value>`).join('')}</r:ValueList></r:Slot>`);
  return root(`<q:AdhocQueryRequest xmlns:q="${NS.query}" xmlns:r="${NS.rim}">${option}<r:AdhocQuery id="${id}"${home}>${slotXml.join('')}</r:AdhocQuery></q:AdhocQueryRequest>`);
}

const parse = (el: XmlElement) => parseAdhocQueryRequest(el, OPTIONS);
const errorsOf = (result: AdhocQueryParse) => (result.ok ? [] : result.errors.map((e) => [e.errorCode, e.codeContext]));
const queryOf = (result: AdhocQueryParse) => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.query;
};
const findDocuments = (...slots: Slots) => request(FD, [['$XDSDocumentEntryPatientId', PID], ['$XDSDocumentEntryStatus', APPROVED], ...slots]);

describe('parseAdhocQueryRequest: the samples as initiators send them', () => {
  it('FindDocuments: patient, Approved, both entry types; unknown attributes ignored, the patient id stays a string', () => {
    expect(queryOf(parse(body('find-documents.xml')))).toEqual({
      name: 'FindDocuments',
      id: FD,
      returnType: 'LeafClass',
      home: '2.999.1.1',
      params: { patientId: PATIENT, status: ['Approved'], entryTypes: ['stable', 'on-demand'] },
    });
  });

  it('FindDocuments with time ranges: unquoted and quoted times, truncated precision, unquoted entry type UUIDs', () => {
    const query = queryOf(parse(body('find-documents-time-range.xml')));
    expect(query.params).toEqual({
      patientId: { cx: 'PAT-7^^^&2.999.1.3&ISO', id: 'PAT-7', assigningAuthority: '2.999.1.3' },
      status: ['Approved', 'Deprecated'],
      serviceStartTimeFrom: { value: '20230101000000', start: '2023-01-01T00:00:00.000Z' },
      serviceStartTimeTo: { value: '20241231235959', start: '2024-12-31T23:59:59.000Z' },
      creationTimeFrom: { value: '202301', start: '2023-01-01T00:00:00.000Z' },
      creationTimeTo: { value: '2025', start: '2025-01-01T00:00:00.000Z' },
      entryTypes: ['stable', 'on-demand'],
    });
  });

  it('FindDocuments with every optional filter: event codes AND-of-ORs, display names ignored, LIKE patterns kept', () => {
    const query = queryOf(parse(body('find-documents-filters.xml')));
    expect(query).toMatchObject({ name: 'FindDocuments', returnType: 'LeafClass' });
    expect(query).not.toHaveProperty('home');
    expect(query.params).toEqual({
      patientId: PATIENT,
      status: ['Approved'],
      classCodes: [{ code: '11488-4', scheme: LOINC }, { code: '34133-9', scheme: LOINC }],
      typeCodes: [{ code: '18842-5', scheme: LOINC }],
      practiceSettingCodes: [{ code: '394802001', scheme: '2.16.840.1.113883.6.96' }],
      healthcareFacilityTypeCodes: [{ code: '22232009', scheme: '2.16.840.1.113883.6.96' }],
      formatCodes: [XPHR],
      eventCodes: [[{ code: 'T90', scheme: ICPC }, { code: 'T90.02', scheme: ICPC }], [{ code: 'K86', scheme: ICPC }]],
      confidentialityCodes: [[{ code: 'N', scheme: CONFIDENTIALITY }, { code: 'R', scheme: CONFIDENTIALITY }]],
      creationTimeFrom: { value: '20240101', start: '2024-01-01T00:00:00.000Z' },
      creationTimeTo: { value: '20240201', start: '2024-02-01T00:00:00.000Z' },
      serviceStartTimeFrom: { value: '2024', start: '2024-01-01T00:00:00.000Z' },
      serviceStartTimeTo: { value: '202406', start: '2024-06-01T00:00:00.000Z' },
      serviceStopTimeFrom: { value: '2024010112', start: '2024-01-01T12:00:00.000Z' },
      serviceStopTimeTo: { value: '202401011230', start: '2024-01-01T12:30:00.000Z' },
      authorPersons: ['%Jansen%', "O'Brien_%"],
      entryTypes: ['on-demand'],
    });
  });

  it('ObjectRef, with rim as the default namespace and no home (a patient is named)', () => {
    expect(queryOf(parse(body('find-documents-object-ref.xml')))).toEqual({
      name: 'FindDocuments',
      id: FD,
      returnType: 'ObjectRef',
      params: { patientId: PATIENT, status: ['Approved'], entryTypes: ['stable'] },
    });
  });

  it('WCF style: default namespaces, an odd prefix, an upper-case query id, a bare home OID', () => {
    expect(queryOf(parse(body('wcf-default-namespaces.xml')))).toEqual(queryOf(parse(body('find-documents.xml'))));
  });

  it.each([
    ['find-documents-by-reference-id.xml', 'FindDocumentsByReferenceId', {
      patientId: PATIENT,
      status: ['Approved'],
      referenceIds: [['ORD-1001^^^&2.999.1.5&ISO^urn:ihe:iti:xds:2013:order', 'ORD-1002^^^&2.999.1.5&ISO^urn:ihe:iti:xds:2013:order']],
      entryTypes: ['stable'],
    }],
    ['find-submission-sets.xml', 'FindSubmissionSets', {
      patientId: PATIENT,
      status: ['Approved'],
      sourceIds: ['2.999.1.6', '2.999.1.7'],
      submissionTimeFrom: { value: '20240101', start: '2024-01-01T00:00:00.000Z' },
      submissionTimeTo: { value: '20250101', start: '2025-01-01T00:00:00.000Z' },
      authorPerson: '%Jansen%',
      contentTypeCodes: [{ code: '11369-6', scheme: LOINC }],
    }],
    ['find-folders.xml', 'FindFolders', {
      patientId: PATIENT,
      status: ['Approved'],
      lastUpdateTimeFrom: { value: '20240101', start: '2024-01-01T00:00:00.000Z' },
      codes: [[{ code: 'T90', scheme: ICPC }]],
    }],
    ['get-all.xml', 'GetAll', {
      patientId: PATIENT,
      documentEntryStatus: ['Approved'],
      submissionSetStatus: ['Approved'],
      folderStatus: ['Approved'],
      formatCodes: [XPHR],
      entryTypes: ['stable'],
    }],
    ['get-documents.xml', 'GetDocuments', { entryUuids: [E1, E2] }],
    ['get-folders.xml', 'GetFolders', { uniqueIds: ['2.999.1.8.1', '2.999.1.8.2'] }],
    ['get-associations.xml', 'GetAssociations', { uuids: [E1, E2] }],
    ['get-documents-and-associations.xml', 'GetDocumentsAndAssociations', { uniqueIds: ['2.999.1.4.1001', '2.999.1.4.1002^20240101'] }],
    ['get-submission-sets.xml', 'GetSubmissionSets', { uuids: [E1] }],
    ['get-submission-set-and-contents.xml', 'GetSubmissionSetAndContents', {
      uniqueId: '2.999.1.9.1',
      confidentialityCodes: [[{ code: 'N', scheme: CONFIDENTIALITY }], [{ code: 'R', scheme: CONFIDENTIALITY }, { code: 'V', scheme: CONFIDENTIALITY }]],
      formatCodes: [XPHR],
      entryTypes: ['stable', 'on-demand'],
    }],
    ['get-folder-and-contents.xml', 'GetFolderAndContents', { entryUuid: E1, entryTypes: ['stable'] }],
    ['get-folders-for-document.xml', 'GetFoldersForDocument', { uniqueId: '2.999.1.4.1001' }],
    ['get-related-documents.xml', 'GetRelatedDocuments', {
      entryUuid: E1,
      associationTypes: ['urn:ihe:iti:2007:AssociationType:RPLC', 'urn:ihe:iti:2007:AssociationType:APND'],
      entryTypes: ['stable'],
    }],
  ])('%s → %s', (file, name, params) => {
    const query = queryOf(parse(body(file)));
    expect(query).toMatchObject({ name, id: STORED_QUERIES[name as keyof typeof STORED_QUERIES].id, home: '2.999.1.1' });
    expect(query.params).toEqual(params);
  });

  it('the legacy $homeCommunityId slot stands in for AdhocQuery/@home', () => {
    expect(queryOf(parse(body('legacy-home-slot.xml')))).toEqual({
      name: 'GetDocuments', id: GD, returnType: 'LeafClass', home: '2.999.1.1', params: { entryUuids: [E1] },
    });
  });
});

describe('parseAdhocQueryRequest: the samples that must be refused', () => {
  it.each([
    ['unknown-query.xml', [['XDSUnknownStoredQuery', 'unknown stored query urn:uuid:f2072993-9478-41df-a603-8f016706efe8']]],
    ['missing-param.xml', [['XDSStoredQueryMissingParam', 'the required parameter $XDSDocumentEntryStatus is missing']]],
    ['param-number.xml', [['XDSStoredQueryParamNumber', '$XDSDocumentEntryPatientId: the parameter takes one value, 2 were given']]],
    ['missing-home.xml', [['XDSMissingHomeCommunityId', 'this query names no patient, so AdhocQuery/@home must name the community asked']]],
    ['unknown-home.xml', [['XDSUnknownCommunity', 'unknown home community 2.999.3.1']]],
  ])('%s', (file, errors) => {
    const result = parse(body(file));
    expect(errorsOf(result)).toEqual(errors);
    expect(result.ok ? [] : result.errors.map((e) => e.severity)).toEqual(errors.map(() => 'error'));
  });
});

describe('parseAdhocQueryRequest: rules', () => {
  it('refuses what is not an AdhocQueryRequest, or has no AdhocQuery or no id', () => {
    expect(errorsOf(parse(root(`<x:RetrieveDocumentSetRequest xmlns:x="${NS.xdsb}"/>`)))).toEqual([['XDSRegistryError', 'the request is not a query:AdhocQueryRequest']]);
    expect(errorsOf(parse(root(`<q:AdhocQueryRequest xmlns:q="${NS.query}"/>`)))).toEqual([['XDSRegistryError', 'the request has no rim:AdhocQuery']]);
    expect(errorsOf(parse(request('', [])))).toEqual([['XDSUnknownStoredQuery', 'the AdhocQuery has no stored query id']]);
    // An AdhocQuery in the query namespace is not the rim one.
    expect(errorsOf(parse(root(`<q:AdhocQueryRequest xmlns:q="${NS.query}"><q:AdhocQuery id="${FD}"/></q:AdhocQueryRequest>`)))).toEqual([
      ['XDSRegistryError', 'the request has no rim:AdhocQuery'],
    ]);
  });

  it('accepts LeafClass and ObjectRef, defaults to LeafClass, refuses other return types', () => {
    expect(queryOf(parse(request(FD, [['$XDSDocumentEntryPatientId', PID], ['$XDSDocumentEntryStatus', APPROVED]]))).returnType).toBe('LeafClass');
    const slots: Slots = [['$XDSDocumentEntryPatientId', PID], ['$XDSDocumentEntryStatus', APPROVED]];
    expect(queryOf(parse(request(FD, slots, { returnType: 'ObjectRef' }))).returnType).toBe('ObjectRef');
    expect(errorsOf(parse(request(FD, slots, { returnType: 'LeafClassWithRepositoryItem' })))).toEqual([
      ['XDSRegistryError', 'returnType LeafClassWithRepositoryItem is not supported: use LeafClass or ObjectRef'],
    ]);
  });

  it('reports every problem at once', () => {
    const result = parse(request(GD, [['$XDSDocumentEntryEntryUUID', "('not-a-uuid')"], ['$XDSDocumentEntryUniqueId', "('2.999.1')"]], { home: 'urn:oid:2.999.3.1' }));
    expect(errorsOf(result)).toEqual([
      ['XDSUnknownCommunity', 'unknown home community 2.999.3.1'],
      ['XDSRegistryError', '$XDSDocumentEntryEntryUUID: an entryUUID is not a UUID'],
      ['XDSRegistryError', 'only one of the parameters $XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId, $XDSDocumentEntryLogicalID may be given'],
    ]);
  });

  it('one of a group is required', () => {
    expect(errorsOf(parse(request(GD, [], { home: '2.999.1.1' })))).toEqual([
      ['XDSStoredQueryMissingParam', 'one of the parameters $XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId, $XDSDocumentEntryLogicalID is required'],
    ]);
  });

  it('a slot without values, or with an empty list, is a missing parameter', () => {
    expect(errorsOf(parse(request(FD, [['$XDSDocumentEntryPatientId'], ['$XDSDocumentEntryStatus', '()']])))).toEqual([
      ['XDSStoredQueryMissingParam', 'the required parameter $XDSDocumentEntryPatientId is missing'],
      ['XDSStoredQueryMissingParam', 'the required parameter $XDSDocumentEntryStatus is missing'],
    ]);
  });

  it('a single-valued parameter in a one-item list is accepted; two of them, or a repeated slot, are too many', () => {
    expect(queryOf(parse(request(FD, [['$XDSDocumentEntryPatientId', `(${PID})`], ['$XDSDocumentEntryStatus', APPROVED]]))).params).toMatchObject({ patientId: PATIENT });
    expect(errorsOf(parse(findDocuments(['$XDSDocumentEntryCreationTimeFrom', '(20240101, 20240102)'])))).toEqual([
      ['XDSStoredQueryParamNumber', '$XDSDocumentEntryCreationTimeFrom: the parameter takes one value, 2 were given'],
    ]);
    expect(errorsOf(parse(findDocuments(['$XDSDocumentEntryCreationTimeFrom', '20240101'], ['$XDSDocumentEntryCreationTimeFrom', '20240102'])))).toEqual([
      ['XDSStoredQueryParamNumber', '$XDSDocumentEntryCreationTimeFrom: the parameter takes one value, 2 were given'],
    ]);
  });

  it('only the AND-of-ORs parameters may repeat their slot', () => {
    expect(errorsOf(parse(findDocuments(['$XDSDocumentEntryClassCode', `('a^^${LOINC}')`], ['$XDSDocumentEntryClassCode', `('b^^${LOINC}')`])))).toEqual([
      ['XDSRegistryError', '$XDSDocumentEntryClassCode: the parameter may be given in one slot only'],
    ]);
    expect(queryOf(parse(findDocuments(['$XDSDocumentEntryConfidentialityCode', `('N^^${CONFIDENTIALITY}')`], ['$XDSDocumentEntryConfidentialityCode', `('R^^${CONFIDENTIALITY}')`]))).params)
      .toMatchObject({ confidentialityCodes: [[{ code: 'N', scheme: CONFIDENTIALITY }], [{ code: 'R', scheme: CONFIDENTIALITY }]] });
  });

  it.each([
    ['$XDSDocumentEntryPatientId', "'0012345678^^^&amp;SECRET&amp;ISO'", 'the patient id has no assigning authority &OID&ISO (CX.4) in id^^^&OID&ISO'],
    ['$XDSDocumentEntryPatientId', "'^^^&amp;2.999.1.3&amp;ISO'", 'the patient id has no ID number (CX.1) in id^^^&OID&ISO'],
    ['$XDSDocumentEntryPatientId', "'0012345678^^^&amp;2.999.1.3&amp;L'", 'the patient id has no assigning authority &OID&ISO (CX.4) in id^^^&OID&ISO'],
    ['$XDSDocumentEntryPatientId', "'Jansen, Piet", 'a quoted string is not closed'],
    ['$XDSDocumentEntryPatientId', "'0012345678^^^&amp;2.999.1.3&amp;ISO' Jansen", 'the value has text after its closing quote'],
  ])('a malformed patient id is refused without repeating it: %s %s', (slot, value, reason) => {
    const result = parse(request(FD, [[slot, value], ['$XDSDocumentEntryStatus', APPROVED]]));
    expect(errorsOf(result)).toEqual([['XDSRegistryError', `${slot}: ${reason}`]]);
    expect(JSON.stringify(result)).not.toMatch(/0012345678|Jansen|SECRET/);
  });

  it.each([
    ['$XDSDocumentEntryStatus', "('Approved'", 'a list opened with ( is not closed with )'],
    ['$XDSDocumentEntryStatus', "('urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted')", 'a status is not urn:oasis:names:tc:ebxml-regrep:StatusType:Approved or :Deprecated'],
    ['$XDSDocumentEntryClassCode', "('11488-4')", 'a code is not written code^^scheme'],
    ['$XDSDocumentEntryClassCode', "('a' 'b')", 'list items must be separated by commas'],
    ['$XDSDocumentEntryClassCode', "('a^^1',,'b^^1')", 'the value or a list item is empty'],
    ['$XDSDocumentEntryCreationTimeFrom', '2024-01-01', 'a time is not written YYYY[MM[DD[hh[mm[ss]]]]]'],
    ['$XDSDocumentEntryCreationTimeFrom', '20240230', 'a time names a date or time that does not exist'],
    ['$XDSDocumentEntryCreationTimeFrom', '2024010124', 'a time names a date or time that does not exist'],
    ['$XDSDocumentEntryType', "('urn:uuid:00000000-0000-4000-8000-000000000000')", 'a DocumentEntry type is neither the stable nor the on-demand objectType UUID'],
    ['$XDSDocumentEntryAuthorPerson', "('')", 'the value is an empty string'],
    ['$XDSDocumentEntryAuthorPerson', "'a', 'b'", 'several items must be written as a list in parentheses'],
    ['$XDSDocumentEntryAuthorPerson', "(a(b))", 'an unquoted item holds a quote or a parenthesis'],
  ])('refuses %s = %s: %s', (slot, value, reason) => {
    const slots: Slots = slot === '$XDSDocumentEntryStatus' ? [['$XDSDocumentEntryPatientId', PID], [slot, value]] : [['$XDSDocumentEntryPatientId', PID], ['$XDSDocumentEntryStatus', APPROVED], [slot, value]];
    expect(errorsOf(parse(request(FD, slots)))).toEqual([['XDSRegistryError', `${slot}: ${reason}`]]);
  });

  it('refuses an association type XDS does not define', () => {
    const result = parse(request(STORED_QUERIES.GetRelatedDocuments.id, [['$XDSDocumentEntryUniqueId', "'2.999.1'"], ['$AssociationTypes', "('urn:x:Sibling')"]], { home: '2.999.1.1' }));
    expect(errorsOf(result)).toEqual([['XDSRegistryError', '$AssociationTypes: an association type is not one XDS defines']]);
  });

  it('checks home on queries that name a patient too, in either form, and against our id in either form', () => {
    const slots: Slots = [['$XDSDocumentEntryPatientId', PID], ['$XDSDocumentEntryStatus', APPROVED]];
    expect(errorsOf(parse(request(FD, slots, { home: 'urn:oid:2.999.3.1' })))).toEqual([['XDSUnknownCommunity', 'unknown home community 2.999.3.1']]);
    expect(queryOf(parseAdhocQueryRequest(request(FD, slots, { home: 'URN:OID:2.999.1.1' }), { homeCommunityId: 'urn:oid:2.999.1.1' })).home).toBe('2.999.1.1');
  });

  it('checks the legacy slot and the attribute alike', () => {
    const result = parse(request(GD, [['$XDSDocumentEntryEntryUUID', `('${E1}')`], ['$homeCommunityId', "'urn:oid:2.999.3.1'"]], { home: 'urn:oid:2.999.1.1' }));
    expect(errorsOf(result)).toEqual([['XDSUnknownCommunity', 'unknown home community 2.999.3.1']]);
    const twoValues = parse(request(GD, [['$XDSDocumentEntryEntryUUID', `('${E1}')`], ['$homeCommunityId', "('2.999.1.1', '2.999.1.1')"]]));
    expect(errorsOf(twoValues)).toEqual([
      ['XDSStoredQueryParamNumber', '$homeCommunityId: the parameter takes one value, 2 were given'],
      ['XDSMissingHomeCommunityId', 'this query names no patient, so AdhocQuery/@home must name the community asked'],
    ]);
  });

  it('cuts a long unknown id short in the codeContext', () => {
    expect(errorsOf(parse(request(`urn:uuid:${'x'.repeat(500)}`, [])))).toEqual([['XDSUnknownStoredQuery', `unknown stored query urn:uuid:${'x'.repeat(55)}…`]]);
  });

  it('ignores slots the query does not define, and accepts doubled quotes and commas inside quoted items', () => {
    const query = queryOf(parse(findDocuments(['$XDSDocumentEntryAuthorPerson', "('Jansen, P.', 'd''Ancona')"], ['maxResults', "'10'"], ['$Unknown', 'garbage ('])));
    expect(query.params).toMatchObject({ authorPersons: ['Jansen, P.', "d'Ancona"] });
  });
});
