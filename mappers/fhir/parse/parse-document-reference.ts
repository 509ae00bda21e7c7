import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Document, DocumentAuthor, oidOf, type Coding, type Identifier, type Issue } from '../../../canonical/index.js';
import { decodeBase64, parseCoding, parseConcept, parseDateTime, parseIdentifier, parsePeriod, type Parsed } from './datatypes.js';
import {
  FhirContainedPatient,
  FhirDocumentReference,
  FhirOrganization,
  FhirPractitioner,
  FhirPractitionerRole,
  type FhirAttachment,
  type FhirContactPoint,
  type FhirHumanName,
  type FhirIdentifier,
  type FhirReference,
} from './fhir-shapes.js';
import { codedString, cx, escapeV2, firstOidIdentifier, xcn, xon, xtn, type PersonName } from './hl7v2.js';
import { at, checkCanonical, error, parseShape, resourceAt, warning, type Where } from './issues.js';

/**
 * A DocumentEntry as read from FHIR, before the import knows its record id, its patient and the repository it is
 * served from (configuration): the canonical Document without those three fields.
 */
export const DocumentDraft = Document.omit({ id: true, patientId: true, repositoryUniqueId: true });
export type DocumentDraft = z.input<typeof DocumentDraft>;

/** A patient a DocumentReference points at, which only the bundle (or the store) can resolve. */
export interface PatientPointer {
  readonly where: Where;
  readonly reference?: string;
  readonly identifier?: Identifier;
}

/** Where a document's bytes are to be found, with what the DocumentReference says about them. */
export interface AttachmentSource {
  readonly where: Where;
  readonly contentType: string;
  readonly url?: string;
  readonly data?: Uint8Array;
  readonly size?: number;
  /** The stated SHA-1, as hex. */
  readonly sha1?: string;
}

/** A DocumentReference mapped as far as it can be alone: hash and size wait for the bytes, subject for the bundle. */
export interface DocumentReferenceParts {
  readonly where: Where;
  /** Everything but hash and size; sourcePatientId is set when the resource itself says who the source patient is. */
  readonly metadata: Omit<DocumentDraft, 'hash' | 'size'>;
  readonly subject: PatientPointer;
  /** A sourcePatientInfo reference to a bundle entry; without one, the subject stands for the source patient. */
  readonly sourcePatient?: PatientPointer;
  readonly attachment: AttachmentSource;
}

const URI_SYSTEM = 'urn:ietf:rfc:3986';
const STATUS = { current: 'approved', superseded: 'deprecated' } as const;

/**
 * A FHIR R4 DocumentReference as XDS DocumentEntry metadata, after the IHE MHD mapping (ihe-xca-xcpd.md §2.3):
 * masterIdentifier → uniqueId, a urn:uuid identifier → entryUUID, status → availabilityStatus, type → typeCode,
 * category → classCode, securityLabel → confidentialityCodes, content.attachment → mimeType, languageCode, title,
 * creationTime (and the stated size and hash), content.format → formatCode, context → eventCodes, service times,
 * facility type, practice setting and sourcePatientId, author → authors, authenticator → legalAuthenticator,
 * context.related → referenceIdList, description → comments. relatesTo and context.encounter have no counterpart
 * kept: a warning.
 */
