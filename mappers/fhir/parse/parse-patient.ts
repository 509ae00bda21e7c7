import {
  Address,
  checkBsn,
  HumanName,
  IdentifierSystems,
  Patient,
  Telecom,
  type Identifier,
  type Issue,
  type PatientInput,
} from '../../../canonical/index.js';
import { optional, parseDateTime, parseIdentifier } from './datatypes.js';
import { FhirPatient, type FhirAddress, type FhirContactPoint, type FhirHumanName } from './fhir-shapes.js';
import { at, checkCanonical, error, parseShape, resourceAt, type Where } from './issues.js';

/**
 * A patient as read from FHIR, without a record id: the import gives a new patient a random one, or the id of the
 * stored patient it matches. An id derived from the identifiers would let anyone holding the id try BSNs until one fits.
 */
export type PatientDraft = Omit<PatientInput, 'id' | 'identifiers'> & { identifiers: Identifier[] };

/** Satisfies the canonical schema while the record id is not known yet; never stored. */
export const PENDING_ID = '00000000-0000-4000-8000-000000000000';

const SD = 'http://hl7.org/fhir/StructureDefinition';
const NAME_PART = {
  ownPrefix: `${SD}/humanname-own-prefix`,
  ownName: `${SD}/humanname-own-name`,
  partnerPrefix: `${SD}/humanname-partner-prefix`,
  partnerName: `${SD}/humanname-partner-name`,
} as const;
const ASSEMBLY_ORDER = `${SD}/humanname-assembly-order`;
const QUALIFIER = `${SD}/iso21090-EN-qualifier`;
const ASSEMBLY: Readonly<Record<string, NonNullable<HumanName['assembly']>>> = { NL1: 'own', NL2: 'partner', NL3: 'partner-own', NL4: 'own-partner' };
const STREET_NAME = `${SD}/iso21090-ADXP-streetName`;
const HOUSE_NUMBER = `${SD}/iso21090-ADXP-houseNumber`;

/**
 * A FHIR R4 Patient as a canonical patient. At least one identifier is required: it is what finds the same patient
 * again on the next import. Identifier systems are canonicalised (`urn:oid:` of a known system becomes its URI), a
 * BSN is checked by the 11-proef, and Dutch name parts (nl-core `_family` extensions) are kept apart.
 */
export function parsePatient(resource: unknown, path: string): { patient?: PatientDraft; issues: Issue[] } {
  const where = resourceAt(path, 'Patient');
  const shape = parseShape(FhirPatient, resource, where);
  if (!shape.value) return { issues: shape.issues };
  const raw = shape.value;
  const issues: Issue[] = [];

  const identifiers: Identifier[] = [];
  if (!raw.identifier || raw.identifier.length === 0) {
    issues.push(error('required', at(where, 'identifier'), 'is required: the import finds the same patient again by an identifier'));
  }
  (raw.identifier ?? []).forEach((identifier, i) => {
    const parsed = parseIdentifier(identifier, at(where, 'identifier', i));
    issues.push(...parsed.issues);
    if (parsed.value) identifiers.push(withNineDigitBsn(parsed.value));
  });

  const names: HumanName[] = [];
  if (!raw.name || raw.name.length === 0) issues.push(error('required', at(where, 'name'), 'is required'));
  (raw.name ?? []).forEach((name, i) => {
    const parsed = parseName(name, at(where, 'name', i));
    issues.push(...parsed.issues);
    if (parsed.value) names.push(parsed.value);
  });

  const addresses: Address[] = [];
  (raw.address ?? []).forEach((address, i) => {
    const parsed = parseAddress(address, at(where, 'address', i));
    issues.push(...parsed.issues);
    if (parsed.value) addresses.push(parsed.value);
  });

  const telecom: Telecom[] = [];
  (raw.telecom ?? []).forEach((contact, i) => {
    const parsed = parseTelecom(contact, at(where, 'telecom', i));
    issues.push(...parsed.issues);
    if (parsed.value) telecom.push(parsed.value);
  });

  if (raw.deceasedDateTime !== undefined) issues.push(...parseDateTime(raw.deceasedDateTime, at(where, 'deceasedDateTime')).issues);
  if (issues.length > 0) return { issues };

  const draft: PatientDraft = {
    identifiers,
    names,
    ...(raw.birthDate !== undefined ? { birthDate: raw.birthDate } : {}),
    ...(raw.gender ? { gender: raw.gender } : {}),
    ...(raw.deceasedBoolean !== undefined ? { deceased: raw.deceasedBoolean } : raw.deceasedDateTime !== undefined ? { deceased: raw.deceasedDateTime } : {}),
    addresses,
    telecom,
  };
  const checked = checkCanonical(Patient, { ...draft, id: PENDING_ID }, where, {
    identifiers: 'identifier', names: 'name', birthDate: 'birthDate', gender: 'gender', deceased: 'deceasedDateTime', addresses: 'address', telecom: 'telecom',
  });
  return checked.value ? { patient: draft, issues: [] } : { issues: checked.issues };
}

