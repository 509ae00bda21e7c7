import { z } from 'zod';
import { Address, DateTime, Id, Identifier, PartialDate, Telecom } from './common.js';
import { HumanName } from './names.js';
import { IdentifierSystems } from './systems.js';
import { checkBsn, describeBsnProblem } from './bsn.js';

export const Gender = z.enum(['male', 'female', 'other', 'unknown']);
export type Gender = z.infer<typeof Gender>;

/** Active, or merged into another record (kept, never deleted, so every identifier and reference stays traceable). */
export const PatientStatus = z.enum(['active', 'merged']);

export const Patient = z
  .object({
    id: Id,
    status: PatientStatus.default('active'),
    mergedInto: Id.optional(),
    identifiers: z.array(Identifier).max(50).default([]),
    names: z.array(HumanName).min(1).max(10),
    birthDate: PartialDate.optional(),
    gender: Gender.default('unknown'),
    deceased: z.union([z.boolean(), DateTime]).optional(),
    addresses: z.array(Address).max(10).default([]),
    telecom: z.array(Telecom).max(20).default([]),
    managingOrganizationId: Id.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    p.identifiers.forEach((identifier, index) => {
      if (identifier.system !== IdentifierSystems.bsn.uri) return;
      const check = checkBsn(identifier.value);
      if (!check.ok) {
        ctx.addIssue({ code: 'custom', path: ['identifiers', index, 'value'], message: describeBsnProblem(check.problem!) });
      } else if (check.bsn !== identifier.value) {
        ctx.addIssue({ code: 'custom', path: ['identifiers', index, 'value'], message: 'BSN must be written with 9 digits' });
      }
    });
    if (p.status === 'merged' && !p.mergedInto) {
      ctx.addIssue({ code: 'custom', path: ['mergedInto'], message: 'a merged patient must name the record it was merged into' });
    }
  });
export type Patient = z.infer<typeof Patient>;
export type PatientInput = z.input<typeof Patient>;

export function bsnOf(patient: Pick<Patient, 'identifiers'>): string | undefined {
  return patient.identifiers.find((i) => i.system === IdentifierSystems.bsn.uri)?.value;
}
