import { DateTime, IdentifierSystems, oidOf, type Coding, type Document, type DocumentAuthor } from '../../canonical/index.js';
import { NS } from '../xml/index.js';
import { bareOid, partId, urnOid, urnUuid } from './ids.js';
import { registryErrorList, RESPONSE_STATUS, responseStatus, type RegistryError } from './registry-error.js';
import type { QueryReturnType } from './stored-queries.js';
import {
  AVAILABILITY_STATUS,
  DOCUMENT_ENTRY,
  DOCUMENT_ENTRY_TYPE,
  FOLDER,
  REFERENCE_ID_LIST_SLOT,
  RIM_OBJECT_TYPE,
  SUBMISSION_SET,
  type AssociationType,
  type DocumentEntryType,
} from './vocabulary.js';
import { element, serialize, textElement, type XmlNode } from './xml-writer.js';

/**
 * Stored query results → `query:AdhocQueryResponse` (ihe-xca-xcpd.md §2.1, §2.3, §2.4). LeafClass gives the full
 * ebRIM objects, ObjectRef only `rim:ObjectRef id home`. Every object carries `home`; ids are `urn:uuid:`; the ids
 * of Classifications and ExternalIdentifiers are derived from their owner's, so a response renders the same twice.
 */
export interface DocumentEntryInput {
  readonly document: Document;
  /** The patient id in our community, `id^^^&OID&ISO`, as the query named it. */
  readonly patientCx: string;
  /** Our home community id, bare or `urn:oid:`. */
  readonly home: string;
  readonly objectType: DocumentEntryType;
}

export interface SubmissionSetInput {
  readonly entryUuid: string;
  readonly uniqueId: string;
  readonly patientCx: string;
  readonly home: string;
  /** Canonical date-time. */
  readonly submissionTime: string;
  /** OID of the system that submitted the set. */
  readonly sourceId: string;
  readonly contentTypeCode: Coding;
  readonly title?: string;
  readonly comments?: string;
  readonly authors?: readonly DocumentAuthor[];
}

export interface FolderInput {
  readonly entryUuid: string;
  readonly uniqueId: string;
  readonly patientCx: string;
  readonly home: string;
  /** Canonical date-time. */
  readonly lastUpdateTime: string;
  readonly codes: readonly Coding[];
  readonly title?: string;
  readonly comments?: string;
}

export interface AssociationInput {
  readonly id: string;
  readonly home: string;
  readonly type: AssociationType;
  readonly sourceObject: string;
  readonly targetObject: string;
  /** For a HasMember from a SubmissionSet: whether the member was submitted with it or referenced. */
  readonly submissionSetStatus?: 'Original' | 'Reference';
}

export interface AdhocQueryResponseInput {
  readonly returnType: QueryReturnType;
  readonly errors: readonly RegistryError[];
  readonly documentEntries?: readonly DocumentEntryInput[];
  readonly submissionSets?: readonly SubmissionSetInput[];
  readonly folders?: readonly FolderInput[];
  readonly associations?: readonly AssociationInput[];
}

const NAMESPACES = { query: NS.query, rim: NS.rim, rs: NS.rs };

export function renderAdhocQueryResponse(input: AdhocQueryResponseInput): string {
  const { documentEntries = [], submissionSets = [], folders = [], associations = [] } = input;
  const objects: { readonly id: string; readonly home: string; readonly leaf: () => XmlNode }[] = [
    ...documentEntries.map((e) => ({ id: e.document.entryUuid, home: e.home, leaf: () => extrinsicObject(e) })),
    ...submissionSets.map((s) => ({ id: s.entryUuid, home: s.home, leaf: () => submissionSet(s) })),
    ...folders.map((f) => ({ id: f.entryUuid, home: f.home, leaf: () => folder(f) })),
    ...associations.map((a) => ({ id: a.id, home: a.home, leaf: () => association(a) })),
  ];
  const list = objects.map((o) => (input.returnType === 'ObjectRef' ? element('rim:ObjectRef', { id: objectId(o.id), home: urnOid(o.home) }) : o.leaf()));
  const status = responseStatus(input.errors, objects.length > 0);
  const root = element('query:AdhocQueryResponse', { status: RESPONSE_STATUS[status] }, [
    registryErrorList(input.errors),
    element('rim:RegistryObjectList', {}, list),
  ]);
  return serialize(root, NAMESPACES);
}

/** Registry object ids are `urn:uuid:`; an id that is no UUID is passed on as it is rather than dropped. */
function objectId(id: string): string {
  return urnUuid(id) ?? id;
}

