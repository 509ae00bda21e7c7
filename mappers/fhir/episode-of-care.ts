import type { EpisodeOfCare } from 'fhir/r4.js';
import { CareProgramNames, type CareProgramEnrolment } from '../../canonical/index.js';
import { meta, reference, renderPeriod, type RenderContext } from './datatypes.js';

// EpisodeOfCare, not CarePlan: an enrolment is a patient under one organization's responsibility for a period, and holds no activities or goals.
const CARE_PROGRAM_SYSTEM = 'urn:crossgate:care-program';

/** A ketenzorg programme enrolment (DM2, COPD, CVRM) as a FHIR R4 EpisodeOfCare, its ICPC condition as diagnosis. */
export function renderEpisodeOfCare(enrolment: CareProgramEnrolment, context: RenderContext): EpisodeOfCare {
  return {
    resourceType: 'EpisodeOfCare',
    id: enrolment.id,
    meta: meta(context),
    status: enrolment.status === 'active' ? 'active' : 'finished',
    // The programmes have no code in a public code system, so the coding is ours and the name is the text.
    type: [{ coding: [{ system: CARE_PROGRAM_SYSTEM, code: enrolment.program, display: CareProgramNames[enrolment.program] }], text: CareProgramNames[enrolment.program] }],
    ...(enrolment.conditionId ? { diagnosis: [{ condition: reference('Condition', enrolment.conditionId) }] } : {}),
    patient: reference('Patient', enrolment.patientId),
    ...(enrolment.organizationId ? { managingOrganization: reference('Organization', enrolment.organizationId) } : {}),
    period: renderPeriod(enrolment.period),
    ...(enrolment.practitionerId ? { careManager: reference('Practitioner', enrolment.practitionerId) } : {}),
  };
}
