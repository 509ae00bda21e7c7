import { z } from 'zod';
import { DateTime, Id, Identifier, PartialDate } from './common.js';
import { Issue } from './issue.js';
import { HumanName } from './names.js';
import { Gender } from './patient.js';

/**
 * What became of one part of an inbound message: the records it carries about one person (the items of a
 * ketenzorg message about one patient, or one MEDLAB message). Filed under a patient; waiting for staff to say
 * whose it is (the matching queue: no BSN, and not exactly one patient fits); or quarantined with its reasons.
 */
export const InboundPartStatus = z.enum(['filed', 'waiting', 'quarantined']);
export type InboundPartStatus = z.infer<typeof InboundPartStatus>;

/** The person as the message describes them, kept for the matching queue; never more than identity needs. */
export const InboundSubject = z
  .object({
    identifiers: z.array(Identifier).max(20).default([]),
    names: z.array(HumanName).max(10).default([]),
    birthDate: PartialDate.optional(),
    gender: Gender.default('unknown'),
  })
  .strict();
export type InboundSubject = z.infer<typeof InboundSubject>;

export const MatchCandidate = z
  .object({
    patientId: Id,
    score: z.number().int().min(0).max(100),
    reasons: z.array(z.string().max(200)).max(20),
  })
  .strict();
export type MatchCandidate = z.infer<typeof MatchCandidate>;

/** The longest part key: a key names which items or messages make a part (gateway/inbound adapters build them). */
export const PART_KEY_MAX = 200;

export const InboundPart = z
  .object({
    id: Id,
    /** The stored inbound message (inbound_messages.id) the part belongs to. */
    inboundId: Id,
    /** Which items or messages make the part, stable across replays of the same bytes. */
    key: z.string().min(1).max(PART_KEY_MAX),
    /** The sender's references of those items or messages. */
    refs: z.array(z.string().max(300)).max(1000),
    status: InboundPartStatus,
    patientId: Id.optional(),
    subject: InboundSubject.optional(),
    candidates: z.array(MatchCandidate).max(20).default([]),
    issues: z.array(Issue).default([]),
    /** How many canonical records it carries (filed, waiting or held back with it). */
    records: z.number().int().nonnegative(),
    /** Who decided whose it is, when a person did. */
    resolvedBy: z.string().max(300).optional(),
    createdAt: DateTime.optional(),
    updatedAt: DateTime.optional(),
  })
  .strict()
  .refine((p) => (p.status === 'filed') === (p.patientId !== undefined), 'a part names its patient exactly when it is filed');
export type InboundPart = z.infer<typeof InboundPart>;
export type InboundPartInput = z.input<typeof InboundPart>;
