import type { CodeableConcept, Observation as FhirObservation, Reference } from 'fhir/r4.js';
import { CodeSystems, type Interpretation, type Observation, type ObservationValue } from '../../canonical/index.js';
import { concept, fixedConcept, meta, reference, renderCoding, renderDateTime, renderInstant, renderPeriod, type RenderContext } from './datatypes.js';
import { renderQuantity, renderReferenceRange } from './quantity.js';

/**
 * A canonical Observation as a FHIR R4 Observation. Every coding goes into `code.coding` in the canonical order
 * (the code as sent first, then reviewed mappings, or the local code): an unmapped observation is served with
 * the local code it came with, since FHIR has no flag for "unmapped" and an invented standard code would be worse.
 * Report membership and care programmes are not rendered: R4 links a result to its report from the
 * DiagnosticReport (`result`), and an Observation cannot point at an EpisodeOfCare.
 */
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

const CATEGORY_DISPLAY: Record<NonNullable<Observation['category']>, string> = {
  laboratory: 'Laboratory', 'vital-signs': 'Vital Signs', exam: 'Exam', survey: 'Survey', 'social-history': 'Social History',
  procedure: 'Procedure', imaging: 'Imaging', activity: 'Activity', therapy: 'Therapy',
};

const INTERPRETATION_DISPLAY: Record<Interpretation, string> = {
  H: 'High', HH: 'Critical high', L: 'Low', LL: 'Critical low', N: 'Normal', A: 'Abnormal', AA: 'Critical abnormal',
  POS: 'Positive', NEG: 'Negative', IND: 'Indeterminate',
};

export function renderObservation(observation: Observation, context: RenderContext): FhirObservation {
  const issued = observation.issued ? renderInstant(observation.issued) : undefined;
  const performer = performers(observation);
  return {
    resourceType: 'Observation',
    id: observation.id,
    meta: meta(context),
    status: observation.status,
    ...(observation.category ? { category: [fixedConcept(CATEGORY_SYSTEM, observation.category, CATEGORY_DISPLAY[observation.category])] } : {}),
    code: concept(observation.codings, observation.text),
    subject: reference('Patient', observation.patientId),
    ...(observation.effective ? { effectiveDateTime: renderDateTime(observation.effective) } : {}),
    ...(issued ? { issued } : {}),
    ...(performer.length > 0 ? { performer } : {}),
    ...(observation.value ? renderValue(observation.value) : {}),
    ...(observation.interpretation ? { interpretation: [interpretation(observation.interpretation)] } : {}),
    ...(observation.notes.length > 0 ? { note: observation.notes.map((text) => ({ text })) } : {}),
    ...(observation.referenceRange ? { referenceRange: [renderReferenceRange(observation.referenceRange)] } : {}),
  };
}

type ObservationValueElement = Pick<
  FhirObservation,
  'valueQuantity' | 'valueCodeableConcept' | 'valueString' | 'valueBoolean' | 'valueDateTime' | 'valuePeriod'
>;

function renderValue(value: ObservationValue): ObservationValueElement {
  switch (value.kind) {
    case 'quantity':
      return { valueQuantity: renderQuantity(value.quantity) };
    case 'coded':
      return { valueCodeableConcept: { coding: [renderCoding(value.coding)] } };
    case 'string':
      return { valueString: value.text };
    case 'boolean':
      return { valueBoolean: value.value };
    case 'date':
      return { valueDateTime: renderDateTime(value.date) };
    case 'period':
      return { valuePeriod: renderPeriod(value.period) };
  }
}

function interpretation(code: Interpretation): CodeableConcept {
  return fixedConcept(CodeSystems.v3ObservationInterpretation.uri, code, INTERPRETATION_DISPLAY[code]);
}

function performers(observation: Observation): Reference[] {
  return [
    ...(observation.performerPractitionerId ? [reference('Practitioner', observation.performerPractitionerId)] : []),
    ...(observation.performerOrganizationId ? [reference('Organization', observation.performerOrganizationId)] : []),
  ];
}
