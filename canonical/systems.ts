/**
 * Identifier and code systems, each with the URI used in FHIR and the OID used in HL7v3, XDS and XCPD.
 * Sources: ../shared/standards/nl-ketenzorg-medlab.md §4, §5, §9 and fhir.md.
 */
export interface NamedSystem {
  readonly uri: string;
  readonly oid?: string;
  readonly label: string;
}

export const IdentifierSystems = {
  bsn: { uri: 'http://fhir.nl/fhir/NamingSystem/bsn', oid: '2.16.840.1.113883.2.4.6.3', label: 'BSN' },
  agb: { uri: 'http://fhir.nl/fhir/NamingSystem/agb-z', oid: '2.16.840.1.113883.2.4.6.1', label: 'AGB' },
  uziPerson: { uri: 'http://fhir.nl/fhir/NamingSystem/uzi-nr-pers', oid: '2.16.528.1.1007.3.1', label: 'UZI (person)' },
  uziSystem: { uri: 'http://fhir.nl/fhir/NamingSystem/uzi-nr-sys', oid: '2.16.528.1.1007.3.2', label: 'UZI (system)' },
  ura: { uri: 'http://fhir.nl/fhir/NamingSystem/ura', oid: '2.16.528.1.1007.3.3', label: 'URA' },
  big: { uri: 'http://fhir.nl/fhir/NamingSystem/big', label: 'BIG' },
  npi: { uri: 'http://hl7.org/fhir/sid/us-npi', oid: '2.16.840.1.113883.4.6', label: 'NPI' },
  aortaApplication: { uri: 'urn:oid:2.16.840.1.113883.2.4.6.6', oid: '2.16.840.1.113883.2.4.6.6', label: 'AORTA application id' },
} as const satisfies Record<string, NamedSystem>;

export const CodeSystems = {
  nhgTabel45: {
    uri: 'https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen',
    oid: '2.16.840.1.113883.2.4.4.30.45',
    label: 'NHG Tabel 45',
  },
  nhgResults: {
    uri: 'https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen#resultaten',
    oid: '2.16.840.1.113883.2.4.4.30.1045',
    label: 'NHG Tabel 45 results',
  },
  icpc1nl: { uri: 'http://hl7.org/fhir/sid/icpc-1-nl', oid: '2.16.840.1.113883.2.4.4.31.1', label: 'ICPC-1-NL' },
  loinc: { uri: 'http://loinc.org', oid: '2.16.840.1.113883.6.1', label: 'LOINC' },
  snomed: { uri: 'http://snomed.info/sct', oid: '2.16.840.1.113883.6.96', label: 'SNOMED CT' },
  ucum: { uri: 'http://unitsofmeasure.org', oid: '2.16.840.1.113883.6.8', label: 'UCUM' },
  v3Confidentiality: {
    uri: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
    oid: '2.16.840.1.113883.5.25',
    label: 'v3 Confidentiality',
  },
  v3ObservationInterpretation: {
    uri: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
    oid: '2.16.840.1.113883.5.83',
    label: 'v3 ObservationInterpretation',
  },
  iheFormatCode: { uri: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', oid: '1.3.6.1.4.1.19376.1.2.3', label: 'IHE format codes' },
} as const satisfies Record<string, NamedSystem>;

const OID_PATTERN = /^[0-2](\.(0|[1-9]\d*))+$/;

export function isOid(text: string): boolean {
  return OID_PATTERN.test(text);
}

/** `urn:oid:1.2.3` and `1.2.3` name the same authority; identifiers are stored with the `urn:oid:` form. */
export function oidSystem(oid: string): string {
  return oid.startsWith('urn:oid:') ? oid : `urn:oid:${oid}`;
}

const ALL_SYSTEMS: readonly NamedSystem[] = [...Object.values(IdentifierSystems), ...Object.values(CodeSystems)];
const uriByOid = new Map<string, string>(ALL_SYSTEMS.flatMap((s) => (s.oid ? [[s.oid, s.uri] as const] : [])));
const oidByUri = new Map<string, string>(ALL_SYSTEMS.flatMap((s) => (s.oid ? [[s.uri, s.oid] as const] : [])));

/**
 * One spelling per system, so an identifier received as an HL7v3 root and the same one received as a FHIR URI
 * meet in the index: known OIDs become their FHIR URI, other OIDs become `urn:oid:…`, URIs stay as they are.
 */
export function canonicalSystem(system: string): string {
  const bare = system.startsWith('urn:oid:') ? system.slice('urn:oid:'.length) : system;
  if (isOid(bare)) return uriByOid.get(bare) ?? `urn:oid:${bare}`;
  return system;
}

/** The OID behind a system, for the wire formats that name systems by OID (XDS, XCPD, HL7v3). */
export function oidOf(system: string): string | undefined {
  if (system.startsWith('urn:oid:')) return system.slice('urn:oid:'.length);
  if (isOid(system)) return system;
  return oidByUri.get(system);
}
