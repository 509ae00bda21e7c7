import type { Attachment, DocumentReference, DocumentReferenceContext, Identifier } from 'fhir/r4.js';
import { oidSystem, type Document } from '../../canonical/index.js';
import { absoluteUrl, concept, meta, reference, renderCoding, renderDateTime, renderPeriod, URI_SYSTEM, type RenderContext } from './datatypes.js';
import { renderAuthors, renderRelated } from './xds-authors.js';

/**
 * A canonical Document (an XDS DocumentEntry) as an IHE MHD DocumentReference (ITI-67), following the MHD
 * DocumentEntry mapping: uniqueId → masterIdentifier, entryUUID → identifier, availabilityStatus → status, the XDS
 * codes → type, category, securityLabel, context and content.format, and the document itself behind an absolute
 * Binary URL (ITI-68); authors, the legal authenticator and the reference ids from their XDS strings (xds-authors.ts),
 * and `date`, when the entry was registered here (its meta.lastUpdated: a registered entry is not changed). No MHD
 * profile is claimed in `meta.profile`: Comprehensive needs a contained sourcePatientInfo, which is not given out (the
 * source patient id may be a BSN).
 */
export function renderDocumentReference(document: Document, context: RenderContext): DocumentReference {
  const period = documentPeriod(document);
  const related = renderRelated(document.referenceIds);
  const documentContext: DocumentReferenceContext = {
    ...(document.eventCodes.length > 0 ? { event: document.eventCodes.map((c) => concept([c])) } : {}),
    ...(period ? { period } : {}),
    facilityType: concept([document.healthcareFacilityTypeCode]),
    practiceSetting: concept([document.practiceSettingCode]),
    ...(related.length ? { related } : {}),
  };
  const { contained, author, authenticator } = renderAuthors(document.authors, document.legalAuthenticator);
  return {
    resourceType: 'DocumentReference',
    id: document.id,
    meta: meta(context),
    ...(contained.length ? { contained } : {}),
    masterIdentifier: masterIdentifier(document.uniqueId),
    identifier: [{ use: 'official', system: URI_SYSTEM, value: document.entryUuid }],
    status: document.availabilityStatus === 'approved' ? 'current' : 'superseded',
    type: concept([document.typeCode]),
    category: [concept([document.classCode])],
    subject: reference('Patient', document.patientId),
    date: context.lastUpdated,
    ...(author.length ? { author } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(document.comments ? { description: document.comments } : {}),
    securityLabel: document.confidentialityCodes.map((c) => concept([c])),
    content: [{ attachment: attachment(document, context), format: renderCoding(document.formatCode) }],
    context: documentContext,
  };
}

/** An OID uniqueId is a URI identifier; "oid^extension" is the extension issued under that OID. */
function masterIdentifier(uniqueId: string): Identifier {
  const [root = uniqueId, extension] = uniqueId.split('^');
  return extension ? { system: oidSystem(root), value: extension } : { system: URI_SYSTEM, value: oidSystem(root) };
}

/** XDS keeps the hash as hex; FHIR's Attachment.hash is the base64 of the same SHA-1 bytes. */
function sha1Base64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

function attachment(document: Document, context: RenderContext): Attachment {
  return {
    contentType: document.mimeType,
    language: document.languageCode,
    url: absoluteUrl(context, `Binary/${document.id}`),
    size: document.size,
    hash: sha1Base64(document.hash),
    ...(document.title ? { title: document.title } : {}),
    creation: renderDateTime(document.creationTime),
  };
}

function documentPeriod(document: Document): DocumentReferenceContext['period'] {
  if (!document.serviceStartTime && !document.serviceStopTime) return undefined;
  return renderPeriod({ start: document.serviceStartTime, end: document.serviceStopTime });
}
