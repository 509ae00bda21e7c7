import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';

/**
 * What the FHIR surface serves, as data: the router accepts exactly these parameters and interactions, and the
 * CapabilityStatement is generated from the same table, so it can never claim what the server does not do.
 */
export type ResourceType =
  | 'Patient' | 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'Binary' | 'Organization' | 'Practitioner'
  | 'EpisodeOfCare' | 'Consent' | 'AuditEvent';

/** The `_include` values the searches resolve (gateway/fhir/search/includes.ts has one resolver for each). */
export type IncludeName =
  | 'Observation:patient' | 'Condition:patient' | 'DiagnosticReport:patient' | 'DocumentReference:patient' | 'EpisodeOfCare:patient'
  | 'DiagnosticReport:result';

/** The `_revinclude` values a Patient search resolves: each patient's own records of that type (search/revincludes.ts). */
export type RevIncludeName =
  | 'Observation:patient' | 'Condition:patient' | 'DiagnosticReport:patient' | 'DocumentReference:patient' | 'EpisodeOfCare:patient';

export interface SearchParamSpec {
  readonly name: string;
  readonly type: 'token' | 'string' | 'date' | 'reference';
  readonly documentation: string;
}

export interface OperationSpec {
  readonly name: string;
  readonly definition: string;
  readonly documentation: string;
}

export interface ResourceSpec {
  readonly type: ResourceType;
  readonly read: boolean;
  /**
   * Every version kept is read by `/{type}/{id}/_history/{vid}`, and all of them by `/{type}/{id}/_history` (a sender
   * corrects records; a patient's record changes with identifiers, edits and merges).
   */
  readonly vread?: boolean;
  readonly search: readonly SearchParamSpec[] | undefined;
  readonly include?: readonly IncludeName[];
  readonly revinclude?: readonly RevIncludeName[];
  readonly operations?: readonly OperationSpec[];
  /** Who may use it: care (partners and clinic staff, consent-gated) or compliance (audit readers, audited as such). */
  readonly audience: 'care' | 'compliance';
  readonly documentation: string;
}

const patientRef = (doc: string): SearchParamSpec[] => [
  { name: 'patient', type: 'reference', documentation: `${doc} Required (or subject, or patient.identifier): one patient per search.` },
  { name: 'subject', type: 'reference', documentation: 'The same as patient, written as subject=Patient/id.' },
  { name: 'patient.identifier', type: 'token', documentation: 'The patient by identifier, system|value, e.g. the BSN (ITI-67 for DocumentReference).' },
];

const RECORD_ID: SearchParamSpec = { name: '_id', type: 'token', documentation: "The record's logical id; commas for alternatives (within the patient's records)." };

const LAST_UPDATED: SearchParamSpec = {
  name: '_lastUpdated', type: 'date', documentation: 'When the record was stored here (meta.lastUpdated), with prefix ge, gt, le or lt; repeat to bound both ends.',
};

