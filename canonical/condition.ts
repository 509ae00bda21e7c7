import { z } from 'zod';
import { Coding, DateTime, Id, Provenance } from './common.js';

/** A problem or episode, coded in ICPC-1-NL by GPs (T90.02 DM2, R95 COPD, K86/K87 hypertension, …). */
export const Condition = z
  .object({
    id: Id,
    patientId: Id,
    codings: z.array(Coding).min(1).max(10),
    text: z.string().max(300).optional(),
    clinicalStatus: z.enum(['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']).default('active'),
    verificationStatus: z.enum(['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error']).default('confirmed'),
    onset: DateTime.optional(),
    abatement: DateTime.optional(),
    recorded: DateTime.optional(),
    recorderPractitionerId: Id.optional(),
    provenance: Provenance,
  })
  .strict();
export type Condition = z.infer<typeof Condition>;
export type ConditionInput = z.input<typeof Condition>;
