import type { Patient as FhirPatient } from 'fhir/r4.js';
import type { Patient } from '../../canonical/index.js';
import { meta, reference, renderAddress, renderDateTime, renderIdentifier, renderTelecom, type RenderContext } from './datatypes.js';
import { renderHumanName } from './human-name.js';

/**
 * A canonical Patient as a FHIR R4 Patient. A merged record is still served (references to it must resolve), but
 * inactive and pointing at the record that replaced it, as Patient.link `replaced-by` is meant for.
 */
export function renderPatient(patient: Patient, context: RenderContext): FhirPatient {
  return {
    resourceType: 'Patient',
    id: patient.id,
    meta: meta(context),
    ...(patient.identifiers.length > 0 ? { identifier: patient.identifiers.map(renderIdentifier) } : {}),
    active: patient.status === 'active',
    name: patient.names.map(renderHumanName),
    ...(patient.telecom.length > 0 ? { telecom: patient.telecom.map(renderTelecom) } : {}),
    gender: patient.gender,
    ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
    ...deceased(patient.deceased),
    ...(patient.addresses.length > 0 ? { address: patient.addresses.map(renderAddress) } : {}),
    ...(patient.managingOrganizationId ? { managingOrganization: reference('Organization', patient.managingOrganizationId) } : {}),
    ...(patient.status === 'merged' && patient.mergedInto ? { link: [{ other: reference('Patient', patient.mergedInto), type: 'replaced-by' }] } : {}),
  };
}

function deceased(value: Patient['deceased']): Pick<FhirPatient, 'deceasedBoolean' | 'deceasedDateTime'> {
  if (value === undefined) return {};
  return typeof value === 'boolean' ? { deceasedBoolean: value } : { deceasedDateTime: renderDateTime(value) };
}
