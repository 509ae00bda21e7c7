import type { Logger } from '../logger.js';

/**
 * Security events that must reach the audit trail: sign-ins, failures, 2FA, role and credential changes.
 * The audit issue connects a sink that appends them to the tamper-evident trail; until then they are logged.
 * Events name accounts and connections by id, never by patient data.
 */
export type SecurityEventType =
  | 'sign-in' | 'sign-in-failed' | 'account-locked' | 'account-unlocked' | 'sign-out'
  | 'two-factor-enrolled' | 'two-factor-verified' | 'two-factor-failed' | 'two-factor-reset' | 'recovery-code-used'
  | 'password-changed' | 'invitation-created' | 'invitation-accepted'
  | 'roles-changed' | 'account-deactivated' | 'account-reactivated'
  | 'organization-saved' | 'connection-created' | 'connection-status-changed'
  | 'credential-issued' | 'credential-revoked' | 'partner-auth-failed';

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly outcome: 'success' | 'failure';
  /** The account or connection that acted, when known. */
  readonly actor?: { readonly userId?: string; readonly connectionId?: string };
  /** What the event is about (an account, a connection, a credential). */
  readonly subject?: { readonly userId?: string; readonly connectionId?: string; readonly credentialId?: string; readonly organizationId?: string };
  readonly detail?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  readonly requestId?: string;
  readonly sourceAddress?: string;
}

export interface SecurityEventSink {
  record(event: SecurityEvent): Promise<void>;
}

export function logSecurityEvents(logger: Logger): SecurityEventSink {
  return {
    async record(event) {
      logger.info({ securityEvent: event }, 'security event');
    },
  };
}
