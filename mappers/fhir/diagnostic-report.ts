import type { DiagnosticReport as FhirDiagnosticReport } from 'fhir/r4.js';
import type { DiagnosticReport } from '../../canonical/index.js';
import { concept, fixedConcept, meta, reference, renderDateTime, renderIdentifier, renderInstant, type RenderContext } from './datatypes.js';

/**
 * A canonical DiagnosticReport (one lab order) as a FHIR R4 DiagnosticReport, its observations as `result`.
 * The requester is not rendered: R4 keeps the requester on the ServiceRequest (`basedOn`), which we do not hold.
 */
const SERVICE_SECTION = 'http://terminology.hl7.org/CodeSystem/v2-0074';

const CATEGORY: Record<DiagnosticReport['category'], { code: string; display: string }> = {
  laboratory: { code: 'LAB', display: 'Laboratory' },
  imaging: { code: 'RAD', display: 'Radiology' },
  pathology: { code: 'PAT', display: 'Pathology (gross & histopath, not surgical)' },
  other: { code: 'OTH', display: 'Other' },
};

export function renderDiagnosticReport(report: DiagnosticReport, context: RenderContext): FhirDiagnosticReport {
  const category = CATEGORY[report.category];
  const issued = report.issued ? renderInstant(report.issued) : undefined;
  return {
    resourceType: 'DiagnosticReport',
    id: report.id,
    meta: meta(context),
    ...(report.identifiers.length > 0 ? { identifier: report.identifiers.map(renderIdentifier) } : {}),
    status: report.status,
    category: [fixedConcept(SERVICE_SECTION, category.code, category.display)],
    code: concept(report.codings),
    subject: reference('Patient', report.patientId),
    ...(report.effective ? { effectiveDateTime: renderDateTime(report.effective) } : {}),
    ...(issued ? { issued } : {}),
    ...(report.performerOrganizationId ? { performer: [reference('Organization', report.performerOrganizationId)] } : {}),
    ...(report.observationIds.length > 0 ? { result: report.observationIds.map((id) => reference('Observation', id)) } : {}),
    ...(report.conclusion ? { conclusion: report.conclusion } : {}),
  };
}
