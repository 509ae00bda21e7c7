import type { Connection, PurposeMatch, Role, UserKind } from '../../canonical/index.js';

/**
 * What a partner's access token was granted for (UDAP B2B): one purpose, and the person on whose behalf the
 * partner acts when it named one. Taken from the token the gateway signed, never from a request header.
 */
export interface ConnectionGrant {
  /** Always `matched`: a token is issued for exactly one purpose. */
  readonly purpose: PurposeMatch;
  /** The `purpose_of_use` strings as the partner sent them, for the audit record. */
  readonly purposeCodes: readonly string[];
  readonly person?: { readonly name?: string; readonly id?: string; readonly role?: string };
  /** The access token's jti. */
  readonly tokenId: string;
  readonly expiresAt: string;
}

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
  | {
      readonly type: 'connection';
      readonly connection: Connection;
      readonly credentialId: string;
      /** Present when the partner called with an access token from /oauth/token. */
      readonly grant?: ConnectionGrant;
      /**
       * Present when the credential was taken from the partner cache unconfirmed (auth/partner-directory.ts): resolves
       * once it is confirmed as of `changeClock` (a change clock read after the request arrived; read now when not
       * given), or from the database, and rejects with the refusal when the credential no longer holds. Nothing may
       * act on the principal before.
       */
      readonly confirm?: (changeClock?: number) => Promise<void>;
    };

export const ANONYMOUS: Principal = { type: 'anonymous' };
