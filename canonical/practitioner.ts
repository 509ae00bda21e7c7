import { z } from 'zod';
import { Coding, Id, Identifier, Telecom } from './common.js';
import { HumanName } from './names.js';

/** A care professional: AGB and UZI in the Netherlands, NPI in the US, with a role (e.g. UZI 01.015 huisarts). */
export const Practitioner = z
  .object({
    id: Id,
    identifiers: z.array(Identifier).max(20).default([]),
    names: z.array(HumanName).max(5).default([]),
    roles: z.array(Coding).max(10).default([]),
    organizationId: Id.optional(),
    telecom: z.array(Telecom).max(10).default([]),
  })
  .strict();
export type Practitioner = z.infer<typeof Practitioner>;
export type PractitionerInput = z.input<typeof Practitioner>;