function extrinsicObject({ document: d, patientCx, home, objectType }: DocumentEntryInput): XmlNode {
  const id = objectId(d.entryUuid);
  // An on-demand entry describes content made when it is retrieved: it has no fixed hash or size (§2.3).
  const stable = objectType === 'stable';
  return element(
    'rim:ExtrinsicObject',
    {
      id,
      home: urnOid(home),
      objectType: DOCUMENT_ENTRY_TYPE[objectType],
      status: AVAILABILITY_STATUS[d.availabilityStatus === 'deprecated' ? 'Deprecated' : 'Approved'],
      mimeType: d.mimeType,
    },
    [
      slot('creationTime', dtm(d.creationTime)),
      stable ? slot('hash', d.hash) : undefined,
      slot('languageCode', d.languageCode),
      slot('legalAuthenticator', d.legalAuthenticator),
      slot('repositoryUniqueId', bareOid(d.repositoryUniqueId)),
      slot('serviceStartTime', dtm(d.serviceStartTime)),
      slot('serviceStopTime', dtm(d.serviceStopTime)),
      stable ? slot('size', String(d.size)) : undefined,
      slot('sourcePatientId', sourcePatientIdFor(d.sourcePatientId, patientCx)),
      slot(REFERENCE_ID_LIST_SLOT, ...d.referenceIds),
      ...nameAndDescription(d.title, d.comments),
      ...d.authors.map((a, i) => authorClassification(id, DOCUMENT_ENTRY.author, i, a)),
      codeClassification(id, DOCUMENT_ENTRY.classCode, d.classCode),
      ...d.confidentialityCodes.map((c, i) => codeClassification(id, DOCUMENT_ENTRY.confidentialityCode, c, i)),
      ...d.eventCodes.map((c, i) => codeClassification(id, DOCUMENT_ENTRY.eventCodeList, c, i)),
      codeClassification(id, DOCUMENT_ENTRY.formatCode, d.formatCode),
      codeClassification(id, DOCUMENT_ENTRY.healthcareFacilityTypeCode, d.healthcareFacilityTypeCode),
      codeClassification(id, DOCUMENT_ENTRY.practiceSettingCode, d.practiceSettingCode),
      codeClassification(id, DOCUMENT_ENTRY.typeCode, d.typeCode),
      externalIdentifier(id, DOCUMENT_ENTRY.patientId, 'XDSDocumentEntry.patientId', patientCx),
      externalIdentifier(id, DOCUMENT_ENTRY.uniqueId, 'XDSDocumentEntry.uniqueId', d.uniqueId),
    ],
  );
}

function submissionSet(s: SubmissionSetInput): XmlNode {
  const id = objectId(s.entryUuid);
  return registryPackage(id, s.home, [
    slot('submissionTime', dtm(s.submissionTime)),
    ...nameAndDescription(s.title, s.comments),
    ...(s.authors ?? []).map((a, i) => authorClassification(id, SUBMISSION_SET.author, i, a)),
    codeClassification(id, SUBMISSION_SET.contentTypeCode, s.contentTypeCode),
    nodeClassification(id, SUBMISSION_SET.node),
    externalIdentifier(id, SUBMISSION_SET.uniqueId, 'XDSSubmissionSet.uniqueId', s.uniqueId),
    externalIdentifier(id, SUBMISSION_SET.sourceId, 'XDSSubmissionSet.sourceId', bareOid(s.sourceId)),
    externalIdentifier(id, SUBMISSION_SET.patientId, 'XDSSubmissionSet.patientId', s.patientCx),
  ]);
}

function folder(f: FolderInput): XmlNode {
  const id = objectId(f.entryUuid);
  return registryPackage(id, f.home, [
    slot('lastUpdateTime', dtm(f.lastUpdateTime)),
    ...nameAndDescription(f.title, f.comments),
    ...f.codes.map((c, i) => codeClassification(id, FOLDER.codeList, c, i)),
    nodeClassification(id, FOLDER.node),
    externalIdentifier(id, FOLDER.patientId, 'XDSFolder.patientId', f.patientCx),
    externalIdentifier(id, FOLDER.uniqueId, 'XDSFolder.uniqueId', f.uniqueId),
  ]);
}

/** SubmissionSets and Folders are Approved once registered; only DocumentEntries are deprecated. */
function registryPackage(id: string, home: string, children: readonly (XmlNode | undefined)[]): XmlNode {
  return element('rim:RegistryPackage', { id, home: urnOid(home), objectType: RIM_OBJECT_TYPE.registryPackage, status: AVAILABILITY_STATUS.Approved }, children);
}

