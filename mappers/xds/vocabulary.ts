/**
 * ebRIM identifiers of XDS metadata (ihe-xca-xcpd.md §2.3, from IPF `Vocabulary.java`, `DocumentEntryType`,
 * `AssociationType`, `AvailabilityStatus`), shared by the query parser and the response renderer.
 */
export const DOCUMENT_ENTRY_TYPE = {
  stable: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  'on-demand': 'urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248',
} as const;
export type DocumentEntryType = keyof typeof DOCUMENT_ENTRY_TYPE;

export const AVAILABILITY_STATUS = {
  Approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  Deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
} as const;
export type AvailabilityStatus = keyof typeof AVAILABILITY_STATUS;

export const ASSOCIATION_TYPES = [
  'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  'urn:ihe:iti:2007:AssociationType:RPLC',
  'urn:ihe:iti:2007:AssociationType:XFRM',
  'urn:ihe:iti:2007:AssociationType:APND',
  'urn:ihe:iti:2007:AssociationType:XFRM_RPLC',
  'urn:ihe:iti:2007:AssociationType:signs',
  'urn:ihe:iti:2010:AssociationType:IsSnapshotOf',
] as const;
export type AssociationType = (typeof ASSOCIATION_TYPES)[number];

export const RIM_OBJECT_TYPE = {
  classification: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification',
  externalIdentifier: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier',
  registryPackage: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage',
  association: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
} as const;

export const DOCUMENT_ENTRY = {
  author: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
  classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
  confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
  eventCodeList: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
  formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
  healthcareFacilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
  practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
  typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
  patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
} as const;

export const SUBMISSION_SET = {
  node: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  author: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
  contentTypeCode: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
  patientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  uniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  sourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
} as const;

export const FOLDER = {
  node: 'urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2',
  codeList: 'urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5',
  patientId: 'urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a',
  uniqueId: 'urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a',
} as const;

/** Slot name of the DocumentEntry referenceIdList (IPF `SLOT_NAME_REFERENCE_ID_LIST`). */
export const REFERENCE_ID_LIST_SLOT = 'urn:ihe:iti:xds:2013:referenceIdList';
