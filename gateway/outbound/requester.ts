import type { PurposeMatch, Role } from '../../canonical/index.js';
import type { Principal } from '../auth/principal.js';

/**
 * Who asks on an outbound surface, as authentication established it. A partner's purpose comes only from what
 * its credential proved (the token's grant, the SAML assertion), never from a request header.
 */
export type Requester =
  | {
      readonly kind: 'partner';
      readonly organizationId: string;
      readonly connectionId: string;
      readonly connectionActive: boolean;
      readonly purpose: PurposeMatch;
      /** The purpose codes as the partner sent them, for the audit trail. */
      readonly purposeAsReceived?: string;
      readonly person?: { readonly name?: string; readonly id?: string; readonly role?: string };
      /**
       * A Carequality partner: the BSN is for Dutch care providers under Dutch law (Wabvpz), so it neither leaves
       * for them nor finds anyone for them, on any surface.
       */
      readonly withholdBsn: boolean;
      /** The principal's confirmation (auth/principal.ts), when its credential came from the cache unconfirmed. */
      readonly confirm?: (changeClock?: number) => Promise<void>;
    }
  | { readonly kind: 'staff'; readonly userId: string; readonly roles: readonly Role[] };

/**
 * The requester a principal stands for, or undefined for one that may not use an outbound surface at all.
 * A partner credential without a grant (a static token, a client certificate) proves no purpose: its requests
 * carry a missing purpose and are denied by consent, never assumed to be for Treatment.
 */
export function requesterOf(principal: Principal): Requester | undefined {
  if (principal.type === 'connection') {
    const grant = principal.grant;
    return {
      kind: 'partner',
      organizationId: principal.connection.organizationId,
      connectionId: principal.connection.id,
      connectionActive: principal.connection.status === 'active',
      withholdBsn: principal.connection.kind === 'carequality',
      purpose: grant?.purpose ?? { outcome: 'missing' },
      ...(grant?.purposeCodes.length ? { purposeAsReceived: grant.purposeCodes.join(' ') } : {}),
      ...(grant?.person ? { person: grant.person } : {}),
      ...(principal.confirm ? { confirm: principal.confirm } : {}),
    };
  }
  if (principal.type === 'user' && principal.kind === 'staff' && principal.stage === 'complete') {
    return { kind: 'staff', userId: principal.userId, roles: principal.roles };
  }
  return undefined;
}
