import type { AuditRecordInput, AuditTransaction } from '../../canonical/index.js';
import type { AuditAppender } from '../../audit/index.js';

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
  readonly actor?: { readonly userId?: string; readonly connectionId?: string; readonly organizationId?: string };
  /** What the event is about (an account, a connection, a credential). */
  readonly subject?: { readonly userId?: string; readonly connectionId?: string; readonly credentialId?: string; readonly organizationId?: string };
  readonly detail?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  /** The patients it concerns (a patient's account), so a search of the trail by patient finds it. */
  readonly patientIds?: readonly string[];
  readonly requestId?: string;
  readonly sourceAddress?: string;
}

export interface SecurityEventSink {
  record(event: SecurityEvent): Promise<void>;
}

const SIGN_IN: readonly SecurityEventType[] = [
  'sign-in', 'sign-in-failed', 'account-locked', 'sign-out', 'two-factor-verified', 'two-factor-failed', 'recovery-code-used',
];

function transactionOf(type: SecurityEventType): AuditTransaction {
  if (SIGN_IN.includes(type)) return 'sign-in';
  return type === 'partner-auth-failed' ? 'security' : 'admin-change';
}

export function auditRecordOf(event: SecurityEvent): AuditRecordInput {
  const actorUser = event.actor?.userId;
  const actorConnection = event.actor?.connectionId;
  const subject = Object.fromEntries(Object.entries(event.subject ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const detail = event.detail ? Object.fromEntries(Object.entries(event.detail).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) : undefined;
  return {
    transaction: transactionOf(event.type),
    action: event.type,
    outcome: event.outcome,
    actor: actorUser
      ? { type: 'user', userId: actorUser }
      : actorConnection
        ? { type: 'partner', connectionId: actorConnection, ...(event.actor?.organizationId ? { organizationId: event.actor.organizationId } : {}) }
        : { type: 'anonymous' },
    ...(Object.keys(subject).length > 0 ? { subject } : {}),
    ...(event.patientIds?.length ? { patientIds: [...event.patientIds] } : {}),
    ...(detail ? { detail: detail as NonNullable<AuditRecordInput['detail']> } : {}),
    ...(event.requestId ? { requestId: event.requestId } : {}),
    ...(event.sourceAddress ? { sourceAddress: event.sourceAddress } : {}),
  };
}

/** Security events into the tamper-evident trail; the caller waits until the record is committed. */
export function auditSecurityEvents(audit: AuditAppender): SecurityEventSink {
  return {
    async record(event) {
      await audit.append(auditRecordOf(event));
    },
  };
}