export function parseDocumentReference(resource: unknown, path: string): { document?: DocumentReferenceParts; issues: Issue[] } {
  const where = resourceAt(path, 'DocumentReference');
  const shape = parseShape(FhirDocumentReference, resource, where);
  if (!shape.value) return { issues: shape.issues };
  const raw = shape.value;
  const issues: Issue[] = [];
  const take = <T>(parsed: Parsed<T>): T | undefined => {
    issues.push(...parsed.issues);
    return parsed.value;
  };
  const contained = containedLookup(raw.contained ?? [], where);

  const uniqueId = take(uniqueIdOf(raw.masterIdentifier, at(where, 'masterIdentifier')));
  const givenEntryUuid = take(entryUuidOf(raw.identifier ?? [], where));
  const entryUuid = givenEntryUuid ?? (uniqueId ? nameBasedEntryUuid(uniqueId) : undefined);
  if (raw.status === 'entered-in-error') issues.push(error('value', at(where, 'status'), 'is entered-in-error: such a document is not imported'));
  const typeCode = take(parseConcept(raw.type, at(where, 'type'), 'typeCode'));
  const classCode = take(singleConcept(raw.category, at(where, 'category'), 'classCode'));
  const confidentialityCodes = take(concepts(raw.securityLabel, at(where, 'securityLabel'), 'confidentialityCode', true));
  const subject = take(pointerOf(raw.subject, at(where, 'subject')));
  const authors = (raw.author ?? []).flatMap((ref, i) => take(authorOf(ref, at(where, 'author', i), contained)) ?? []);
  const legalAuthenticator = raw.authenticator ? take(legalAuthenticatorOf(raw.authenticator, at(where, 'authenticator'), contained)) : undefined;

  if (raw.content.length > 1) {
    issues.push(error('value', at(where, 'content'), `holds ${raw.content.length} entries: a DocumentEntry describes one document, so give each its own DocumentReference`));
  }
  const content = raw.content[0]!;
  const attachmentWhere = at(where, 'content', 0, 'attachment');
  const attachment = take(attachmentOf(content.attachment, attachmentWhere));
  const formatCode = content.format ? take(parseCoding(content.format, at(where, 'content', 0, 'format'))) : undefined;
  if (!content.format) issues.push(error('required', at(where, 'content', 0, 'format'), 'is required (XDS formatCode)'));

  const context = raw.context ?? {};
  const contextWhere = at(where, 'context');
  const eventCodes = take(concepts(context.event, at(contextWhere, 'event'), 'eventCode', false));
  const period = context.period ? take(parsePeriod(context.period, at(contextWhere, 'period'))) : undefined;
  const healthcareFacilityTypeCode = take(parseConcept(context.facilityType, at(contextWhere, 'facilityType'), 'healthcareFacilityTypeCode'));
  const practiceSettingCode = take(parseConcept(context.practiceSetting, at(contextWhere, 'practiceSetting'), 'practiceSettingCode'));
  const source = context.sourcePatientInfo ? take(sourcePatientOf(context.sourcePatientInfo, at(contextWhere, 'sourcePatientInfo'), contained)) : undefined;

  if (raw.relatesTo?.length) issues.push(warning('not-supported', at(where, 'relatesTo'), 'is not imported: relationships between documents (XDS associations) are not kept'));
  const referenceIds = take(referenceIdsOf(context.related ?? [], at(contextWhere, 'related')))!;
  if (context.encounter?.length) issues.push(warning('not-supported', at(contextWhere, 'encounter'), 'is not imported: a DocumentEntry has no encounter'));

  if (!uniqueId || !entryUuid || !typeCode || !classCode || !confidentialityCodes || !subject || !attachment || !formatCode
    || !eventCodes || !healthcareFacilityTypeCode || !practiceSettingCode || raw.status === 'entered-in-error' || issues.some((i) => i.severity === 'error')) {
    return { issues };
  }
  const metadata: Omit<DocumentDraft, 'hash' | 'size'> = {
    uniqueId,
    entryUuid,
    availabilityStatus: STATUS[raw.status],
    ...(content.attachment.title ? { title: content.attachment.title } : {}),
    ...(raw.description ? { comments: raw.description } : {}),
    classCode,
    typeCode,
    formatCode,
    confidentialityCodes,
    healthcareFacilityTypeCode,
    practiceSettingCode,
    eventCodes,
    languageCode: content.attachment.language!,
    mimeType: attachment.contentType,
    creationTime: content.attachment.creation!,
    ...(period?.start ? { serviceStartTime: period.start } : {}),
    ...(period?.end ? { serviceStopTime: period.end } : {}),
    authors,
    ...(legalAuthenticator ? { legalAuthenticator } : {}),
    ...(source?.sourcePatientId ? { sourcePatientId: source.sourcePatientId } : {}),
    ...(referenceIds.length > 0 ? { referenceIds } : {}),
    provenance: { source: 'fhir-import' },
  };
  return { document: { where, metadata, subject, ...(source?.pointer ? { sourcePatient: source.pointer } : {}), attachment }, issues };
}

