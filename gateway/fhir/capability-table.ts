import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';

/**
 * What the FHIR surface serves, as data: the router accepts exactly these parameters and interactions, and the
 * CapabilityStatement is generated from the same table, so it can never claim what the server does not do.
 */
export type ResourceType = 'Patient' | 'Observation' | 'Condition' | 'DiagnosticReport' | 'DocumentReference' | 'Binary' | 'Organization' | 'Practitioner';

export interface SearchParamSpec {
  readonly name: string;
  readonly type: 'token' | 'string' | 'date' | 'reference';
  readonly documentation: string;
}

export interface ResourceSpec {
  readonly type: ResourceType;
  readonly read: boolean;
  readonly search: readonly SearchParamSpec[] | undefined;
  readonly documentation: string;
}

const patientRef = (doc: string): SearchParamSpec[] => [
  { name: 'patient', type: 'reference', documentation: `${doc} Required (or subject): one patient per search.` },
  { name: 'subject', type: 'reference', documentation: 'The same as patient, written as subject=Patient/id.' },
];

export const RESOURCES: readonly ResourceSpec[] = [
  {
    type: 'Patient', read: true, documentation: 'A search must include _id, identifier, family or birthdate.',
    search: [
      { name: '_id', type: 'token', documentation: 'Logical id; commas for alternatives.' },
      { name: 'identifier', type: 'token', documentation: 'system|value, exact; e.g. http://fhir.nl/fhir/NamingSystem/bsn|999911120.' },
      { name: 'family', type: 'string', documentation: 'Prefix of the family name without its prefix words (van, de, ...), case- and accent-insensitive.' },
      { name: 'given', type: 'string', documentation: 'Prefix of a given name, case-insensitive; refines another parameter.' },
      { name: 'birthdate', type: 'date', documentation: 'Exact date, YYYY-MM-DD.' },
      { name: 'gender', type: 'token', documentation: 'male | female | other | unknown; refines another parameter.' },
    ],
  },
  {
    type: 'Observation', read: true, documentation: 'Measurements and lab results, NHG- and LOINC-coded.',
    search: [
      ...patientRef('The patient observed.'),
      { name: 'code', type: 'token', documentation: 'system|code (NHG or LOINC; a LOINC code also finds the NHG-coded original it maps from); commas for alternatives.' },
      { name: 'date', type: 'date', documentation: 'Effective time, with prefix eq, ge, gt, le, lt, sa or eb; precision as written.' },
    ],
  },
  { type: 'Condition', read: true, documentation: 'Diagnoses (ICPC).', search: patientRef('The patient.') },
  { type: 'DiagnosticReport', read: true, documentation: 'Lab reports.', search: patientRef('The patient.') },
  {
    type: 'DocumentReference', read: true, documentation: 'IHE MHD Find Document References (ITI-67).',
    search: [
      ...patientRef('The patient the documents are about.'),
      { name: 'patient.identifier', type: 'token', documentation: 'The patient by identifier, system|value (ITI-67).' },
      { name: 'status', type: 'token', documentation: 'current | superseded (XDS Approved | Deprecated).' },
      { name: 'category', type: 'token', documentation: 'XDS classCode, system|code.' },
      { name: 'type', type: 'token', documentation: 'XDS typeCode, system|code.' },
      { name: 'format', type: 'token', documentation: 'XDS formatCode, system|code.' },
      { name: 'setting', type: 'token', documentation: 'XDS practiceSettingCode, system|code.' },
      { name: 'facility', type: 'token', documentation: 'XDS healthcareFacilityTypeCode, system|code.' },
      { name: 'creation', type: 'date', documentation: 'IHE extension parameter: document creation time, with prefix.' },
      { name: 'period', type: 'date', documentation: 'Start of the service period, with prefix.' },
    ],
  },
  { type: 'Binary', read: true, search: undefined, documentation: 'Document content (ITI-68): raw bytes, or a Binary resource when FHIR JSON or XML is asked for.' },
  { type: 'Organization', read: true, search: undefined, documentation: 'Organizations named by the records.' },
  { type: 'Practitioner', read: true, search: undefined, documentation: 'Practitioners named by the records.' },
];

/** Parameters every search accepts that shape the result rather than filter it. */
export const RESULT_PARAMETERS = ['_count', '_format', '_page'] as const;

export function specOf(type: string): ResourceSpec | undefined {
  return RESOURCES.find((r) => r.type === type);
}

export function capabilityStatement(baseUrl: string, software: { name: string; version: string }, date: string): CapabilityStatement {
  const resource = (spec: ResourceSpec): CapabilityStatementRestResource => ({
    type: spec.type,
    documentation: spec.documentation,
    interaction: [...(spec.read ? [{ code: 'read' as const }] : []), ...(spec.search ? [{ code: 'search-type' as const }] : [])],
    versioning: 'versioned',
    readHistory: false,
    conditionalRead: spec.read && spec.type !== 'Binary' ? 'not-match' : 'not-supported',
    ...(spec.search ? { searchParam: spec.search.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })) } : {}),
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'Crossgate',
    kind: 'instance',
    software,
    implementation: { description: 'Crossgate FHIR R4 API for partner organizations: consent-gated and audited', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'xml'],
    rest: [{
      mode: 'server',
      security: {
        cors: false,
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] }],
        description: 'UDAP B2B client_credentials: POST a signed client assertion to the token endpoint; every answer is decided by the patient\'s purpose-of-use consent and audited.',
      },
      resource: RESOURCES.map(resource),
    }],
  };
}
