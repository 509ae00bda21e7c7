import { z } from 'zod';
import { Coding, DateTime, Id } from './common.js';

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** An XDS DocumentEntry author: person, institution, role and specialty as the XCN/XON strings XDS carries. */
export const DocumentAuthor = z
  .object({
    person: z.string().max(300).optional(),
    institutions: z.array(z.string().max(300)).max(10).default([]),
    roles: z.array(z.string().max(100)).max(10).default([]),
    specialties: z.array(z.string().max(100)).max(10).default([]),
    telecom: z.array(z.string().max(200)).max(5).default([]),
  })
  .strict();
export type DocumentAuthor = z.infer<typeof DocumentAuthor>;

/**
 * A document with its XDS DocumentEntry metadata (ITI TF-3 4.2.3.2; ihe-xca-xcpd.md §2.3). `uniqueId` is the
 * document's OID (with an optional ^extension), `entryUuid` its registry id; `hash` is SHA-1 hex and `size` the
 * byte count, both of the stored content, which is held apart (store: document_content) so listing stays cheap.
 */
export const Document = z
  .object({
    id: Id,
    patientId: Id,
    entryUuid: z.string().regex(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be urn:uuid: followed by a lower-case UUID'),
    uniqueId: z.string().max(128).regex(/^[0-2](\.(0|[1-9]\d*))+(\^[^\s^]{1,16})?$/, 'must be an OID, optionally ^extension'),
    repositoryUniqueId: z.string().regex(OID, 'must be an OID'),
    availabilityStatus: z.enum(['approved', 'deprecated']).default('approved'),
    title: z.string().max(500).optional(),
    comments: z.string().max(4000).optional(),
    classCode: Coding,
    typeCode: Coding,
    formatCode: Coding,
    confidentialityCodes: z.array(Coding).min(1).max(5),
    healthcareFacilityTypeCode: Coding,
    practiceSettingCode: Coding,
    eventCodes: z.array(Coding).max(20).default([]),
    languageCode: z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag such as nl-NL').default('nl-NL'),
    mimeType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type'),
    hash: z.string().regex(/^[0-9a-f]{40}$/, 'must be a lower-case SHA-1 hex digest'),
    size: z.number().int().nonnegative(),
    creationTime: DateTime,
    serviceStartTime: DateTime.optional(),
    serviceStopTime: DateTime.optional(),
    authors: z.array(DocumentAuthor).max(10).default([]),
    legalAuthenticator: z.string().max(300).optional(),
    sourcePatientId: z.string().max(300).optional(),
    referenceIds: z.array(z.string().max(300)).max(20).default([]),
    /** Where it came from; `sourceRecordId` names the version of what a document made by us was made from. */
    provenance: z.object({ messageId: Id.optional(), source: z.string().min(1).max(200), sourceRecordId: z.string().max(500).optional() }).strict(),
  })
  .strict();
export type Document = z.infer<typeof Document>;
export type DocumentInput = z.input<typeof Document>;
