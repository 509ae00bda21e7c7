import type { z } from 'zod';
import { DateTime, Id } from './common.js';

declare const parsedBrand: unique symbol;

/**
 * A record exactly as a canonical schema's parse returned it, or one with ids assigned since (withIds). The store
 * writes such a record as it is instead of parsing the same values a second time. The type alone proves nothing at
 * run time (a cast makes one), so the functions here remember every record they hand out, with its schema, and the
 * store parses anything they did not hand out for that very schema, whatever its type says.
 */
export type Parsed<T> = T & { readonly [parsedBrand]: true };

const schemaOf = new WeakMap<object, z.ZodType>();

/** schema.safeParse, remembering a successful result as parsed by `schema`. */
export function safeParseRecord<T extends object>(schema: z.ZodType<T>, input: unknown): z.ZodSafeParseResult<Parsed<T>> {
  const result = schema.safeParse(input);
  if (result.success) schemaOf.set(result.data, schema);
  return result as z.ZodSafeParseResult<Parsed<T>>;
}

/** True when `value` is a record safeParseRecord or withIds handed out for `schema`: parsing it again would change nothing. */
export function parsedBy<T extends object>(schema: z.ZodType<T>, value: unknown): value is Parsed<T> {
  return typeof value === 'object' && value !== null && schemaOf.get(value) === schema;
}

/**
 * Which of `values` this module handed out for `schema`, in order: what a thread sends beside records it passes to
 * another by structured clone, which copies their values exactly but not this module's memory of them.
 */
export function parsedMask(schema: z.ZodType<object>, values: readonly unknown[]): boolean[] {
  return values.map((value) => parsedBy(schema, value));
}

/**
 * Remembers the structured clones another thread received as parsed by `schema` where `mask` (parsedMask of the
 * originals, in the same order) says their originals were. Only for such clones: anything else must be parsed.
 */
export function adoptParsed(schema: z.ZodType<object>, clones: readonly object[], mask: readonly boolean[]): void {
  if (mask.length !== clones.length) throw new Error(`a parse mask of ${mask.length} for ${clones.length} records`);
  clones.forEach((clone, i) => {
    if (mask[i]) schemaOf.set(clone, schema);
  });
}

/** The id fields inbound filing assigns on the clinical record schemas; each is an Id, and no refinement reads one. */
export type AssignedIds = { readonly patientId: string } & Partial<
  Record<'performerOrganizationId' | 'performerPractitionerId' | 'requesterPractitionerId' | 'organizationId' | 'practitionerId' | 'recorderPractitionerId', string>
>;

/**
 * A copy of a clinical record (Observation, DiagnosticReport, Condition, CareProgramEnrolment) under the ids filing
 * assigns: its patient, the stored ids of the parties it names (a field is replaced only where the record has it)
 * and the stored message in its provenance, with when its sender made it (`sentAt`, when known). When the record was
 * parsed and every new id is an Id (and `sentAt` a DateTime), the copy is what parsing it would give, and is
 * remembered so; otherwise it is a plain copy, which the store parses.
 */
export function withIds<T extends { readonly provenance: object }>(record: T, ids: AssignedIds, messageId: string, sentAt?: string): T & { readonly patientId: string } {
  // A time the record brings (its own message's, in a batch) stands before the one of the message as a whole.
  const own = (record.provenance as { sentAt?: unknown }).sentAt;
  const sent = own === undefined ? sentAt : undefined;
  const copy: Record<string, unknown> = { ...record, provenance: { ...record.provenance, messageId, ...(sent !== undefined ? { sentAt: sent } : {}) } };
  let valid = Id.safeParse(messageId).success && (sent === undefined || DateTime.safeParse(sent).success);
  for (const [field, id] of Object.entries(ids)) {
    if (id === undefined || (field !== 'patientId' && typeof copy[field] !== 'string')) continue;
    copy[field] = id;
    valid &&= Id.safeParse(id).success;
  }
  const schema = schemaOf.get(record);
  if (schema && valid) schemaOf.set(copy, schema);
  return copy as T & { readonly patientId: string };
}
