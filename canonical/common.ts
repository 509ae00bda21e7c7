import { z } from 'zod';
import { canonicalSystem } from './systems.js';

export const Id = z.uuid();
export type Id = z.infer<typeof Id>;

/** FHIR date: YYYY, YYYY-MM or YYYY-MM-DD (senders often know only the year of a birth or an onset). */
export const PartialDate = z
  .string()
  .regex(/^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/, 'must be YYYY, YYYY-MM or YYYY-MM-DD');
export type PartialDate = z.infer<typeof PartialDate>;

/** FHIR dateTime: a partial date, or a date and time with seconds optional and a zone required. */
export const DateTime = z
  .string()
  .regex(
    /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))?)?)?$/,
    'must be an ISO 8601 date or date-time with a time zone',
  );
export type DateTime = z.infer<typeof DateTime>;

export const Period = z
  .object({ start: DateTime.optional(), end: DateTime.optional() })
  .strict()
  .refine((p) => p.start !== undefined || p.end !== undefined, 'a period needs a start or an end');
export type Period = z.infer<typeof Period>;

/** An identifier in one system, the system always in its canonical spelling (see canonicalSystem). */
export const Identifier = z
  .object({
    system: z.string().min(1).max(300).transform(canonicalSystem),
    value: z.string().trim().min(1).max(200),
    /** The assigning authority's name, where the system alone does not say who issued it. */
    assignerName: z.string().max(200).optional(),
    use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
    period: Period.optional(),
  })
  .strict();
export type Identifier = z.infer<typeof Identifier>;

export const Coding = z
  .object({
    system: z.string().min(1).max(300).transform(canonicalSystem),
    code: z.string().min(1).max(200),
    display: z.string().max(500).optional(),
    version: z.string().max(50).optional(),
  })
  .strict();
export type Coding = z.infer<typeof Coding>;

export const Address = z
  .object({
    use: z.enum(['home', 'work', 'temp', 'old', 'billing']).optional(),
    lines: z.array(z.string().max(200)).max(5).default([]),
    street: z.string().max(200).optional(),
    houseNumber: z.string().max(20).optional(),
    city: z.string().max(100).optional(),
    district: z.string().max(100).optional(),
    state: z.string().max(100).optional(),
    postalCode: z.string().max(20).optional(),
    country: z.string().max(60).optional(),
  })
  .strict();
export type Address = z.infer<typeof Address>;

export const Telecom = z
  .object({
    system: z.enum(['phone', 'email', 'fax', 'url', 'sms', 'other']),
    value: z.string().trim().min(1).max(200),
    use: z.enum(['home', 'work', 'mobile', 'temp', 'old']).optional(),
  })
  .strict();
export type Telecom = z.infer<typeof Telecom>;

/** Where a record came from: the inbound message that carried it, or the generator that made it. */
export const Provenance = z
  .object({
    messageId: Id.optional(),
    source: z.string().min(1).max(200),
    sourceRecordId: z.string().max(200).optional(),
    /** When the sender made the message that brought this version, by its own clock: what orders a correction after what it corrects. */
    sentAt: DateTime.optional(),
  })
  .strict();
export type Provenance = z.infer<typeof Provenance>;

/** The first instant a (possibly partial) date-time covers, in UTC; used to index and order by time. */
export function startInstant(value: string): string {
  if (/^\d{4}$/.test(value)) return `${value}-01-01T00:00:00.000Z`;
  if (/^\d{4}-\d{2}$/.test(value)) return `${value}-01T00:00:00.000Z`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00.000Z`;
  return new Date(value).toISOString();
}
