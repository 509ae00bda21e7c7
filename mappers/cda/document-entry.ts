import { createHash } from 'node:crypto';
import { CodeSystems, type Coding, type DocumentInput } from '../../canonical/index.js';
import { TITLE } from './header.js';
import { ccdDocumentRecordId, ccdEntryUuid } from './ids.js';
import type { CcdData, CcdInput } from './input.js';
import { parseCcdInput, servicePeriod } from './render-ccd.js';
import { CODES, XDS_CODES, type FixedCode } from './vocabulary.js';

/**
 * The XDS DocumentEntry (ITI TF-3 4.2.3.2; ihe-xca-xcpd.md §2.3) for a CCD that renderCcd wrote from the same
 * input. The hash and size describe exactly the bytes given, so the entry always matches what a retrieve returns.
 * Ids are derived from the uniqueId (the input's documentId, which the caller takes from ccdUniqueId): the same
 * document gets the same entryUUID and record id on every query, and a new document new ones.
 */
export interface CcdEntryContext {
  /** The OID of the repository a retrieve is sent to for this document. */
  readonly repositoryUniqueId: string;
  /** The patient's id in the system the data came from, as an HL7 CX; the published id when not given. */
  readonly sourcePatientId?: string;
}

const coding = (system: string, code: FixedCode): Coding => ({ system, code: code.code, ...(code.displayName ? { display: code.displayName } : {}) });

/** HL7 v2 escapes, so a name with `^` or `&` cannot shift the XON components. */
function escapeV2(text: string): string {
  return text.replace(/\\/g, '\\E\\').replace(/\|/g, '\\F\\').replace(/\^/g, '\\S\\').replace(/&/g, '\\T\\').replace(/~/g, '\\R\\');
}

/**
 * @throws TypeError when the input is not one renderCcd accepts: an entry for a document that was never written
 *   is a caller's mistake, not data to describe (renderCcd has already returned the issues).
 */
export function ccdDocumentEntry(input: CcdInput, xml: Uint8Array, context: CcdEntryContext): DocumentInput {
  const parsed = parseCcdInput(input);
  if (!parsed.ok) throw new TypeError(`ccdDocumentEntry needs the input of a rendered CCD: ${parsed.issues.map((i) => i.message).join('; ')}`);
  return documentEntryOf(parsed.data, xml, context);
}

/** ccdDocumentEntry of input already parsed. */
export function documentEntryOf(data: CcdData, xml: Uint8Array, context: CcdEntryContext): DocumentInput {
  const uniqueId = data.documentId.root;
  const period = servicePeriod(data);
  const ccd = coding(CodeSystems.loinc.uri, CODES.ccd);
  return {
    id: ccdDocumentRecordId(uniqueId),
    patientId: data.patient.id,
    entryUuid: ccdEntryUuid(uniqueId),
    uniqueId,
    repositoryUniqueId: context.repositoryUniqueId,
    availabilityStatus: 'approved',
    title: TITLE,
    classCode: ccd,
    typeCode: ccd,
    formatCode: { system: CodeSystems.iheFormatCode.uri, ...XDS_CODES.formatCode },
    confidentialityCodes: [{ system: CodeSystems.v3Confidentiality.uri, code: 'N', display: 'normal' }],
    healthcareFacilityTypeCode: coding(CodeSystems.snomed.uri, XDS_CODES.healthcareFacilityType),
    practiceSettingCode: coding(CodeSystems.snomed.uri, XDS_CODES.practiceSetting),
    languageCode: data.languageCode,
    mimeType: 'text/xml',
    hash: createHash('sha1').update(xml).digest('hex'),
    size: xml.byteLength,
    creationTime: data.effectiveTime,
    ...(period.low ? { serviceStartTime: period.low } : {}),
    ...(period.high ? { serviceStopTime: period.high } : {}),
    authors: [{ institutions: [`${escapeV2(data.author.name)}^^^^^^^^^${data.author.oid}`] }],
    sourcePatientId: context.sourcePatientId ?? `${escapeV2(data.patientId.extension)}^^^&${data.patientId.root}&ISO`,
    provenance: { source: 'crossgate:ccd' },
  };
}
