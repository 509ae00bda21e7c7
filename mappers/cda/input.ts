import { z } from 'zod';
import {
  Address,
  CareProgramEnrolment,
  Condition,
  DiagnosticReport,
  Observation,
  Patient,
  Telecom,
} from '../../canonical/index.js';

const Oid = z.string().regex(/^[0-2](\.(0|[1-9]\d*))+$/, 'must be an OID');

/** An organization as the CDA header names it: by OID, with a name and how to reach it. */
export const CcdOrganization = z
  .object({
    oid: Oid,
    name: z.string().trim().min(1).max(300),
    addresses: z.array(Address).max(5).default([]),
    telecom: z.array(Telecom).max(10).default([]),
  })
  .strict();
export type CcdOrganization = z.infer<typeof CcdOrganization>;

/**
 * What one on-demand CCD is made of. Everything that varies between two renderings is here, so the renderer needs
 * no clock: `effectiveTime` is the latest change of the data, which the caller knows from the store.
 */
export const CcdInput = z
  .object({
    patient: Patient,
    /** The id the patient is published under in the affinity domain (what XCPD answered and XCA is queried with). */
    patientId: z.object({ root: Oid, extension: z.string().trim().min(1).max(200) }).strict(),
    custodian: CcdOrganization,
    author: CcdOrganization,
    conditions: z.array(Condition).max(1000).default([]),
    enrolments: z.array(CareProgramEnrolment).max(100).default([]),
    observations: z.array(Observation).max(20000).default([]),
    reports: z.array(DiagnosticReport).max(5000).default([]),
    documentId: z.object({ root: Oid }).strict(),
    effectiveTime: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be a date-time with a time zone'),
    languageCode: z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag such as nl-NL').default('nl-NL'),
  })
  .strict();
export type CcdInput = z.input<typeof CcdInput>;
export type CcdData = z.infer<typeof CcdInput>;
