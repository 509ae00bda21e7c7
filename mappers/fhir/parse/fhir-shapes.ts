import { z } from 'zod';

/**
 * The FHIR R4 shapes an import accepts (after @types/fhir `fhir/r4`), checked with zod at the boundary. Only the
 * elements the import reads are declared: others are dropped unread, so an unknown element never blocks a load.
 * Enumerations are narrowed to what the canonical model can hold, so an unsupported value is refused by name here
 * rather than lost later.
 */
const text = z.string();

export const FhirCoding = z.object({ system: text.optional(), version: text.optional(), code: text.optional(), display: text.optional() });
export type FhirCoding = z.infer<typeof FhirCoding>;

export const FhirConcept = z.object({ coding: z.array(FhirCoding).optional(), text: text.optional() });
export type FhirConcept = z.infer<typeof FhirConcept>;

export const FhirPeriod = z.object({ start: text.optional(), end: text.optional() });
export type FhirPeriod = z.infer<typeof FhirPeriod>;

export const FhirIdentifier = z.object({
  use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
  system: text.optional(),
  value: text.optional(),
  period: FhirPeriod.optional(),
  assigner: z.object({ display: text.optional() }).optional(),
});
export type FhirIdentifier = z.infer<typeof FhirIdentifier>;

export const FhirReference = z.object({ reference: text.optional(), type: text.optional(), identifier: FhirIdentifier.optional(), display: text.optional() });
export type FhirReference = z.infer<typeof FhirReference>;

const FhirExtension = z.object({ url: text, valueString: text.optional(), valueCode: text.optional() });
/** The `_element` companion of a primitive, which carries its extensions (JSON null where a repeat has none). */
const FhirPrimitiveExtras = z.object({ extension: z.array(FhirExtension).optional() });
export type FhirPrimitiveExtras = z.infer<typeof FhirPrimitiveExtras>;

export const FhirHumanName = z.object({
  extension: z.array(FhirExtension).optional(),
  use: z.enum(['official', 'usual', 'nickname', 'maiden', 'old', 'anonymous']).optional(),
  text: text.optional(),
  family: text.optional(),
  _family: FhirPrimitiveExtras.optional(),
  given: z.array(text).optional(),
  _given: z.array(FhirPrimitiveExtras.nullable()).optional(),
  prefix: z.array(text).optional(),
  suffix: z.array(text).optional(),
});
export type FhirHumanName = z.infer<typeof FhirHumanName>;

export const FhirContactPoint = z.object({
  system: z.enum(['phone', 'email', 'fax', 'url', 'sms', 'other']).optional(),
  value: text.optional(),
  use: z.enum(['home', 'work', 'mobile', 'temp', 'old']).optional(),
});
export type FhirContactPoint = z.infer<typeof FhirContactPoint>;

export const FhirAddress = z.object({
  use: z.enum(['home', 'work', 'temp', 'old', 'billing']).optional(),
  line: z.array(text).optional(),
  _line: z.array(FhirPrimitiveExtras.nullable()).optional(),
  city: text.optional(),
  district: text.optional(),
  state: text.optional(),
  postalCode: text.optional(),
  country: text.optional(),
});
export type FhirAddress = z.infer<typeof FhirAddress>;

export const FhirPatient = z.object({
  resourceType: z.literal('Patient'),
  id: text.optional(),
  identifier: z.array(FhirIdentifier).optional(),
  name: z.array(FhirHumanName).optional(),
  telecom: z.array(FhirContactPoint).optional(),
  gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
  birthDate: text.optional(),
  deceasedBoolean: z.boolean().optional(),
  deceasedDateTime: text.optional(),
  address: z.array(FhirAddress).optional(),
});
export type FhirPatient = z.infer<typeof FhirPatient>;

export const FhirBinary = z.object({ resourceType: z.literal('Binary'), id: text.optional(), contentType: text, data: text.optional() });

/** The resources a DocumentReference may contain to describe its authors and source patient (as IHE MHD does). */
export const FhirPractitioner = z.object({
  resourceType: z.literal('Practitioner'),
  identifier: z.array(FhirIdentifier).optional(),
  name: z.array(FhirHumanName).optional(),
  telecom: z.array(FhirContactPoint).optional(),
});
export type FhirPractitioner = z.infer<typeof FhirPractitioner>;

export const FhirOrganization = z.object({
  resourceType: z.literal('Organization'),
  identifier: z.array(FhirIdentifier).optional(),
  name: text.optional(),
  telecom: z.array(FhirContactPoint).optional(),
});
export type FhirOrganization = z.infer<typeof FhirOrganization>;

export const FhirPractitionerRole = z.object({
  resourceType: z.literal('PractitionerRole'),
  practitioner: FhirReference.optional(),
  organization: FhirReference.optional(),
  code: z.array(FhirConcept).optional(),
  specialty: z.array(FhirConcept).optional(),
  telecom: z.array(FhirContactPoint).optional(),
});
export type FhirPractitionerRole = z.infer<typeof FhirPractitionerRole>;

export const FhirContainedPatient = z.object({ resourceType: z.literal('Patient'), identifier: z.array(FhirIdentifier).optional() });

export const FhirAttachment = z.object({
  contentType: text.optional(),
  language: text.optional(),
  data: text.optional(),
  url: text.optional(),
  size: z.number().int().nonnegative().optional(),
  hash: text.optional(),
  title: text.optional(),
  creation: text.optional(),
});
export type FhirAttachment = z.infer<typeof FhirAttachment>;

export const FhirDocumentReference = z.object({
  resourceType: z.literal('DocumentReference'),
  id: text.optional(),
  contained: z.array(z.looseObject({ resourceType: text, id: text.optional() })).optional(),
  masterIdentifier: FhirIdentifier.optional(),
  identifier: z.array(FhirIdentifier).optional(),
  status: z.enum(['current', 'superseded', 'entered-in-error']),
  type: FhirConcept.optional(),
  category: z.array(FhirConcept).optional(),
  subject: FhirReference.optional(),
  author: z.array(FhirReference).optional(),
  authenticator: FhirReference.optional(),
  relatesTo: z.array(z.unknown()).optional(),
  description: text.optional(),
  securityLabel: z.array(FhirConcept).optional(),
  content: z.array(z.object({ attachment: FhirAttachment, format: FhirCoding.optional() })).min(1),
  context: z
    .object({
      encounter: z.array(z.unknown()).optional(),
      event: z.array(FhirConcept).optional(),
      period: FhirPeriod.optional(),
      facilityType: FhirConcept.optional(),
      practiceSetting: FhirConcept.optional(),
      sourcePatientInfo: FhirReference.optional(),
      related: z.array(z.unknown()).optional(),
    })
    .optional(),
});
export type FhirDocumentReference = z.infer<typeof FhirDocumentReference>;

export const FhirImportBundle = z.object({
  resourceType: z.literal('Bundle'),
  type: z.enum(['collection', 'transaction']),
  entry: z
    .array(
      z.object({
        fullUrl: text.optional(),
        resource: z.looseObject({ resourceType: text, id: text.optional() }),
        request: z.object({ method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']), url: text }).optional(),
      }),
    )
    .optional(),
});
export type FhirImportBundle = z.infer<typeof FhirImportBundle>;
