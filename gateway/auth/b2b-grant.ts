import { z } from 'zod';
import type { Organization, Purpose } from '../../canonical/index.js';
import { matchPurpose, parsePurposeString } from '../../profiles/purposes.js';
import { OAuthError } from './oauth-error.js';

/**
 * What a partner asks a token for, from the UDAP B2B authorization extension object (`extensions.hl7-b2b` of
 * its client assertion): on behalf of which organization, for which one purpose, and for which person if any.
 * Anything wrong here is `invalid_grant`: the client proved who it is, but may not have this grant.
 */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
/** FHIR's identifier system for values that are themselves URIs. */
const URI_IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';

const Hl7B2b = z.object({
  version: z.literal('1', { error: 'must be "1"' }),
  organization_id: z.string({ error: 'is required: the URI of the requesting organization' }).max(200).regex(URI, 'must be a URI'),
  organization_name: z.string().max(300).optional(),
  purpose_of_use: z.array(z.string().min(1).max(300), { error: 'is required: an array of system#code strings' }).max(20),
  subject_name: z.string().min(1).max(300).optional(),
  subject_id: z.string().min(1).max(300).optional(),
  subject_role: z.string().min(1).max(300).optional(),
});

export interface B2bGrant {
  readonly organizationUri: string;
  readonly purpose: Purpose;
  readonly purposeCodes: readonly string[];
  readonly person?: { readonly name?: string; readonly id?: string; readonly role?: string };
}

const refuse = (description: string) => new OAuthError('invalid_grant', description);

export function readB2bGrant(extensions: Readonly<Record<string, unknown>> | undefined): B2bGrant {
  const raw = extensions?.['hl7-b2b'];
  if (raw === undefined) throw refuse('extensions.hl7-b2b is required: the B2B authorization extension object with organization_id and purpose_of_use');
  const parsed = Hl7B2b.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`extensions.hl7-b2b${issue.path.map((p) => `.${String(p)}`).join('')} ${issue.message}`);
  }
  const b2b = parsed.data;
  // One token, one purpose (UDAP B2B): a second purpose needs a token of its own.
  const match = matchPurpose(b2b.purpose_of_use.map(parsePurposeString));
  switch (match.outcome) {
    case 'missing':
      throw refuse('extensions.hl7-b2b.purpose_of_use is empty: name the purpose of use of this token');
    case 'unknown':
      throw refuse(`extensions.hl7-b2b.purpose_of_use holds a code we do not accept (${b2b.purpose_of_use.join(', ')}); send system#code, e.g. urn:oid:2.16.840.1.113883.5.8#TREAT`);
    case 'ambiguous':
      throw refuse(`extensions.hl7-b2b.purpose_of_use names several purposes (${match.purposes.join(', ')}); one token is for one purpose`);
    case 'matched': {
      const person = { ...(b2b.subject_name ? { name: b2b.subject_name } : {}), ...(b2b.subject_id ? { id: b2b.subject_id } : {}), ...(b2b.subject_role ? { role: b2b.subject_role } : {}) };
      return {
        organizationUri: b2b.organization_id, purpose: match.purpose, purposeCodes: b2b.purpose_of_use,
        ...(Object.keys(person).length > 0 ? { person } : {}),
      };
    }
  }
}

/**
 * Whether a UDAP organization_id names this organization: its home community id (`urn:oid:…`), or an identifier
 * registered with the URI system (`urn:ietf:rfc:3986`), such as the partner's FHIR Organization URL. Compared
 * exactly: identifiers are unique across organizations, so no other organization can claim the same URI.
 */
export function namesOrganization(org: Organization, uri: string): boolean {
  return org.homeCommunityId === uri || org.identifiers.some((i) => i.system === URI_IDENTIFIER_SYSTEM && i.value === uri);
}
