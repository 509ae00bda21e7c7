import { urnUuid } from './ids.js';
import type { PatientId, QueryCode, QueryTime } from './slot-values.js';
import type { AssociationType, AvailabilityStatus, DocumentEntryType } from './vocabulary.js';

/**
 * The ITI-38 stored queries a responding gateway answers (ihe-xca-xcpd.md §2.2; parameters and their rules from
 * IPF `QueryParameter.java` and `AdhocQueryRequestValidator.java`), as data: the parser reads every slot through
 * this table, and the typed query the gateway executes is derived from it, so the two cannot drift apart.
 */
export type ValueKind = 'string' | 'patientId' | 'code' | 'time' | 'status' | 'uuid' | 'entryType' | 'associationType';

/**
 * `single`: one value. `list`: one slot whose values are ORed. `andOr`: each slot ORs its values and repeated
 * slots are ANDed (`$XDSDocumentEntryEventCodeList`, `…ConfidentialityCode`, `$XDSFolderCodeList`,
 * `…ReferenceIdList`); every other parameter may appear in one slot only.
 */
export type Cardinality = 'single' | 'list' | 'andOr';

export interface ParameterSpec {
  readonly slot: string;
  readonly kind: ValueKind;
  readonly cardinality: Cardinality;
  readonly required?: true;
  /** What an absent parameter means, so the query always carries it. */
  readonly whenAbsent?: readonly DocumentEntryType[];
}

export interface StoredQuerySpec {
  /** `urn:uuid:` and the lower-case stored query UUID. */
  readonly id: string;
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
  /** Groups of parameter keys of which exactly one must be given. */
  readonly oneOf?: readonly (readonly string[])[];
}

const single = <S extends string, K extends ValueKind>(slot: S, kind: K) => ({ slot, kind, cardinality: 'single' }) as const;
const list = <S extends string, K extends ValueKind>(slot: S, kind: K) => ({ slot, kind, cardinality: 'list' }) as const;
const andOr = <S extends string, K extends ValueKind>(slot: S, kind: K) => ({ slot, kind, cardinality: 'andOr' }) as const;
const required = <P extends ParameterSpec>(spec: P) => ({ ...spec, required: true }) as const;

/**
 * Absent means stable entries only (ihe-xca-xcpd.md §2.2, marked unverified there), which is also why real
 * initiators name both types.
 */
const ENTRY_TYPES = { ...list('$XDSDocumentEntryType', 'entryType'), whenAbsent: ['stable'] } as const;

const DOCUMENT_ENTRY_FILTERS = {
  classCodes: list('$XDSDocumentEntryClassCode', 'code'),
  typeCodes: list('$XDSDocumentEntryTypeCode', 'code'),
  practiceSettingCodes: list('$XDSDocumentEntryPracticeSettingCode', 'code'),
  healthcareFacilityTypeCodes: list('$XDSDocumentEntryHealthcareFacilityTypeCode', 'code'),
  formatCodes: list('$XDSDocumentEntryFormatCode', 'code'),
  eventCodes: andOr('$XDSDocumentEntryEventCodeList', 'code'),
  confidentialityCodes: andOr('$XDSDocumentEntryConfidentialityCode', 'code'),
  creationTimeFrom: single('$XDSDocumentEntryCreationTimeFrom', 'time'),
  creationTimeTo: single('$XDSDocumentEntryCreationTimeTo', 'time'),
  serviceStartTimeFrom: single('$XDSDocumentEntryServiceStartTimeFrom', 'time'),
  serviceStartTimeTo: single('$XDSDocumentEntryServiceStartTimeTo', 'time'),
  serviceStopTimeFrom: single('$XDSDocumentEntryServiceStopTimeFrom', 'time'),
  serviceStopTimeTo: single('$XDSDocumentEntryServiceStopTimeTo', 'time'),
  /** SQL LIKE patterns: `%` any run of characters, `_` one character. */
  authorPersons: list('$XDSDocumentEntryAuthorPerson', 'string'),
  status: required(list('$XDSDocumentEntryStatus', 'status')),
  entryTypes: ENTRY_TYPES,
} as const;