/** Where a document's metadata names the canonical fields' FHIR origins, for the canonical schema's own checks. */
const DOCUMENT_FIELDS: Readonly<Record<string, string>> = {
  uniqueId: 'masterIdentifier', entryUuid: 'identifier', availabilityStatus: 'status', title: 'content.0.attachment.title',
  comments: 'description', classCode: 'category.0.coding.0', typeCode: 'type.coding.0', formatCode: 'content.0.format',
  confidentialityCodes: 'securityLabel', healthcareFacilityTypeCode: 'context.facilityType.coding.0',
  practiceSettingCode: 'context.practiceSetting.coding.0', eventCodes: 'context.event', languageCode: 'content.0.attachment.language',
  mimeType: 'content.0.attachment.contentType', hash: 'content.0.attachment.hash', size: 'content.0.attachment.size',
  creationTime: 'content.0.attachment.creation', serviceStartTime: 'context.period.start', serviceStopTime: 'context.period.end',
  authors: 'author', legalAuthenticator: 'authenticator', sourcePatientId: 'context.sourcePatientInfo',
};

/**
 * The DocumentEntry once its bytes are known: size and SHA-1 are computed from them, and a size or hash the
 * DocumentReference states must agree, or the document is refused (a partner would be served a wrong hash).
 */
export function completeDocument(
  parts: DocumentReferenceParts,
  content: { readonly bytes: Uint8Array; readonly contentType?: string; readonly from: string },
  sourcePatientId: string | undefined,
): { document?: DocumentDraft; issues: Issue[] } {
  const issues: Issue[] = [];
  const a = parts.attachment;
  if (content.contentType !== undefined && content.contentType !== a.contentType) {
    issues.push(error('value', at(a.where, 'contentType'), `differs from the contentType of the Binary at ${content.from}`));
  }
  const size = content.bytes.byteLength;
  const sha1 = createHash('sha1').update(content.bytes).digest('hex');
  if (a.size !== undefined && a.size !== size) issues.push(error('invariant', at(a.where, 'size'), `is ${a.size} but the content has ${size} bytes`));
  if (a.sha1 !== undefined && a.sha1 !== sha1) issues.push(error('invariant', at(a.where, 'hash'), 'does not match the SHA-1 of the content'));
  if (issues.length > 0) return { issues };
  const draft: DocumentDraft = { ...parts.metadata, hash: sha1, size, ...(sourcePatientId && !parts.metadata.sourcePatientId ? { sourcePatientId } : {}) };
  const checked = checkCanonical(DocumentDraft, draft, parts.where, DOCUMENT_FIELDS);
  return checked.value ? { document: draft, issues: [] } : { issues: checked.issues };
}

/**
 * uniqueId from masterIdentifier as MHD writes it: system urn:ietf:rfc:3986 with the OID as `urn:oid:` value, or
 * system `urn:oid:<root>` with the extension issued under that root (uniqueId `root^extension`).
 */
