import type { Condition as FhirCondition } from 'fhir/r4.js';
import type { Condition } from '../../canonical/index.js';
import { concept, fixedConcept, meta, reference, renderDateTime, type RenderContext } from './datatypes.js';

/** A canonical Condition (a GP problem or episode, ICPC-1-NL coded) as a FHIR R4 Condition. */
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

const CLINICAL_DISPLAY: Record<Condition['clinicalStatus'], string> = {
  active: 'Active', recurrence: 'Recurrence', relapse: 'Relapse', inactive: 'Inactive', remission: 'Remission', resolved: 'Resolved',
};

const VERIFICATION_DISPLAY: Record<Condition['verificationStatus'], string> = {
  unconfirmed: 'Unconfirmed', provisional: 'Provisional', differential: 'Differential', confirmed: 'Confirmed', refuted: 'Refuted',
  'entered-in-error': 'Entered in Error',
};

export function renderCondition(condition: Condition, context: RenderContext): FhirCondition {
  const abatement = servedAbatement(condition);
  return {
    resourceType: 'Condition',
    id: condition.id,
    meta: meta(context),
    // R4 forbids a clinical status on an entered-in-error condition (con-5).
    ...(condition.verificationStatus !== 'entered-in-error'
      ? { clinicalStatus: fixedConcept(CLINICAL, condition.clinicalStatus, CLINICAL_DISPLAY[condition.clinicalStatus]) }
      : {}),
    verificationStatus: fixedConcept(VERIFICATION, condition.verificationStatus, VERIFICATION_DISPLAY[condition.verificationStatus]),
    // Every Condition here is a GP's problem or episode (the canonical model has no other kind).
    category: [fixedConcept(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item')],
    code: concept(condition.codings, condition.text),
    subject: reference('Patient', condition.patientId),
    ...(condition.onset ? { onsetDateTime: renderDateTime(condition.onset) } : {}),
    ...(abatement ? { abatementDateTime: renderDateTime(abatement) } : {}),
    ...(condition.recorded ? { recordedDate: renderDateTime(condition.recorded) } : {}),
    ...(condition.recorderPractitionerId ? { recorder: reference('Practitioner', condition.recorderPractitionerId) } : {}),
  };
}

/**
 * R4 allows an abatement only next to an inactive, remission or resolved clinical status (con-4), and an
 * entered-in-error condition has no clinical status at all (con-5). A record that says active (or recurrence,
 * relapse) and has an abatement date contradicts itself: the status wins and the date is left out, because
 * reading an active problem as over is the costlier mistake.
 */
function servedAbatement(condition: Condition): string | undefined {
  const ended = ['inactive', 'remission', 'resolved'].includes(condition.clinicalStatus);
  return ended && condition.verificationStatus !== 'entered-in-error' ? condition.abatement : undefined;
}