export const RESOURCES: readonly ResourceSpec[] = [
  {
    type: 'Patient', read: true, vread: true, audience: 'care',
    documentation: 'A search must include _id, identifier, family, name or birthdate. _total is not answered here (it would decide consent for every match beyond the page); _summary=count counts up to 1,000.',
    search: [
      { name: '_id', type: 'token', documentation: 'Logical id; commas for alternatives.' },
      { name: 'identifier', type: 'token', documentation: 'system|value, exact; e.g. http://fhir.nl/fhir/NamingSystem/bsn|999911120; commas for alternatives.' },
      { name: 'family', type: 'string', documentation: 'Prefix of the family name without its prefix words (van, de, ...), case- and accent-insensitive; commas for alternatives.' },
      { name: 'given', type: 'string', documentation: 'Prefix of a given name, case-insensitive; commas for alternatives; refines another parameter.' },
      { name: 'name', type: 'string', documentation: 'Prefix of any part of a name: the family name (as family reads it) or a given name; commas for alternatives.' },
      { name: 'birthdate', type: 'date', documentation: 'Exact date, YYYY-MM-DD.' },
      { name: 'gender', type: 'token', documentation: 'male | female | other | unknown; refines another parameter.' },
      { ...LAST_UPDATED, documentation: `${LAST_UPDATED.documentation} Refines another parameter.` },
    ],
    revinclude: ['Observation:patient', 'Condition:patient', 'DiagnosticReport:patient', 'DocumentReference:patient', 'EpisodeOfCare:patient'],
    operations: [{
      name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
      documentation: 'GET Patient/[id]/$everything: the patient and their Observations, Conditions, DiagnosticReports, DocumentReferences and EpisodeOfCares, paged; start and end bound care dates, _since the stored time, _type the types.',
    }],
  },
  {
    type: 'Observation', read: true, vread: true, audience: 'care', documentation: 'Measurements and lab results, NHG-coded; vital signs also LOINC-coded (lab results too once a reviewed NHG to LOINC table exists).',
    search: [
      ...patientRef('The patient observed.'),
      { name: 'code', type: 'token', documentation: 'system|code (NHG or LOINC; a LOINC code also finds the NHG-coded original it maps from), or a code alone for any system; commas for alternatives.' },
      { name: 'date', type: 'date', documentation: 'Effective time, with prefix eq, ge, gt, le, lt, sa or eb; precision as written; repeat to bound both ends.' },
      { name: 'status', type: 'token', documentation: 'registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown; commas for alternatives.' },
      { name: 'category', type: 'token', documentation: 'http://terminology.hl7.org/CodeSystem/observation-category codes (laboratory, vital-signs, ...), with or without the system.' },
      RECORD_ID, LAST_UPDATED,
    ],
    include: ['Observation:patient'],
  },
  {
    type: 'Condition', read: true, vread: true, audience: 'care', documentation: 'Diagnoses (ICPC).',
    search: [
      ...patientRef('The patient.'),
      { name: 'code', type: 'token', documentation: 'system|code, e.g. http://hl7.org/fhir/sid/icpc-1-nl|T90, or a code alone for any system; any coding of the condition; commas for alternatives.' },
      { name: 'category', type: 'token', documentation: 'problem-list-item (condition-category): every Condition here is a GP problem or episode, so another category matches none.' },
      { name: 'clinical-status', type: 'token', documentation: 'active | recurrence | relapse | inactive | remission | resolved (condition-clinical), with or without the system; a condition entered in error has none.' },
      RECORD_ID, LAST_UPDATED,
    ],
    include: ['Condition:patient'],
  },
  {
    type: 'DiagnosticReport', read: true, vread: true, audience: 'care', documentation: 'Lab reports.',
    search: [...patientRef('The patient.'), RECORD_ID, LAST_UPDATED],
    include: ['DiagnosticReport:patient', 'DiagnosticReport:result'],
  },
  {
    type: 'DocumentReference', read: true, audience: 'care', documentation: 'IHE MHD Find Document References (ITI-67).',
    include: ['DocumentReference:patient'],
    search: [
      ...patientRef('The patient the documents are about.'),
      { name: 'status', type: 'token', documentation: 'current | superseded (XDS Approved | Deprecated).' },
      { name: 'category', type: 'token', documentation: 'XDS classCode, system|code.' },
      { name: 'type', type: 'token', documentation: 'XDS typeCode, system|code.' },
      { name: 'format', type: 'token', documentation: 'XDS formatCode, system|code.' },
      { name: 'setting', type: 'token', documentation: 'XDS practiceSettingCode, system|code.' },
      { name: 'facility', type: 'token', documentation: 'XDS healthcareFacilityTypeCode, system|code.' },
      { name: 'creation', type: 'date', documentation: 'IHE extension parameter: document creation time, with prefix; repeat to bound both ends.' },
      { name: 'period', type: 'date', documentation: 'The service period, compared as FHIR compares a Period (ge: it reaches the date or later; eq: it lies within it); a period without an end is ongoing; repeat to bound both ends.' },
      { name: 'identifier', type: 'token', documentation: 'masterIdentifier (uniqueId, urn:ietf:rfc:3986|urn:oid:...) or identifier (entryUUID, urn:ietf:rfc:3986|urn:uuid:...); the value alone also matches.' },
      { name: 'event', type: 'token', documentation: 'XDS eventCodeList, system|code.' },
      { name: 'security-label', type: 'token', documentation: 'XDS confidentialityCode, system|code.' },
      { name: 'author.family', type: 'string', documentation: "Start of the author person's family name, case-insensitive; commas for alternatives (ITI-67)." },
      { name: 'author.given', type: 'string', documentation: "Start of one of the author person's given names, case-insensitive; commas for alternatives (ITI-67)." },
      { name: 'related', type: 'reference', documentation: 'A reference id of the document (XDS referenceIdList), by value or system|value (ITI-67).' },
      { name: 'date', type: 'date', documentation: 'When the entry was registered here (DocumentReference.date), with prefix; repeat to bound both ends.' },
      RECORD_ID, LAST_UPDATED,
    ],
  },
  {
    type: 'EpisodeOfCare', read: true, vread: true, audience: 'care', documentation: 'Ketenzorg programme enrolments (DM2, COPD, CVRM).',
    search: [...patientRef('The patient enrolled.'), RECORD_ID, LAST_UPDATED],
    include: ['EpisodeOfCare:patient'],
  },
  {
    type: 'Consent', read: true, audience: 'care',
    documentation: "The patient's purpose-of-use policy in force (their own choice, else the clinic defaults), as an opt-in privacy Consent: one a patient (id <patient id>-privacy), its version naming the policy. Time-limited approvals of held requests are not shown in it.",
    search: [
      { name: 'patient', type: 'reference', documentation: 'The patient. Required: one patient per search.' },
      { name: 'status', type: 'token', documentation: 'The policy in force is active.' },
      { name: 'scope', type: 'token', documentation: 'patient-privacy (http://terminology.hl7.org/CodeSystem/consentscope).' },
      { name: 'category', type: 'token', documentation: 'http://loinc.org|59284-0.' },
      { name: 'purpose', type: 'token', documentation: 'A purpose of use the policy permits, system|code (v3-ActReason or NHIN purpose of use).' },
    ],
  },
  {
    type: 'AuditEvent', read: false, audience: 'compliance',
    documentation: 'The audit trail as IHE BALP AuditEvents, for compliance officers; newest first, one event per patient (and one per consent decision), _count audit records a page; each search is itself audited.',
    search: [
      { name: 'date', type: 'date', documentation: 'When recorded, with prefix ge, gt, le or lt; repeat to bound both ends.' },
      { name: 'patient', type: 'reference', documentation: 'Patient/id: the events about this patient.' },
      { name: 'agent', type: 'reference', documentation: 'Organization/id: exchanges requested by this organization.' },
      { name: 'subtype', type: 'token', documentation: 'The transaction: http://hl7.org/fhir/restful-interaction|read, |vread, |history-instance, |search-type or |operation; urn:ihe:event-type-code|ITI-55, |ITI-38 or |ITI-39; DCM 110122 (login) or 110123 (logout).' },
      { name: 'type', type: 'token', documentation: 'DCM 110106 (export), 110114 (authentication), 110101 (audit log used), 110137 (security attributes changed) or 110110 (patient record read by staff); types shared by several transactions are searched by subtype.' },
      { name: 'outcome', type: 'token', documentation: 'The exchange outcome: 0 success, 4 declined by consent, 8 failure.' },
    ],
  },
  { type: 'Binary', read: true, audience: 'care', search: undefined, documentation: 'Document content (ITI-68): raw bytes, or a Binary resource when FHIR JSON or XML is asked for.' },
  { type: 'Organization', read: true, audience: 'care', search: undefined, documentation: 'Organizations named by the records.' },
  { type: 'Practitioner', read: true, audience: 'care', search: undefined, documentation: 'Practitioners named by the records.' },
];

