import { describe, expect, it } from '@jest/globals';
import type { PatientId, QueryCode } from './slot-values.js';
import { needsHome, STORED_QUERIES, storedQueryNamed, type StoredQuery, type StoredQuerySpec } from './stored-queries.js';
import type { DocumentEntryType } from './vocabulary.js';

const specs = Object.entries(STORED_QUERIES) as [keyof typeof STORED_QUERIES, StoredQuerySpec][];

describe('the stored query table', () => {
  it('holds the ITI-38 queries of ihe-xca-xcpd.md §2.2 with their ids, and not ITI-63 Fetch', () => {
    expect(Object.fromEntries(specs.map(([name, spec]) => [name, spec.id]))).toEqual({
      FindDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
      FindDocumentsByReferenceId: 'urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492',
      FindSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
      FindFolders: 'urn:uuid:958f3006-baad-4929-a4de-ff1114824431',
      GetAll: 'urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3',
      GetDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
      GetFolders: 'urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4',
      GetAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
      GetDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
      GetSubmissionSets: 'urn:uuid:51224314-5390-4169-9b91-b1980040715a',
      GetSubmissionSetAndContents: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
      GetFolderAndContents: 'urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7',
      GetFoldersForDocument: 'urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578',
      GetRelatedDocuments: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
    });
    expect(storedQueryNamed('urn:uuid:f2072993-9478-41df-a603-8f016706efe8')).toBeUndefined();
  });

  it('finds a query by its id in any spelling', () => {
    expect(storedQueryNamed('urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d')).toBe('FindDocuments');
    expect(storedQueryNamed('URN:UUID:14D4DEBF-8F97-4251-9A74-A90016B0AF0D')).toBe('FindDocuments');
    expect(storedQueryNamed(' 14d4debf-8f97-4251-9a74-a90016b0af0d ')).toBe('FindDocuments');
    expect(storedQueryNamed('FindDocuments')).toBeUndefined();
  });

  it('requires home exactly for the queries that name no patient', () => {
    expect(specs.filter(([, spec]) => needsHome(spec)).map(([name]) => name)).toEqual([
      'GetDocuments', 'GetFolders', 'GetAssociations', 'GetDocumentsAndAssociations', 'GetSubmissionSets',
      'GetSubmissionSetAndContents', 'GetFolderAndContents', 'GetFoldersForDocument', 'GetRelatedDocuments',
    ]);
  });

  it.each(specs)('%s: one parameter per slot, one-of groups name optional parameters of the query', (_, spec) => {
    const slots = Object.values(spec.parameters).map((p) => p.slot);
    expect(new Set(slots).size).toBe(slots.length);
    for (const slot of slots) expect(slot).toMatch(/^\$[A-Za-z]+$/);
    for (const key of (spec.oneOf ?? []).flat()) expect(spec.parameters[key]).toMatchObject({ slot: expect.any(String) });
    for (const key of (spec.oneOf ?? []).flat()) expect(spec.parameters[key]!.required).toBeUndefined();
  });

  it('gives FindDocuments every filter of §2.2, AND-of-ORs for event and confidentiality codes only', () => {
    const parameters = Object.values(STORED_QUERIES.FindDocuments.parameters) as StoredQuerySpec['parameters'][string][];
    expect(parameters.map((p) => `${p.slot} ${p.kind} ${p.cardinality}${p.required ? ' required' : ''}`)).toEqual([
      '$XDSDocumentEntryPatientId patientId single required',
      '$XDSDocumentEntryClassCode code list',
      '$XDSDocumentEntryTypeCode code list',
      '$XDSDocumentEntryPracticeSettingCode code list',
      '$XDSDocumentEntryHealthcareFacilityTypeCode code list',
      '$XDSDocumentEntryFormatCode code list',
      '$XDSDocumentEntryEventCodeList code andOr',
      '$XDSDocumentEntryConfidentialityCode code andOr',
      '$XDSDocumentEntryCreationTimeFrom time single',
      '$XDSDocumentEntryCreationTimeTo time single',
      '$XDSDocumentEntryServiceStartTimeFrom time single',
      '$XDSDocumentEntryServiceStartTimeTo time single',
      '$XDSDocumentEntryServiceStopTimeFrom time single',
      '$XDSDocumentEntryServiceStopTimeTo time single',
      '$XDSDocumentEntryAuthorPerson string list',
      '$XDSDocumentEntryStatus status list required',
      '$XDSDocumentEntryType entryType list',
    ]);
    expect(STORED_QUERIES.FindDocuments.parameters.entryTypes.whenAbsent).toEqual(['stable']);
  });

  it('types each query by its name (checked by tsc: the gateway reads parameters without casts)', () => {
    const describeQuery = (query: StoredQuery): string => {
      switch (query.name) {
        case 'FindDocuments': {
          const patient: PatientId = query.params.patientId;
          const types: readonly DocumentEntryType[] = query.params.entryTypes;
          const events: readonly (readonly QueryCode[])[] | undefined = query.params.eventCodes;
          const home: string | undefined = query.home;
          return `${patient.id} ${types.join('+')} ${events?.length ?? 0} ${home ?? '-'} ${query.params.creationTimeFrom?.start ?? '-'}`;
        }
        case 'GetDocuments': {
          const home: string = query.home;
          return `${home} ${query.params.entryUuids?.length ?? 0}`;
        }
        default:
          return query.name;
      }
    };
    const patientId = { cx: '1^^^&2.999.1.3&ISO', id: '1', assigningAuthority: '2.999.1.3' };
    expect(describeQuery({ name: 'FindDocuments', id: STORED_QUERIES.FindDocuments.id, returnType: 'LeafClass', params: { patientId, status: ['Approved'], entryTypes: ['stable'] } }))
      .toBe('1 stable 0 - -');
    expect(describeQuery({ name: 'GetDocuments', id: STORED_QUERIES.GetDocuments.id, returnType: 'ObjectRef', home: '2.999.1.1', params: { entryUuids: ['urn:uuid:x'] } }))
      .toBe('2.999.1.1 1');
  });
});
