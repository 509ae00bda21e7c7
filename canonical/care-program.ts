import { z } from 'zod';
import { Id, Period, Provenance } from './common.js';

/** The Dutch chronic-care (ketenzorg) programmes. */
export const CareProgramCode = z.enum(['DM2', 'COPD', 'CVRM']);
export type CareProgramCode = z.infer<typeof CareProgramCode>;

export const CareProgramNames: Record<CareProgramCode, string> = {
  DM2: 'Diabetes mellitus type 2',
  COPD: 'Chronic obstructive pulmonary disease',
  CVRM: 'Cardiovascular risk management',
};

/** A patient's enrolment in one programme with one care organization (a GP practice or a care group). */
export const CareProgramEnrolment = z
  .object({
    id: Id,
    patientId: Id,
    program: CareProgramCode,
    status: z.enum(['active', 'ended']).default('active'),
    period: Period,
    conditionId: Id.optional(),
    organizationId: Id.optional(),
    practitionerId: Id.optional(),
    provenance: Provenance,
  })
  .strict();
export type CareProgramEnrolment = z.infer<typeof CareProgramEnrolment>;
export type CareProgramEnrolmentInput = z.input<typeof CareProgramEnrolment>;