/** The DocumentEntry filters of the *AndContents queries and GetAll. */
const CONTENT_FILTERS = {
  confidentialityCodes: andOr('$XDSDocumentEntryConfidentialityCode', 'code'),
  formatCodes: list('$XDSDocumentEntryFormatCode', 'code'),
  entryTypes: ENTRY_TYPES,
} as const;

export const STORED_QUERIES = {
  FindDocuments: {
    id: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
    parameters: { patientId: required(single('$XDSDocumentEntryPatientId', 'patientId')), ...DOCUMENT_ENTRY_FILTERS },
  },
  FindDocumentsByReferenceId: {
    id: 'urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492',
    parameters: {
      patientId: required(single('$XDSDocumentEntryPatientId', 'patientId')),
      referenceIds: required(andOr('$XDSDocumentEntryReferenceIdList', 'string')),
      ...DOCUMENT_ENTRY_FILTERS,
    },
  },
  FindSubmissionSets: {
    id: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
    parameters: {
      patientId: required(single('$XDSSubmissionSetPatientId', 'patientId')),
      sourceIds: list('$XDSSubmissionSetSourceId', 'string'),
      submissionTimeFrom: single('$XDSSubmissionSetSubmissionTimeFrom', 'time'),
      submissionTimeTo: single('$XDSSubmissionSetSubmissionTimeTo', 'time'),
      authorPerson: single('$XDSSubmissionSetAuthorPerson', 'string'),
      contentTypeCodes: list('$XDSSubmissionSetContentType', 'code'),
      status: required(list('$XDSSubmissionSetStatus', 'status')),
    },
  },
  FindFolders: {
    id: 'urn:uuid:958f3006-baad-4929-a4de-ff1114824431',
    parameters: {
      patientId: required(single('$XDSFolderPatientId', 'patientId')),
      lastUpdateTimeFrom: single('$XDSFolderLastUpdateTimeFrom', 'time'),
      lastUpdateTimeTo: single('$XDSFolderLastUpdateTimeTo', 'time'),
      codes: andOr('$XDSFolderCodeList', 'code'),
      status: required(list('$XDSFolderStatus', 'status')),
    },
  },
  GetAll: {
    id: 'urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3',
    parameters: {
      patientId: required(single('$patientId', 'patientId')),
      documentEntryStatus: required(list('$XDSDocumentEntryStatus', 'status')),
      submissionSetStatus: required(list('$XDSSubmissionSetStatus', 'status')),
      folderStatus: required(list('$XDSFolderStatus', 'status')),
      ...CONTENT_FILTERS,
    },
  },
  GetDocuments: {
    id: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
    parameters: {
      entryUuids: list('$XDSDocumentEntryEntryUUID', 'uuid'),
      uniqueIds: list('$XDSDocumentEntryUniqueId', 'string'),
      logicalIds: list('$XDSDocumentEntryLogicalID', 'uuid'),
    },
    oneOf: [['entryUuids', 'uniqueIds', 'logicalIds']],
  },
  GetFolders: {
    id: 'urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4',
    parameters: {
      entryUuids: list('$XDSFolderEntryUUID', 'uuid'),
      uniqueIds: list('$XDSFolderUniqueId', 'string'),
      logicalIds: list('$XDSFolderLogicalID', 'uuid'),
    },
    oneOf: [['entryUuids', 'uniqueIds', 'logicalIds']],
  },
  GetAssociations: {
    id: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
    parameters: { uuids: required(list('$uuid', 'uuid')) },
  },
  GetDocumentsAndAssociations: {
    id: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
    parameters: { entryUuids: list('$XDSDocumentEntryEntryUUID', 'uuid'), uniqueIds: list('$XDSDocumentEntryUniqueId', 'string') },
    oneOf: [['entryUuids', 'uniqueIds']],
  },
  GetSubmissionSets: {
    id: 'urn:uuid:51224314-5390-4169-9b91-b1980040715a',
    parameters: { uuids: required(list('$uuid', 'uuid')) },
  },
  GetSubmissionSetAndContents: {
    id: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
    parameters: {
      entryUuid: single('$XDSSubmissionSetEntryUUID', 'uuid'),
      uniqueId: single('$XDSSubmissionSetUniqueId', 'string'),
      ...CONTENT_FILTERS,
    },
    oneOf: [['entryUuid', 'uniqueId']],
  },
  GetFolderAndContents: {
    id: 'urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7',
    parameters: {
      entryUuid: single('$XDSFolderEntryUUID', 'uuid'),
      uniqueId: single('$XDSFolderUniqueId', 'string'),
      ...CONTENT_FILTERS,
    },
    oneOf: [['entryUuid', 'uniqueId']],
  },
  GetFoldersForDocument: {
    id: 'urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578',
    parameters: { entryUuid: single('$XDSDocumentEntryEntryUUID', 'uuid'), uniqueId: single('$XDSDocumentEntryUniqueId', 'string') },
    oneOf: [['entryUuid', 'uniqueId']],
  },
  GetRelatedDocuments: {
    id: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
    parameters: {
      entryUuid: single('$XDSDocumentEntryEntryUUID', 'uuid'),
      uniqueId: single('$XDSDocumentEntryUniqueId', 'string'),
      associationTypes: required(list('$AssociationTypes', 'associationType')),
      entryTypes: ENTRY_TYPES,
    },
    oneOf: [['entryUuid', 'uniqueId']],
  },
} as const satisfies Readonly<Record<string, StoredQuerySpec>>;