/** An older eight-digit BSN is stored in its nine-digit form, so both spellings meet in the identifier index. */
export function withNineDigitBsn(identifier: Identifier): Identifier {
  if (identifier.system !== IdentifierSystems.bsn.uri) return identifier;
  const check = checkBsn(identifier.value);
  return check.ok ? { ...identifier, value: check.bsn! } : identifier;
}

function extensionValue(extensions: FhirHumanName['extension'], url: string): string | undefined {
  const found = extensions?.find((e) => e.url === url);
  return found?.valueString ?? found?.valueCode;
}

function parseName(raw: FhirHumanName, where: Where): { value?: HumanName; issues: Issue[] } {
  const parts = raw._family?.extension;
  const ownName = extensionValue(parts, NAME_PART.ownName);
  // With nl-core parts, `family` is the assembled surname ("de Vries-Jansen"); the parts say which piece is which.
  const family = ownName ?? raw.family;
  if (!family) return { issues: [error('required', at(where, 'family'), 'is required: patients are matched on the family name')] };
  const assemblyCode = extensionValue(raw.extension, ASSEMBLY_ORDER);
  const assembly = assemblyCode !== undefined ? ASSEMBLY[assemblyCode] : undefined;
  if (assemblyCode !== undefined && !assembly) {
    return { issues: [error('value', at(where, 'extension'), 'has a humanname-assembly-order code outside NL1-NL4')] };
  }
  const given = raw.given ?? [];
  const isInitials = (i: number) => raw._given?.[i]?.extension?.some((e) => e.url === QUALIFIER && e.valueCode === 'IN') ?? false;
  const initials = given.filter((_, i) => isInitials(i));
  const candidate = {
    ...(raw.use ? { use: raw.use } : {}),
    family,
    ...optional('familyPrefix', ownName ? extensionValue(parts, NAME_PART.ownPrefix) : undefined),
    ...optional('partnerFamily', extensionValue(parts, NAME_PART.partnerName)),
    ...optional('partnerPrefix', extensionValue(parts, NAME_PART.partnerPrefix)),
    ...(assembly ? { assembly } : {}),
    given: given.filter((_, i) => !isInitials(i)),
    ...(initials.length > 0 ? { initials: initials.join(' ') } : {}),
    ...optional('text', raw.text),
  };
  return checkCanonical(HumanName, candidate, where, {
    family: ownName ? '_family' : 'family', familyPrefix: '_family', partnerFamily: '_family', partnerPrefix: '_family', given: 'given', initials: '_given', text: 'text',
  });
}

function parseAddress(raw: FhirAddress, where: Where): { value?: Address; issues: Issue[] } {
  const parts = (raw._line ?? []).flatMap((l) => l?.extension ?? []);
  const part = (url: string) => parts.find((e) => e.url === url)?.valueString;
  return checkCanonical(Address, {
    ...(raw.use ? { use: raw.use } : {}),
    lines: raw.line ?? [],
    ...optional('street', part(STREET_NAME)),
    ...optional('houseNumber', part(HOUSE_NUMBER)),
    ...optional('city', raw.city),
    ...optional('district', raw.district),
    ...optional('state', raw.state),
    ...optional('postalCode', raw.postalCode),
    ...optional('country', raw.country),
  }, where, {
    lines: 'line', street: '_line', houseNumber: '_line', city: 'city', district: 'district', state: 'state', postalCode: 'postalCode', country: 'country',
  });
}

function parseTelecom(raw: FhirContactPoint, where: Where): { value?: Telecom; issues: Issue[] } {
  if (!raw.system) return { issues: [error('required', at(where, 'system'), 'is required')] };
  if (!raw.value) return { issues: [error('required', at(where, 'value'), 'is required')] };
  return checkCanonical(Telecom, { system: raw.system, value: raw.value, ...(raw.use ? { use: raw.use } : {}) }, where);
}
