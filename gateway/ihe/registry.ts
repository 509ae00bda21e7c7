import { createHash } from 'node:crypto';
import type { Document } from '../../canonical/index.js';
import type { AssociationInput, DocumentEntryInput, SubmissionSetInput } from '../../mappers/xds/index.js';
import type { RegisteredDocument } from '../../store/index.js';

/**
 * The XDS registry objects of stored documents: each document's entry, the submission set that registered it, and
 * the HasMember association between them (ITI TF-3 4.1). Our registry holds no folders and no associations between
 * documents.
 */
export interface RegistryObjects {
  readonly documentEntries: DocumentEntryInput[];
  readonly submissionSets: SubmissionSetInput[];
  readonly associations: AssociationInput[];
}

export interface RegistryScope {
  readonly home: string;
  /** The patient id the entries carry, `id^^^&OID&ISO`. */
  readonly patientCx: string;
  /** The source that submitted our sets: our repository. */
  readonly sourceId: string;
}

export const HAS_MEMBER = 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember';

export function entryOf(scope: RegistryScope, document: Document): DocumentEntryInput {
  return { document, patientCx: scope.patientCx, home: scope.home, objectType: 'stable' };
}

export function submissionSetOf(scope: RegistryScope, r: RegisteredDocument): SubmissionSetInput {
  const d = r.document;
  return {
    entryUuid: r.submissionSet.entryUuid, uniqueId: r.submissionSet.uniqueId, patientCx: scope.patientCx, home: scope.home,
    submissionTime: r.storedAt, sourceId: scope.sourceId, contentTypeCode: d.classCode,
    ...(d.title ? { title: d.title } : {}), authors: d.authors,
  };
}

/** The set → document HasMember association, its id derived from the pair so it is the same in every answer. */
export function membershipOf(scope: RegistryScope, r: RegisteredDocument): AssociationInput {
  const hex = createHash('sha256').update(`${r.submissionSet.entryUuid}#has-member#${r.document.entryUuid}`).digest('hex');
  return {
    id: `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    home: scope.home, type: HAS_MEMBER, sourceObject: r.submissionSet.entryUuid, targetObject: r.document.entryUuid, submissionSetStatus: 'Original',
  };
}