/** Parameters every search accepts that shape the result rather than filter it. */
/** Parameters of the answer rather than the match; `_pretty` is accepted everywhere and answered compact (http.html#parameters). */
export const RESULT_PARAMETERS = ['_count', '_format', '_pretty', '_page', '_summary', '_elements', '_total'] as const;

export function specOf(type: string): ResourceSpec | undefined {
  return RESOURCES.find((r) => r.type === type);
}

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export function capabilityStatement(
  urls: { baseUrl: string; tokenEndpoint: string }, software: { name: string; version: string }, date: string,
): CapabilityStatement {
  const resource = (spec: ResourceSpec): CapabilityStatementRestResource => ({
    type: spec.type,
    documentation: spec.documentation,
    interaction: [
      ...(spec.read ? [{ code: 'read' as const }] : []), ...(spec.vread ? [{ code: 'vread' as const }, { code: 'history-instance' as const }] : []), ...(spec.search ? [{ code: 'search-type' as const }] : []),
    ],
    versioning: 'versioned',
    readHistory: spec.vread === true,
    conditionalRead: spec.read ? 'full-support' : 'not-supported',
    ...(spec.include?.length ? { searchInclude: [...spec.include] } : {}),
    ...(spec.revinclude?.length ? { searchRevInclude: [...spec.revinclude] } : {}),
    ...(spec.search ? { searchParam: spec.search.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })) } : {}),
    ...(spec.operations?.length ? { operation: spec.operations.map((o) => ({ name: o.name, definition: o.definition, documentation: o.documentation })) } : {}),
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'Crossgate',
    kind: 'instance',
    software,
    implementation: { description: 'Crossgate FHIR R4 API for partner organizations: consent-gated and audited', url: urls.baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'xml'],
    rest: [{
      mode: 'server',
      security: {
        // Where SMART and UDAP clients look for the token endpoint (besides .well-known/udap under this base).
        extension: [{ url: OAUTH_URIS, extension: [{ url: 'token', valueUri: urls.tokenEndpoint }] }],
        cors: false,
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] }],
        description: 'UDAP B2B client_credentials: POST a signed client assertion to the token endpoint; every answer is decided by the patient\'s purpose-of-use consent and audited.',
      },
      resource: RESOURCES.map(resource),
    }],
  };
}