function uniqueIdOf(raw: FhirIdentifier | undefined, where: Where): Parsed<string> {
  if (!raw) return { issues: [error('required', where, 'is required: it is the DocumentEntry uniqueId')] };
  if (!raw.value) return { issues: [error('required', at(where, 'value'), 'is required: it is the DocumentEntry uniqueId')] };
  let uniqueId: string;
  if (raw.system === undefined || raw.system === URI_SYSTEM) {
    if (!raw.value.startsWith('urn:oid:')) return { issues: [error('value', at(where, 'value'), 'must be urn:oid: followed by the uniqueId OID')] };
    uniqueId = raw.value.slice('urn:oid:'.length);
  } else if (raw.system.startsWith('urn:oid:')) {
    uniqueId = `${raw.system.slice('urn:oid:'.length)}^${raw.value}`;
  } else {
    return { issues: [error('value', at(where, 'system'), `must be ${URI_SYSTEM}, or urn:oid: and the root OID the value is an extension of`)] };
  }
  return Document.shape.uniqueId.safeParse(uniqueId).success
    ? { value: uniqueId, issues: [] }
    : { issues: [error('value', at(where, 'value'), 'must give an OID, optionally with an extension of at most 16 characters')] };
}

/** entryUUID from the identifier that is a urn:uuid (the `official` one if several are); null when none is. */
function entryUuidOf(identifiers: readonly FhirIdentifier[], where: Where): Parsed<string | null> {
  const isUuid = (i: FhirIdentifier) => (i.system === undefined || i.system === URI_SYSTEM) && /^urn:uuid:/i.test(i.value ?? '');
  const candidates = identifiers.map((identifier, index) => ({ identifier, index })).filter((c) => isUuid(c.identifier));
  const chosen = candidates.find((c) => c.identifier.use === 'official') ?? candidates[0];
  const issues = identifiers.flatMap((_, index) =>
    index === chosen?.index ? [] : [warning('not-supported', at(where, 'identifier', index), 'is not imported: only the urn:uuid entryUUID has a DocumentEntry counterpart')],
  );
  if (!chosen) return { value: null, issues };
  const value = chosen.identifier.value!.toLowerCase();
  return Document.shape.entryUuid.safeParse(value).success
    ? { value, issues }
    : { issues: [...issues, error('value', at(where, 'identifier', chosen.index, 'value'), 'must be urn:uuid: followed by a UUID')] };
}

const OID_NAMESPACE = '6ba7b812-9dad-11d1-80b4-00c04fd430c8';

/**
 * The entryUUID of a DocumentReference that gives none: the RFC 9562 name-based (version 5) UUID of its uniqueId in
 * the standard OID namespace, so loading the same file again, or anyone recomputing it, arrives at the same id.
 */
