import type { FhirResource } from 'fhir/r4.js';
import type { CareProgramEnrolment, Condition, DiagnosticReport, Document, Observation, Organization, Practitioner } from '../../canonical/index.js';
import { renderCondition } from '../../mappers/fhir/condition.js';
import type { RenderContext } from '../../mappers/fhir/datatypes.js';
import { renderDiagnosticReport } from '../../mappers/fhir/diagnostic-report.js';
import { renderDocumentReference } from '../../mappers/fhir/document-reference.js';
import { renderEpisodeOfCare } from '../../mappers/fhir/episode-of-care.js';
import { renderObservation } from '../../mappers/fhir/observation.js';
import { renderOrganization } from '../../mappers/fhir/organization.js';
import { renderPatient } from '../../mappers/fhir/patient.js';
import { renderPractitioner } from '../../mappers/fhir/practitioner.js';
import type { PatientRecord } from '../../store/index.js';
import type { ConsentedReader } from '../outbound/consented-reader.js';
import type { ResourceType } from './capability-table.js';

/** A record as the consented reader hands it out, ready to be rendered as the FHIR resource of its type. */
export type Renderable = PatientRecord | Observation | Condition | DiagnosticReport | Document | CareProgramEnrolment | Organization | Practitioner;

/** The types renderAny renders from a record of ours; Binary, Consent and AuditEvent have renderers of their own. */
export type RecordType = Exclude<ResourceType, 'Binary' | 'Consent' | 'AuditEvent'>;

const idOf = (r: Renderable) => ('patient' in r ? r.patient.id : r.id);

/** Renders records of one type with their version and last change (from the store), in the order given. */
export async function renderAny(read: ConsentedReader, type: RecordType, records: readonly Renderable[], baseUrl: string): Promise<FhirResource[]> {
  if (records.length === 0) return [];
  // A patient record carries its version; other records' times are asked for in one statement.
  const stamps = type === 'Patient'
    ? new Map((records as PatientRecord[]).map((r) => [r.patient.id, { version: r.version, updatedAt: r.updatedAt }]))
    : await read.stamps(type, records.map(idOf));
  return records.map((record) => {
    const stamp = stamps.get(idOf(record));
    if (!stamp) throw new Error(`${type}/${idOf(record)} has no stored version`);
    const context: RenderContext = { baseUrl, versionId: String(stamp.version), lastUpdated: stamp.updatedAt };
    return renderOne(type, record, context);
  });
}

/** One version of a record, rendered with that version's stamp (a vread). */
export function renderVersion(type: RecordType, record: Renderable, stamp: { version: number; updatedAt: string }, baseUrl: string): FhirResource {
  return renderOne(type, record, { baseUrl, versionId: String(stamp.version), lastUpdated: stamp.updatedAt });
}

function renderOne(type: RecordType, record: Renderable, context: RenderContext): FhirResource {
  switch (type) {
    case 'Patient': return renderPatient((record as PatientRecord).patient, context);
    case 'Observation': return renderObservation(record as Observation, context);
    case 'Condition': return renderCondition(record as Condition, context);
    case 'DiagnosticReport': return renderDiagnosticReport(record as DiagnosticReport, context);
    case 'DocumentReference': return renderDocumentReference(record as Document, context);
    case 'Organization': return renderOrganization(record as Organization, context);
    case 'Practitioner': return renderPractitioner(record as Practitioner, context);
    case 'EpisodeOfCare': return renderEpisodeOfCare(record as CareProgramEnrolment, context);
  }
}
