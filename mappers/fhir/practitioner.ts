import type { Practitioner as FhirPractitioner } from 'fhir/r4.js';
import type { Practitioner } from '../../canonical/index.js';
import { concept, meta, renderIdentifier, renderTelecom, type RenderContext } from './datatypes.js';
import { renderHumanName } from './human-name.js';

/**
 * A canonical Practitioner as a FHIR R4 Practitioner. Its roles (UZI role codes such as 01.015 huisarts) are
 * registered professional qualifications, so they go to `qualification`; the link to the organization belongs to
 * a PractitionerRole, which this surface does not serve, so `organizationId` is not rendered here.
 */
export function renderPractitioner(practitioner: Practitioner, context: RenderContext): FhirPractitioner {
  return {
    resourceType: 'Practitioner',
    id: practitioner.id,
    meta: meta(context),
    ...(practitioner.identifiers.length > 0 ? { identifier: practitioner.identifiers.map(renderIdentifier) } : {}),
    ...(practitioner.names.length > 0 ? { name: practitioner.names.map(renderHumanName) } : {}),
    ...(practitioner.telecom.length > 0 ? { telecom: practitioner.telecom.map(renderTelecom) } : {}),
    ...(practitioner.roles.length > 0 ? { qualification: practitioner.roles.map((role) => ({ code: concept([role]) })) } : {}),
  };
}
