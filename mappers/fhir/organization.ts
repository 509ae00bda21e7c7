import type { Organization as FhirOrganization } from 'fhir/r4.js';
import type { Organization } from '../../canonical/index.js';
import { meta, renderAddress, renderIdentifier, renderTelecom, URI_SYSTEM, type RenderContext } from './datatypes.js';

/**
 * A canonical Organization as a FHIR R4 Organization: AGB, URA and other identifiers as held, and the IHE home
 * community id as a URI identifier (how IHE writes an OID that is itself the identifier).
 */
export function renderOrganization(organization: Organization, context: RenderContext): FhirOrganization {
  const identifiers = [
    ...organization.identifiers.map(renderIdentifier),
    ...(organization.homeCommunityId ? [{ system: URI_SYSTEM, value: organization.homeCommunityId }] : []),
  ];
  return {
    resourceType: 'Organization',
    id: organization.id,
    meta: meta(context),
    ...(identifiers.length > 0 ? { identifier: identifiers } : {}),
    active: organization.active,
    name: organization.name,
    ...(organization.telecom.length > 0 ? { telecom: organization.telecom.map((t) => renderTelecom(withoutHomeUse(t))) } : {}),
    ...(organization.addresses.length > 0 ? { address: organization.addresses.map((a) => renderAddress(withoutHomeUse(a))) } : {}),
  };
}

/** R4 forbids `home` on an organization's contacts (org-2, org-3); the contact itself is still worth serving. */
function withoutHomeUse<T extends { use?: string | undefined }>(contact: T): T {
  return contact.use === 'home' ? { ...contact, use: undefined } : contact;
}
