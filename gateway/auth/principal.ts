import type { Connection, Role, UserKind } from '../../canonical/index.js';

/** Who is calling, as authentication established it for this request. */
export type Principal =
  | { readonly type: 'anonymous' }
  | {
      readonly type: 'user';
      readonly userId: string;
      readonly email: string;
      readonly kind: UserKind;
      readonly roles: readonly Role[];
      readonly patientId?: string;
      /** 'password' until the second factor is given, when one is needed. */
      readonly stage: 'password' | 'complete';
      readonly sessionIdHash: string;
      readonly csrfToken: string;
    }
  | { readonly type: 'connection'; readonly connection: Connection; readonly credentialId: string };

export const ANONYMOUS: Principal = { type: 'anonymous' };