export function nameBasedEntryUuid(uniqueId: string): string {
  const bytes = createHash('sha1').update(Buffer.from(OID_NAMESPACE.replace(/-/g, ''), 'hex')).update(uniqueId, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `urn:uuid:${bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')}`;
}

function singleConcept(raw: readonly FhirConceptLike[] | undefined, where: Where, xdsName: string): Parsed<Coding> {
  if (!raw || raw.length === 0) return { issues: [error('required', where, `is required (XDS ${xdsName})`)] };
  const parsed = parseConcept(raw[0], at(where, 0), xdsName);
  const extra = raw.length > 1 ? [warning('informational', where, `has ${raw.length} entries: only the first is kept as XDS ${xdsName}`)] : [];
  return { ...(parsed.value ? { value: parsed.value } : {}), issues: [...parsed.issues, ...extra] };
}

type FhirConceptLike = Parameters<typeof parseConcept>[0];

function concepts(raw: readonly FhirConceptLike[] | undefined, where: Where, xdsName: string, required: boolean): Parsed<Coding[]> {
  if (required && (!raw || raw.length === 0)) return { issues: [error('required', where, `is required (XDS ${xdsName})`)] };
  const parsed = (raw ?? []).map((c, i) => parseConcept(c, at(where, i), xdsName));
  const issues = parsed.flatMap((p) => p.issues);
  return issues.some((i) => i.severity === 'error') ? { issues } : { value: parsed.map((p) => p.value!), issues };
}

function pointerOf(raw: FhirReference | undefined, where: Where): Parsed<PatientPointer> {
  if (!raw) return { issues: [error('required', where, 'is required: a document belongs to a patient')] };
  if (raw.reference !== undefined) {
    if (raw.reference.startsWith('#')) return { issues: [error('value', at(where, 'reference'), 'must name a Patient entry of the bundle, not a contained resource')] };
    return { value: { where: at(where, 'reference'), reference: raw.reference }, issues: [] };
  }
  if (raw.identifier) {
    const identifier = parseIdentifier(raw.identifier, at(where, 'identifier'));
    return identifier.value ? { value: { where: at(where, 'identifier'), identifier: identifier.value }, issues: [] } : { issues: identifier.issues };
  }
  return { issues: [error('required', at(where, 'reference'), 'is required, or identifier: a display alone does not say who the patient is')] };
}

function attachmentOf(raw: FhirAttachment, where: Where): Parsed<AttachmentSource> {
  const issues: Issue[] = [];
  if (!raw.contentType) issues.push(error('required', at(where, 'contentType'), 'is required (XDS mimeType)'));
  else if (!Document.shape.mimeType.safeParse(raw.contentType).success) issues.push(error('value', at(where, 'contentType'), 'must be a MIME type'));
  if (!raw.language) issues.push(error('required', at(where, 'language'), 'is required (XDS languageCode)'));
  else if (!Document.shape.languageCode.safeParse(raw.language).success) issues.push(error('value', at(where, 'language'), 'must be a language tag such as en-US'));
  if (!raw.creation) issues.push(error('required', at(where, 'creation'), 'is required (XDS creationTime)'));
  else issues.push(...parseDateTime(raw.creation, at(where, 'creation')).issues);
  if (raw.url === undefined && raw.data === undefined) issues.push(error('required', at(where, 'url'), 'is required, or data: the document itself must be in the bundle'));
  if (raw.url !== undefined && raw.data !== undefined) issues.push(error('value', where, 'has both url and data: give the bytes once'));
  const data = raw.data !== undefined ? decodeBase64(raw.data, at(where, 'data')) : undefined;
  issues.push(...(data?.issues ?? []));
  const sha1 = raw.hash !== undefined ? sha1Hex(raw.hash, at(where, 'hash')) : undefined;
  issues.push(...(sha1?.issues ?? []));
  if (issues.some((i) => i.severity === 'error')) return { issues };
  return {
    value: {
      where,
      contentType: raw.contentType!,
      ...(raw.url !== undefined ? { url: raw.url } : {}),
      ...(data?.value ? { data: data.value } : {}),
      ...(raw.size !== undefined ? { size: raw.size } : {}),
      ...(sha1?.value ? { sha1: sha1.value } : {}),
    },
    issues,
  };
}

/** FHIR gives the SHA-1 in base64, XDS in hex; a hex digest sent as the base64 value decodes to 30 bytes, not 20. */
function sha1Hex(raw: string, where: Where): Parsed<string> {
  const bytes = decodeBase64(raw, where);
  if (!bytes.value) return { issues: bytes.issues };
  if (bytes.value.byteLength !== 20) return { issues: [error('value', where, 'must be the base64 of a 20-byte SHA-1 digest')] };
  return { value: Buffer.from(bytes.value).toString('hex'), issues: [] };
}

interface Contained {
  readonly resource: Record<string, unknown>;
  readonly where: Where;
}

function containedLookup(contained: readonly { resourceType: string; id?: string | undefined }[], where: Where): (reference: string) => Contained | undefined {
  return (reference) => {
    const index = contained.findIndex((c) => `#${c.id}` === reference);
    return index < 0 ? undefined : { resource: contained[index] as Record<string, unknown>, where: at(where, 'contained', index) };
  };
}

type Lookup = ReturnType<typeof containedLookup>;

function personName(names: readonly FhirHumanName[] | undefined): PersonName | undefined {
  const name = names?.[0];
  return name ? { family: name.family, given: name.given ?? [], prefix: name.prefix?.[0], suffix: name.suffix?.[0] } : undefined;
}

function identifiersOf(raw: readonly FhirIdentifier[] | undefined, where: Where): Parsed<Identifier[]> {
  const parsed = (raw ?? []).map((identifier, i) => parseIdentifier(identifier, at(where, 'identifier', i)));
  const issues = parsed.flatMap((p) => p.issues);
  return issues.length > 0 ? { issues } : { value: parsed.map((p) => p.value!), issues };
}

function telecomOf(raw: readonly FhirContactPoint[] | undefined): string[] {
  return (raw ?? []).flatMap((t) => (t.system && t.value ? (xtn({ system: t.system, value: t.value }) ?? []) : []));
}

/** A contained Practitioner as an XCN, with its telecom as XTNs. */
function practitionerOf(found: Contained): Parsed<{ person: string; telecom: string[] }> {
  const shape = parseShape(FhirPractitioner, found.resource, found.where);
  if (!shape.value) return { issues: shape.issues };
  const identifiers = identifiersOf(shape.value.identifier, found.where);
  if (!identifiers.value) return { issues: identifiers.issues };
  const name = personName(shape.value.name);
  const identifier = firstOidIdentifier(identifiers.value);
  if (!name?.family && !identifier) {
    return { issues: [error('required', at(found.where, 'name', 0, 'family'), 'is required, or an identifier with an OID system: an XDS person needs one of them')] };
  }
  return { value: { person: xcn(name, identifier), telecom: telecomOf(shape.value.telecom) }, issues: [] };
}

function organizationOf(found: Contained): Parsed<string> {
  const shape = parseShape(FhirOrganization, found.resource, found.where);
  if (!shape.value) return { issues: shape.issues };
  if (!shape.value.name) return { issues: [error('required', at(found.where, 'name'), 'is required (XDS authorInstitution)')] };
  const identifiers = identifiersOf(shape.value.identifier, found.where);
  if (!identifiers.value) return { issues: identifiers.issues };
  return { value: xon(shape.value.name, identifiers.value), issues: [] };
}

function codedStrings(raw: readonly FhirConceptLike[] | undefined, where: Where, xdsName: string): Parsed<string[]> {
  const parsed = concepts(raw, where, xdsName, false);
  return parsed.value ? { value: parsed.value.map(codedString), issues: parsed.issues } : { issues: parsed.issues };
}

function containedOf(ref: FhirReference, where: Where, lookup: Lookup): Parsed<Contained> {
  const found = lookup(ref.reference!);
  return found ? { value: found, issues: [] } : { issues: [error('value', at(where, 'reference'), 'names no contained resource')] };
}

/**
 * One XDS author per reference, as MHD maps them: a contained Practitioner gives authorPerson, an Organization
 * authorInstitution, a PractitionerRole all four parts. A reference outside the resource cannot be read (the bundle
 * holds no Practitioners), so it needs a display, which is taken as the person's name (or the institution's).
 */
function authorOf(ref: FhirReference, where: Where, lookup: Lookup): Parsed<DocumentAuthor> {
  // The canonical field (person, institutions, …) is named in the message: it spans several FHIR elements.
  const author = (value: z.input<typeof DocumentAuthor>) => checkCanonical(DocumentAuthor, value, where, {});
  if (!ref.reference?.startsWith('#')) {
    if (!ref.display) return { issues: [error('required', at(where, 'display'), 'is required when the author is not a contained resource')] };
    return ref.type === 'Organization' ? author({ institutions: [xon(ref.display, [])] }) : author({ person: xcn({ family: ref.display, given: [] }, undefined) });
  }
  const found = containedOf(ref, where, lookup);
  if (!found.value) return { issues: found.issues };
  switch (found.value.resource.resourceType) {
    case 'Practitioner': {
      const p = practitionerOf(found.value);
      return p.value ? author({ person: p.value.person, telecom: p.value.telecom }) : { issues: p.issues };
    }
    case 'Organization': {
      const o = organizationOf(found.value);
      return o.value ? author({ institutions: [o.value] }) : { issues: o.issues };
    }
    case 'PractitionerRole':
      return practitionerRoleOf(found.value, lookup, author);
    default:
      return { issues: [error('value', at(where, 'reference'), 'must name a contained Practitioner, PractitionerRole or Organization')] };
  }
}

function practitionerRoleOf(
  found: Contained, lookup: Lookup, author: (value: z.input<typeof DocumentAuthor>) => Parsed<DocumentAuthor>,
): Parsed<DocumentAuthor> {
  const shape = parseShape(FhirPractitionerRole, found.resource, found.where);
  if (!shape.value) return { issues: shape.issues };
  const role = shape.value;
  const issues: Issue[] = [];
  const practitioner = role.practitioner ? referencedPractitioner(role.practitioner, at(found.where, 'practitioner'), lookup) : undefined;
  issues.push(...(practitioner?.issues ?? []));
  let institution: Parsed<string> | undefined;
  if (role.organization) {
    const org = containedOf(role.organization, at(found.where, 'organization'), lookup);
    institution = org.value ? organizationOf(org.value) : { issues: org.issues };
    issues.push(...institution.issues);
  }
  const roles = codedStrings(role.code, at(found.where, 'code'), 'authorRole');
  const specialties = codedStrings(role.specialty, at(found.where, 'specialty'), 'authorSpecialty');
  issues.push(...roles.issues, ...specialties.issues);
  if (issues.some((i) => i.severity === 'error')) return { issues };
  const parsed = author({
    ...(practitioner?.value ? { person: practitioner.value.person } : {}),
    institutions: institution?.value ? [institution.value] : [],
    roles: roles.value ?? [],
    specialties: specialties.value ?? [],
    telecom: [...telecomOf(role.telecom), ...(practitioner?.value?.telecom ?? [])],
  });
  return { ...(parsed.value ? { value: parsed.value } : {}), issues: [...issues, ...parsed.issues] };
}

/** A person given as a contained Practitioner, a contained PractitionerRole's practitioner, or a display. */
function referencedPractitioner(ref: FhirReference, where: Where, lookup: Lookup): Parsed<{ person: string; telecom: string[] }> {
  if (!ref.reference?.startsWith('#')) {
    if (!ref.display) return { issues: [error('required', at(where, 'display'), 'is required when the person is not a contained resource')] };
    return { value: { person: xcn({ family: ref.display, given: [] }, undefined), telecom: [] }, issues: [] };
  }
  const found = containedOf(ref, where, lookup);
  if (!found.value) return { issues: found.issues };
  if (found.value.resource.resourceType === 'Practitioner') return practitionerOf(found.value);
  if (found.value.resource.resourceType === 'PractitionerRole') {
    const role = parseShape(FhirPractitionerRole, found.value.resource, found.value.where);
    if (!role.value) return { issues: role.issues };
    if (!role.value.practitioner) return { issues: [error('required', at(found.value.where, 'practitioner'), 'is required: XDS legalAuthenticator is a person')] };
    return referencedPractitioner(role.value.practitioner, at(found.value.where, 'practitioner'), lookup);
  }
  return { issues: [error('value', at(where, 'reference'), 'must name a contained Practitioner or PractitionerRole: XDS names a person here')] };
}

function legalAuthenticatorOf(ref: FhirReference, where: Where, lookup: Lookup): Parsed<string> {
  const person = referencedPractitioner(ref, where, lookup);
  return person.value ? { value: person.value.person, issues: person.issues } : { issues: person.issues };
}

/** sourcePatientId as a CX from the first identifier with an OID system; XDS requires one. */
export function sourcePatientIdOf(identifiers: readonly Identifier[], where: Where): Parsed<string> {
  const identifier = firstOidIdentifier(identifiers);
  return identifier
    ? { value: cx(identifier)!, issues: [] }
    : { issues: [warning('informational', where, 'gives no identifier with an OID system: the document has no XDS sourcePatientId')] };
}

/**
 * The source patient (XDS sourcePatientId) from context.sourcePatientInfo: a contained Patient or an identifier
 * is read here; a reference to a bundle entry is left as a pointer for the bundle to resolve.
 */
function sourcePatientOf(ref: FhirReference, where: Where, lookup: Lookup): Parsed<{ sourcePatientId?: string; pointer?: PatientPointer }> {
  if (ref.reference?.startsWith('#')) {
    const found = containedOf(ref, where, lookup);
    if (!found.value) return { issues: found.issues };
    const shape = parseShape(FhirContainedPatient, found.value.resource, found.value.where);
    if (!shape.value) return { issues: shape.issues };
    const identifiers = identifiersOf(shape.value.identifier, found.value.where);
    if (!identifiers.value) return { issues: identifiers.issues };
    const id = sourcePatientIdOf(identifiers.value, found.value.where);
    return { value: id.value ? { sourcePatientId: id.value } : {}, issues: id.issues };
  }
  if (ref.reference !== undefined) return { value: { pointer: { where: at(where, 'reference'), reference: ref.reference } }, issues: [] };
  if (ref.identifier) {
    const identifier = parseIdentifier(ref.identifier, at(where, 'identifier'));
    if (!identifier.value) return { issues: identifier.issues };
    const id = sourcePatientIdOf([identifier.value], at(where, 'identifier'));
    return { value: id.value ? { sourcePatientId: id.value } : {}, issues: id.issues };
  }
  return { issues: [error('required', at(where, 'reference'), 'is required, or identifier')] };
}

/** What context.related must hold to become an XDS reference id; anything else is left out with a warning. */
const RelatedIdentifier = z.looseObject({
  identifier: z.looseObject({
    system: z.string().optional(),
    value: z.string().optional(),
    type: z.looseObject({ coding: z.array(z.looseObject({ code: z.string().optional() })).optional() }).optional(),
  }).optional(),
});

const MAX_REFERENCE_IDS = 20;

/**
 * context.related as the referenceIdList (CXi `value^^^&oid&ISO^type`, ITI TF-3 4.2.3.1.7): an identifier with a
 * value, a system that has an OID (the assigning authority) and a type coded as an XDS CXi type URN, which is how
 * the gateway itself shows reference ids (mappers/fhir/xds-authors.ts), so what it serves imports back as it was.
 */
function referenceIdsOf(related: readonly unknown[], where: Where): Parsed<string[]> {
  const ids: string[] = [];
  const issues: Issue[] = [];
  related.forEach((entry, i) => {
    const parsed = RelatedIdentifier.safeParse(entry);
    const identifier = parsed.success ? parsed.data.identifier : undefined;
    const oid = identifier?.system ? oidOf(identifier.system) : undefined;
    const type = identifier?.type?.coding?.map((c) => c.code).find((code) => code?.startsWith('urn:ihe:iti:xds:'));
    if (!identifier?.value || !oid || !type) {
      issues.push(warning('not-supported', at(where, i), 'is not imported: an XDS reference id needs an identifier with a value, a system with an OID and a type coded as an XDS reference id type (urn:ihe:iti:xds:…)'));
    } else if (ids.length === MAX_REFERENCE_IDS) {
      issues.push(warning('not-supported', at(where, i), `is not imported: a document keeps at most ${MAX_REFERENCE_IDS} reference ids`));
    } else {
      ids.push(`${escapeV2(identifier.value)}^^^&${oid}&ISO^${type}`);
    }
  });
  return { value: ids, issues };
}
