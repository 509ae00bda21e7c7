import { z } from 'zod';
import { DateTime, Id } from './common.js';
import { Issue } from './issue.js';

/** The wire formats inbound messages arrive in; the parser is chosen from this, after sniffing. */
export const InboundFormat = z.enum(['ketenzorg-hl7v3', 'ozis-edifact', 'medlab-edifact', 'fhir-bundle']);
export type InboundFormat = z.infer<typeof InboundFormat>;

/**
 * received: stored raw, not processed yet; processed: filed; quarantined: kept with its reasons for a person
 * to fix and replay. A message is never deleted and never stored twice for the same (sender, messageId).
 */
export const InboundStatus = z.enum(['received', 'processed', 'quarantined']);
export type InboundStatus = z.infer<typeof InboundStatus>;

export const InboundMessage = z
  .object({
    id: Id,
    /** Who sent it: the partner connection or sender code that scopes the sender's own message ids. */
    sender: z.string().min(1).max(200),
    /** The sender's id for this message (HL7v3 message id, EDIFACT interchange reference). */
    messageId: z.string().min(1).max(200),
    format: InboundFormat,
    status: InboundStatus,
    receivedAt: DateTime,
    processedAt: DateTime.optional(),
    attempts: z.number().int().nonnegative(),
    /** SHA-256 hex of the raw bytes: shows a redelivery under the same id carried the same content. */
    contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative(),
    issues: z.array(Issue).default([]),
  })
  .strict();
export type InboundMessage = z.infer<typeof InboundMessage>;