type Specs = typeof STORED_QUERIES;
export type StoredQueryName = keyof Specs;

const NAME_BY_ID: ReadonlyMap<string, StoredQueryName> = new Map(
  (Object.entries(STORED_QUERIES) as [StoredQueryName, StoredQuerySpec][]).map(([name, spec]) => [spec.id, name]),
);

/** The stored query an `AdhocQuery/@id` names, with or without `urn:uuid:`, in any case. */
export function storedQueryNamed(id: string): StoredQueryName | undefined {
  const uuid = urnUuid(id);
  return uuid === undefined ? undefined : NAME_BY_ID.get(uuid);
}

/** `home` is required exactly when the query names no patient (ihe-xca-xcpd.md §2.4, IPF `ON_MISSING_PATIENT_ID`). */
export function needsHome(spec: StoredQuerySpec): boolean {
  return !Object.values(spec.parameters).some((p) => p.kind === 'patientId');
}

export type QueryReturnType = 'LeafClass' | 'ObjectRef';

interface KindValue {
  string: string;
  patientId: PatientId;
  code: QueryCode;
  time: QueryTime;
  status: AvailabilityStatus;
  /** `urn:uuid:` and the lower-case UUID. */
  uuid: string;
  entryType: DocumentEntryType;
  associationType: AssociationType;
}

type ValueOf<P extends ParameterSpec> = P['cardinality'] extends 'single'
  ? KindValue[P['kind']]
  : P['cardinality'] extends 'list'
    ? readonly KindValue[P['kind']][]
    : readonly (readonly KindValue[P['kind']][])[];

type AlwaysPresent<Ps> = { [K in keyof Ps]: Ps[K] extends { required: true } | { whenAbsent: readonly unknown[] } ? K : never }[keyof Ps];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ParametersOf<Ps extends Readonly<Record<string, ParameterSpec>>> = Simplify<
  { readonly [K in AlwaysPresent<Ps>]: ValueOf<Ps[K]> } & { readonly [K in Exclude<keyof Ps, AlwaysPresent<Ps>>]?: ValueOf<Ps[K]> }
>;

/** A query with a patient id may name our community; one without must (then `home` is always there). */
type HomeOf<Ps extends Readonly<Record<string, ParameterSpec>>> = 'patientId' extends Ps[keyof Ps]['kind'] ? { readonly home?: string } : { readonly home: string };

/**
 * A parsed stored query, discriminated by `name`. `home` is our home community id as a bare OID; `params` holds
 * each parameter given (and each that is always present), values checked and normalised: within a group of
 * `oneOf` parameters exactly one is present.
 */
export type StoredQuery = {
  [N in StoredQueryName]: Simplify<
    { readonly name: N; readonly id: Specs[N]['id']; readonly returnType: QueryReturnType; readonly params: ParametersOf<Specs[N]['parameters']> } & HomeOf<
      Specs[N]['parameters']
    >
  >;
}[StoredQueryName];

export type StoredQueryOf<N extends StoredQueryName> = Extract<StoredQuery, { readonly name: N }>;
