import { z } from 'zod';
import { DateTime, Id } from './common.js';

/**
 * One exchange or security event, as the tamper-evident trail keeps it: who asked (our user, or a partner
 * organization and the person its assertion names), through which connection and surface, for which purpose,
 * about whom, what was decided and why, and the ids of what left. Never clinical content, never whole tokens.
 */
export const AuditTransaction = z.enum([
  'ITI-55', 'ITI-38', 'ITI-39', 'fhir-read', 'fhir-search', 'fhir-operation', 'inbound-ketenzorg', 'inbound-lab',
  'admin-change', 'staff-read', 'sign-in', 'security', 'audit-access', 'outbound-query',
]);
export type AuditTransaction = z.infer<typeof AuditTransaction>;

export const AuditOutcome = z.enum(['success', 'denied', 'failure']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditActor = z
  .object({
    type: z.enum(['user', 'partner', 'system', 'anonymous']),
    userId: Id.optional(),
    organizationId: Id.optional(),
    connectionId: Id.optional(),
    /** The person the partner's assertion names (SAML NameID / subject-id), as given. */
    name: z.string().max(300).optional(),
    role: z.string().max(100).optional(),
    homeCommunityId: z.string().max(200).optional(),
  })
  .strict();
export type AuditActor = z.infer<typeof AuditActor>;

export const AuditDecision = z
  .object({
    result: z.enum(['permit', 'deny', 'filtered', 'not-applicable']),
    reason: z.string().max(500),
    policyVersion: z.string().max(100).optional(),
  })
  .strict();

export const AuditRecordInput = z
  .object({
    transaction: AuditTransaction,
    /** What happened within the transaction, e.g. "sign-in-failed" or "Patient/$everything". */
    action: z.string().min(1).max(100),
    outcome: AuditOutcome,
    actor: AuditActor,
    surface: z.string().max(50).optional(),
    purpose: z.object({ asReceived: z.string().max(300).optional(), matched: z.string().max(100).optional() }).strict().optional(),
    patientIds: z.array(Id).max(1000).default([]),
    /** The request as received (base64), so the query can be reproduced. */
    query: z.string().max(200_000).optional(),
    decision: AuditDecision.optional(),
    returned: z.array(z.string().max(300)).max(10_000).default([]),
    subject: z.record(z.string(), z.string().max(300)).optional(),
    detail: z.record(z.string(), z.union([z.string().max(1000), z.number(), z.boolean(), z.array(z.string().max(300)).max(50)])).optional(),
    requestId: z.string().max(100).optional(),
    sourceAddress: z.string().max(100).optional(),
  })
  .strict();
export type AuditRecordInput = z.input<typeof AuditRecordInput>;
export type AuditRecordContent = z.infer<typeof AuditRecordInput>;

/** A record as stored: its content, its place in the chain and the hashes that link it. */
export interface AuditRecord {
  readonly seq: number;
  readonly recordedAt: DateTime;
  readonly prevHash: string;
  readonly hash: string;
  readonly content: AuditRecordContent;
}
