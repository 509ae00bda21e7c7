import { z } from 'zod';
import { Coding, DateTime, Id, Period, Provenance } from './common.js';
import { Decimal } from './decimal.js';

/** FHIR Observation.status; `registered` is a test ordered whose result has not come (MEDLAB NUB). */
export const ObservationStatus = z.enum([
  'registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown',
]);

export const ObservationCategory = z.enum([
  'laboratory', 'vital-signs', 'exam', 'survey', 'social-history', 'procedure', 'imaging', 'activity', 'therapy',
]);

/** Where a coding came from and how sure its mapping is: NHG as sent, LOINC from a reviewed table, or a local code. */
export const CodingRole = z.enum(['original', 'mapped', 'local']);

export const ObservationCoding = Coding.extend({ role: CodingRole.default('original') });
export type ObservationCoding = z.infer<typeof ObservationCoding>;

export const Quantity = z
  .object({
    value: Decimal,
    comparator: z.enum(['<', '<=', '>=', '>']).optional(),
    /** UCUM code where known; `unitText` keeps what the sender wrote when it is not UCUM. */
    unit: z.string().max(50).optional(),
    unitText: z.string().max(50).optional(),
  })
  .strict();
export type Quantity = z.infer<typeof Quantity>;

export const ObservationValue = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('quantity'), quantity: Quantity }).strict(),
  z.object({ kind: z.literal('coded'), coding: Coding }).strict(),
  z.object({ kind: z.literal('string'), text: z.string().min(1).max(4000) }).strict(),
  z.object({ kind: z.literal('boolean'), value: z.boolean() }).strict(),
  z.object({ kind: z.literal('date'), date: DateTime }).strict(),
  z.object({ kind: z.literal('period'), period: Period }).strict(),
]);
export type ObservationValue = z.infer<typeof ObservationValue>;

export const ReferenceRange = z
  .object({
    low: Decimal.optional(),
    high: Decimal.optional(),
    unit: z.string().max(50).optional(),
    text: z.string().max(200).optional(),
  })
  .strict()
  .refine((r) => r.low !== undefined || r.high !== undefined || r.text !== undefined, 'a reference range needs a limit or a text');
export type ReferenceRange = z.infer<typeof ReferenceRange>;

/** HL7 v3 ObservationInterpretation codes that senders use (MEDLAB and HL7v3 H/L/N, plus the critical forms). */
export const Interpretation = z.enum(['H', 'HH', 'L', 'LL', 'N', 'A', 'AA', 'POS', 'NEG', 'IND']);
export type Interpretation = z.infer<typeof Interpretation>;

export const Observation = z
  .object({
    id: Id,
    patientId: Id,
    status: ObservationStatus,
    category: ObservationCategory.optional(),
    /** The first coding is the primary one (NHG Tabel 45 as sent, or the local code when unmapped). */
    codings: z.array(ObservationCoding).min(1).max(10),
    /** True when no coding from a standard table could be assigned: kept, flagged, never given an invented code. */
    unmapped: z.boolean().default(false),
    text: z.string().max(300).optional(),
    value: ObservationValue.optional(),
    effective: DateTime.optional(),
    issued: DateTime.optional(),
    referenceRange: ReferenceRange.optional(),
    interpretation: Interpretation.optional(),
    notes: z.array(z.string().min(1).max(4000)).max(50).default([]),
    performerOrganizationId: Id.optional(),
    performerPractitionerId: Id.optional(),
    reportId: Id.optional(),
    carePrograms: z.array(z.enum(['DM2', 'COPD', 'CVRM'])).max(3).default([]),
    provenance: Provenance,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.status === 'registered' && o.value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a pending (registered) observation has no value' });
    }
  });
export type Observation = z.infer<typeof Observation>;
export type ObservationInput = z.input<typeof Observation>;
