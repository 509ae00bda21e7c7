import { z } from 'zod';
import { Address, Id, Identifier, Telecom } from './common.js';

/**
 * A care organization or partner: AGB and URA for Dutch parties, an OID for IHE communities, where the
 * home community id (urn:oid:…) is the one that XCA's `home` attribute carries.
 */
export const Organization = z
  .object({
    id: Id,
    name: z.string().trim().min(1).max(300),
    identifiers: z.array(Identifier).max(20).default([]),
    homeCommunityId: z
      .string()
      .regex(/^urn:oid:[0-2](\.(0|[1-9]\d*))+$/, 'must be urn:oid: followed by an OID')
      .optional(),
    addresses: z.array(Address).max(5).default([]),
    telecom: z.array(Telecom).max(10).default([]),
    active: z.boolean().default(true),
  })
  .strict();
export type Organization = z.infer<typeof Organization>;
export type OrganizationInput = z.input<typeof Organization>;
