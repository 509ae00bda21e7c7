import { z } from 'zod';
import { Coding, DateTime, Id, Identifier, Provenance } from './common.js';

/** One lab order's report: groups its observations, carries the lab's order number and the general comment. */
export const DiagnosticReport = z
  .object({
    id: Id,
    patientId: Id,
    status: z.enum(['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error']),
    category: z.enum(['laboratory', 'imaging', 'pathology', 'other']).default('laboratory'),
    codings: z.array(Coding).min(1).max(5),
    identifiers: z.array(Identifier).max(10).default([]),
    effective: DateTime.optional(),
    issued: DateTime.optional(),
    performerOrganizationId: Id.optional(),
    requesterPractitionerId: Id.optional(),
    observationIds: z.array(Id).max(1000).default([]),
    conclusion: z.string().max(10000).optional(),
    provenance: Provenance,
  })
  .strict();
export type DiagnosticReport = z.infer<typeof DiagnosticReport>;
export type DiagnosticReportInput = z.input<typeof DiagnosticReport>;
