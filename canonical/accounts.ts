import { z } from 'zod';

/**
 * Who may act: people (staff with roles, or a patient on the consent portal) and partner connections.
 * `member` is the least privileged staff role; a shared office account is simply a member account.
 */
export const Role = z.enum(['member', 'provider', 'admin', 'compliance']);
export type Role = z.infer<typeof Role>;

export const UserKind = z.enum(['staff', 'patient']);
export type UserKind = z.infer<typeof UserKind>;

export const UserStatus = z.enum(['invited', 'active', 'deactivated']);
export type UserStatus = z.infer<typeof UserStatus>;

/** Roles that must sign in with a second factor. */
export const TWO_FACTOR_REQUIRED: readonly Role[] = ['admin', 'compliance'];

export const ConnectionKind = z.enum(['carequality', 'fhir', 'his', 'lab']);
export type ConnectionKind = z.infer<typeof ConnectionKind>;

/** Only active connections are served; pending ones are being set up, suspended ones are refused. */
export const ConnectionStatus = z.enum(['pending', 'active', 'suspended']);
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

export const CredentialType = z.enum(['token', 'certificate', 'jwk']);
export type CredentialType = z.infer<typeof CredentialType>;

/** A person's account as the rest of the system sees it: never the password hash or the TOTP secret. */
export interface Account {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly kind: UserKind;
  readonly roles: readonly Role[];
  readonly patientId?: string;
  readonly status: UserStatus;
  readonly twoFactorEnabled: boolean;
  readonly lockedUntil?: string;
  readonly failedLogins: number;
  readonly createdAt: string;
}

export interface Connection {
  readonly id: string;
  readonly organizationId: string;
  readonly kind: ConnectionKind;
  readonly name: string;
  readonly status: ConnectionStatus;
  readonly failedAuthCount: number;
  readonly failedAuthSince?: string;
  readonly lastFailedAuthAt?: string;
  readonly createdAt: string;
}

export interface CredentialSummary {
  readonly id: string;
  readonly connectionId: string;
  readonly type: CredentialType;
  /** Safe to show: the credential id (token), the fingerprint (certificate) or the thumbprint (JWK). */
  readonly lookup: string;
  readonly label?: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}