function association(a: AssociationInput): XmlNode {
  return element(
    'rim:Association',
    {
      id: objectId(a.id),
      home: urnOid(a.home),
      objectType: RIM_OBJECT_TYPE.association,
      associationType: a.type,
      sourceObject: objectId(a.sourceObject),
      targetObject: objectId(a.targetObject),
    },
    [a.submissionSetStatus === undefined ? undefined : slot('SubmissionSetStatus', a.submissionSetStatus)],
  );
}

function slot(name: string, ...values: readonly (string | undefined)[]): XmlNode | undefined {
  const present = values.filter((v): v is string => v !== undefined && v !== '');
  if (present.length === 0) return undefined;
  return element('rim:Slot', { name }, [element('rim:ValueList', {}, present.map((v) => textElement('rim:Value', v)))]);
}

function localized(name: 'rim:Name' | 'rim:Description', value: string | undefined): XmlNode | undefined {
  return value === undefined || value === '' ? undefined : element(name, {}, [element('rim:LocalizedString', { value })]);
}

/** An object's title and comments, in the place ebRIM gives them: after the slots, before the classifications. */
function nameAndDescription(title: string | undefined, comments: string | undefined): (XmlNode | undefined)[] {
  return [localized('rim:Name', title), localized('rim:Description', comments)];
}

/** A coded Classification; XDS wants a display name, so the code stands in when the coding has none. */
function codeClassification(owner: string, scheme: string, coding: Coding, index = 0): XmlNode {
  return element(
    'rim:Classification',
    { id: partId(owner, `${scheme}#${index}`), objectType: RIM_OBJECT_TYPE.classification, classificationScheme: scheme, classifiedObject: owner, nodeRepresentation: coding.code },
    [slot('codingScheme', oidOf(coding.system) ?? coding.system), localized('rim:Name', coding.display ?? coding.code)],
  );
}

function authorClassification(owner: string, scheme: string, index: number, author: DocumentAuthor): XmlNode {
  return element(
    'rim:Classification',
    { id: partId(owner, `${scheme}#${index}`), objectType: RIM_OBJECT_TYPE.classification, classificationScheme: scheme, classifiedObject: owner, nodeRepresentation: '' },
    [
      slot('authorPerson', author.person),
      slot('authorInstitution', ...author.institutions),
      slot('authorRole', ...author.roles),
      slot('authorSpecialty', ...author.specialties),
      slot('authorTelecommunication', ...author.telecom),
    ],
  );
}

/** The Classification that makes a RegistryPackage a SubmissionSet or a Folder. */
function nodeClassification(owner: string, node: string): XmlNode {
  return element('rim:Classification', { id: partId(owner, node), objectType: RIM_OBJECT_TYPE.classification, classificationNode: node, classifiedObject: owner });
}

function externalIdentifier(owner: string, scheme: string, name: string, value: string): XmlNode {
  return element(
    'rim:ExternalIdentifier',
    { id: partId(owner, scheme), objectType: RIM_OBJECT_TYPE.externalIdentifier, identificationScheme: scheme, registryObject: owner, value },
    [localized('rim:Name', name)],
  );
}

/**
 * The BSN is for Dutch care providers under Dutch law (Wabvpz), and a responding gateway answers partners anywhere:
 * a source patient id under the BSN's assigning authority is given as the patient's id in our community instead,
 * which names the same patient in the system the document comes from (this gateway).
 */
export function sourcePatientIdFor(sourcePatientId: string | undefined, patientCx: string): string | undefined {
  if (sourcePatientId === undefined) return undefined;
  const authority = sourcePatientId.split('^')[3]?.split('&')[1]?.trim();
  return authority !== undefined && bareOid(authority) === IdentifierSystems.bsn.oid ? patientCx : sourcePatientId;
}

/**
 * A canonical date or date-time as an XDS DTM in UTC, at the precision it has (a date stays a date). A value the
 * canonical schema refuses has no DTM: its slot is left out rather than the response refused.
 */
function dtm(value: string | undefined): string | undefined {
  if (value === undefined || !DateTime.safeParse(value).success) return undefined;
  if (!value.includes('T')) return value.replace(/-/g, '');
  const t = new Date(value);
  const year = t.getUTCFullYear();
  // A zone offset can carry year 0 or 9999 over the edge of the four digits a DTM has.
  if (!(year >= 0 && year <= 9999)) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())}${two(t.getUTCHours())}${two(t.getUTCMinutes())}${two(t.getUTCSeconds())}`;
}
