import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Resource } from 'fhir/r4.js';
import {
  CareProgramEnrolment, CodeSystems, Condition, DiagnosticReport, Document, IdentifierSystems, Observation, Organization, Patient,
  Practitioner, type ObservationInput,
} from '../../canonical/index.js';
import { DEFAULT_SYNTHETIC, syntheticDirectory, syntheticPatients } from '../../fixtures/synthetic/generate.js';
import { fhirProblems } from '../../test/support/fhir-validators.js';
import {
  renderBinary, renderCondition, renderDiagnosticReport, renderDocumentReference, renderEpisodeOfCare, renderObservation,
  renderOrganization, renderPatient, renderPractitioner, type RenderContext,
} from './index.js';

/** A trailing slash on the base, as configuration often has it: attachment URLs must still come out clean. */
const context: RenderContext = { baseUrl: 'https://gateway.example.org/fhir/R4/', versionId: '3', lastUpdated: '2026-01-02T03:04:05.678Z' };
const META = { versionId: '3', lastUpdated: '2026-01-02T03:04:05.678Z' };

const SD = 'http://hl7.org/fhir/StructureDefinition';
const PRECISION = `${SD}/quantity-precision`;
const NHG = CodeSystems.nhgTabel45.uri;
const UCUM = CodeSystems.ucum.uri;

/** Sixty patients: enough for a partner name with a prefix (the generator's first is patient 41). */
const records = [...syntheticPatients(DEFAULT_SYNTHETIC, 60)];
const directory = syntheticDirectory(DEFAULT_SYNTHETIC.clinic);
const patients = records.map((r) => Patient.parse(r.patient));
const observations = records.flatMap((r) => r.observations.map((o) => Observation.parse(o)));

/**
 * Our own structural check, kept apart from the two independent validators because neither catches it
 * (fhir.md §11): an element carries at most one choice of `value[x]`.
 */
function choiceProblems(node: unknown, path: string): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => choiceProblems(item, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const entries = Object.entries(node);
  const choices = entries.map(([key]) => key).filter((key) => /^value[A-Z]/.test(key));
  const here = choices.length > 1 ? [`${path}: ${choices.join(' + ')}`] : [];
  return [...here, ...entries.flatMap(([key, value]) => choiceProblems(value, `${path}.${key}`))];
}

function writtenValue(observation: Observation): string | undefined {
  return observation.value?.kind === 'quantity' ? observation.value.quantity.value : undefined;
}

function expectValid(resource: Resource): void {
  const problems = [...fhirProblems(resource), ...choiceProblems(resource, resource.resourceType)];
  expect({ resource: `${resource.resourceType}/${resource.id}`, problems }).toEqual({ resource: `${resource.resourceType}/${resource.id}`, problems: [] });
}

describe('our value[x] check', () => {
  it('finds two value choices on one element, which both independent validators accept', () => {
    const observation = renderObservation(observations.find((o) => o.value?.kind === 'quantity')!, context);
    expect(choiceProblems(observation, 'Observation')).toEqual([]);
    const broken = { ...observation, valueString: 'also this' } as Resource;
    expect(choiceProblems(broken, 'Observation')).toEqual(['Observation: valueQuantity + valueString']);
    expect(fhirProblems(broken)).toEqual([]);
    const brokenExtension = { ...observation, extension: [{ url: 'urn:x', valueString: 'a', valueCode: 'b' }] } as Resource;
    expect(choiceProblems(brokenExtension, 'Observation')).toEqual(['Observation.extension[0]: valueString + valueCode']);
  });
});

describe('Patient', () => {
  const withPartner = patients.find((p) => p.names[0]!.partnerFamily && p.names[0]!.familyPrefix)!;

  it('writes the full surname in family and the Dutch parts as nl-core extensions on _family', () => {
    const name = renderPatient(withPartner, context).name![0]!;
    const own = withPartner.names[0]!;
    expect(name.family).toBe(`${own.partnerFamily}-${own.familyPrefix} ${own.family}`);
    expect(name._family).toEqual({
      extension: [
        { url: `${SD}/humanname-own-prefix`, valueString: own.familyPrefix },
        { url: `${SD}/humanname-own-name`, valueString: own.family },
        { url: `${SD}/humanname-partner-name`, valueString: own.partnerFamily },
      ],
    });
    expect(name.extension).toEqual([{ url: `${SD}/humanname-assembly-order`, valueCode: 'NL3' }]);
    expect(name.given).toEqual(own.given);
    expect(name._given).toBeUndefined();
    expect(name.text).toBe(`${own.given[0]} ${name.family}`);
  });

  it('keeps a partner prefix, and orders own-partner names as the person chose', () => {
    const patient = Patient.parse({
      ...withPartner,
      names: [{ use: 'official', family: 'Berg', familyPrefix: 'van der', partnerFamily: 'Haas', partnerPrefix: 'de', assembly: 'own-partner', given: [], initials: 'J.P.' }],
    });
    const name = renderPatient(patient, context).name![0]!;
    expect(name.family).toBe('van der Berg-de Haas');
    expect(name._family!.extension!.map((e) => [e.url.split('/').pop(), e.valueString])).toEqual([
      ['humanname-own-prefix', 'van der'], ['humanname-own-name', 'Berg'], ['humanname-partner-prefix', 'de'], ['humanname-partner-name', 'Haas'],
    ]);
    expect(name.extension).toEqual([{ url: `${SD}/humanname-assembly-order`, valueCode: 'NL4' }]);
    expect(name.given).toEqual(['J.P.']);
    expect(name._given).toEqual([{ extension: [{ url: `${SD}/iso21090-EN-qualifier`, valueCode: 'IN' }] }]);
    expectValid(renderPatient(patient, context));
  });

  it('renders a Dutch patient with the BSN system, the clinic MRN as urn:oid, address parts and references', () => {
    const resource = renderPatient(withPartner, context);
    const bsn = withPartner.identifiers.find((i) => i.system === IdentifierSystems.bsn.uri)!.value;
    expect(resource).toMatchObject({ resourceType: 'Patient', id: withPartner.id, meta: META, active: true, gender: withPartner.gender, birthDate: withPartner.birthDate });
    expect(resource.identifier).toEqual([
      { system: 'http://fhir.nl/fhir/NamingSystem/bsn', value: bsn },
      { system: DEFAULT_SYNTHETIC.clinic.mrnSystem, value: expect.stringMatching(/^CG-\d{7}$/) },
    ]);
    expect(DEFAULT_SYNTHETIC.clinic.mrnSystem).toMatch(/^urn:oid:2\.25\.\d+$/);
    const address = withPartner.addresses[0]!;
    expect(resource.address).toEqual([{
      use: 'home', line: [`${address.street} ${address.houseNumber}`],
      _line: [{ extension: [
        { url: `${SD}/iso21090-ADXP-streetName`, valueString: address.street },
        { url: `${SD}/iso21090-ADXP-houseNumber`, valueString: address.houseNumber },
      ] }],
      city: address.city, postalCode: address.postalCode, country: 'NL',
    }]);
    expect(resource.telecom).toEqual([{ system: 'phone', value: withPartner.telecom[0]!.value, use: 'mobile' }]);
    expect(resource.managingOrganization).toEqual({ reference: `Organization/${DEFAULT_SYNTHETIC.clinic.organizationId}` });
    expectValid(resource);
  });

  it('leaves a plain surname without parts, and keeps written address lines as written', () => {
    const us = patients.find((p) => !p.identifiers.some((i) => i.system === IdentifierSystems.bsn.uri))!;
    const resource = renderPatient(us, context);
    expect(resource.name![0]!.family).toBe(us.names[0]!.family);
    expect(resource.name![0]!._family).toBeUndefined();
    expect(resource.name![0]!.extension).toBeUndefined();
    expect(resource.address![0]!.line).toEqual(us.addresses[0]!.lines);
    expect(resource.address![0]!._line).toBeUndefined();
    expectValid(resource);
  });

  it('keeps a partial birth date at its precision, and serves a merged record as inactive, replaced by the survivor', () => {
    const survivor = patients[1]!.id;
    const merged = Patient.parse({ ...patients[0]!, birthDate: '1950-03', status: 'merged', mergedInto: survivor, deceased: '2025-11-02T14:30+01:00' });
    const resource = renderPatient(merged, context);
    expect(resource.birthDate).toBe('1950-03');
    expect(resource.active).toBe(false);
    expect(resource.link).toEqual([{ other: { reference: `Patient/${survivor}` }, type: 'replaced-by' }]);
    expect(resource.deceasedDateTime).toBe('2025-11-02T14:30:00+01:00');
    expectValid(resource);
    const yearOnly = renderPatient(Patient.parse({ ...patients[0]!, birthDate: '1950', deceased: true }), context);
    expect(yearOnly).toMatchObject({ birthDate: '1950', deceasedBoolean: true });
    expectValid(yearOnly);
  });
});

describe('Observation', () => {
  const glucose = observations.find((o) => o.codings[0]!.code === '372' && o.interpretation === 'H')!;
  const weight = observations.find((o) => o.codings[0]!.code === '357' && writtenValue(o)?.endsWith('.0'))!;

  it('puts every coding, original and mapped, into code.coding in order', () => {
    const resource = renderObservation(weight, context);
    expect(resource.code).toEqual({
      coding: [{ system: NHG, code: '357', display: 'Gewicht patiënt' }, { system: 'http://loinc.org', code: '29463-7' }],
    });
    expect(resource.category).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }]);
    expectValid(resource);
  });

  it('keeps the written decimals: value as a number, and quantity-precision when the number alone would drop a zero', () => {
    expect(renderObservation(weight, context).valueQuantity).toEqual({
      value: Number(writtenValue(weight)), _value: { extension: [{ url: PRECISION, valueInteger: 1 }] }, unit: 'kg', system: UCUM, code: 'kg',
    });
    const exact = renderObservation(Observation.parse({ ...weight, value: { kind: 'quantity', quantity: { value: '82.5', unit: 'kg' } } }), context);
    expect(exact.valueQuantity).toEqual({ value: 82.5, unit: 'kg', system: UCUM, code: 'kg' });
    expect(JSON.stringify(exact.valueQuantity)).toContain('"value":82.5');
  });

  it('renders a lab result with its UCUM unit, reference range, interpretation, subject and times', () => {
    const resource = renderObservation(glucose, context);
    expect(resource).toMatchObject({
      resourceType: 'Observation', id: glucose.id, meta: META, status: 'final',
      subject: { reference: `Patient/${glucose.patientId}` }, effectiveDateTime: glucose.effective,
    });
    expect(resource.valueQuantity).toMatchObject({ value: Number(writtenValue(glucose)), unit: 'mmol/L', system: UCUM, code: 'mmol/L' });
    expect(resource.referenceRange).toEqual([{
      low: { value: 4, _value: { extension: [{ url: PRECISION, valueInteger: 1 }] }, unit: 'mmol/L', system: UCUM, code: 'mmol/L' },
      high: { value: 6.1, unit: 'mmol/L', system: UCUM, code: 'mmol/L' },
    }]);
    expect(resource.interpretation).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] }]);
    expectValid(resource);
  });

  const local: ObservationInput = {
    id: '7b0f0e42-54c9-4d8e-9a36-0d5d8f0b2a11', patientId: patients[0]!.id, status: 'final', category: 'laboratory',
    codings: [{ system: '2.16.528.1.1007.99.1', code: 'ALB-U', display: 'Albumine urine (lokaal)', role: 'local' }],
    unmapped: true, text: 'Albumine in urine',
    value: { kind: 'quantity', quantity: { value: '0.40', comparator: '<', unit: 'g/L', unitText: 'gram/liter' } },
    effective: '2024-03', issued: '2024-03-18', referenceRange: { text: 'negatief' }, interpretation: 'N',
    notes: ['Monster gehemolyseerd'], performerOrganizationId: DEFAULT_SYNTHETIC.clinic.organizationId,
    performerPractitionerId: DEFAULT_SYNTHETIC.clinic.practitionerId, provenance: { source: 'test' },
  };

  it('serves an unmapped observation with its local code only, never an invented one', () => {
    const resource = renderObservation(Observation.parse(local), context);
    expect(resource.code).toEqual({ coding: [{ system: 'urn:oid:2.16.528.1.1007.99.1', code: 'ALB-U', display: 'Albumine urine (lokaal)' }], text: 'Albumine in urine' });
    expect(resource.valueQuantity).toEqual({
      value: 0.4, _value: { extension: [{ url: PRECISION, valueInteger: 2 }] }, comparator: '<', unit: 'gram/liter', system: UCUM, code: 'g/L',
    });
    expect(resource.referenceRange).toEqual([{ text: 'negatief' }]);
    expect(resource.effectiveDateTime).toBe('2024-03');
    expect(resource.issued).toBeUndefined();
    expect(resource.note).toEqual([{ text: 'Monster gehemolyseerd' }]);
    expect(resource.performer).toEqual([
      { reference: `Practitioner/${DEFAULT_SYNTHETIC.clinic.practitionerId}` }, { reference: `Organization/${DEFAULT_SYNTHETIC.clinic.organizationId}` },
    ]);
    expectValid(resource);
  });

  const values: [ObservationInput['value'], Record<string, unknown>][] = [
    [{ kind: 'string', text: 'Zie onder' }, { valueString: 'Zie onder' }],
    [{ kind: 'boolean', value: false }, { valueBoolean: false }],
    [{ kind: 'date', date: '2024-02-29T08:15+01:00' }, { valueDateTime: '2024-02-29T08:15:00+01:00' }],
    [{ kind: 'period', period: { start: '2024-01', end: '2024-02-10' } }, { valuePeriod: { start: '2024-01', end: '2024-02-10' } }],
    [{ kind: 'coded', coding: { system: CodeSystems.nhgResults.oid, code: '3', display: 'Nooit' } }, { valueCodeableConcept: { coding: [{ system: CodeSystems.nhgResults.uri, code: '3', display: 'Nooit' }] } }],
  ];
  it.each(values.map(([value, expected]) => [value!.kind, value, expected] as const))('renders a %s value as one value[x]', (_kind, value, expected) => {
    const resource = renderObservation(Observation.parse({ ...local, value, issued: '2024-03-18T10:00+01:00' }), context);
    expect(resource).toMatchObject(expected);
    expect(resource.issued).toBe('2024-03-18T10:00:00+01:00');
    expectValid(resource);
  });

  it('renders a pending (registered) observation with no value', () => {
    const resource = renderObservation(Observation.parse({ ...local, status: 'registered', value: undefined }), context);
    expect(Object.keys(resource).filter((k) => k.startsWith('value'))).toEqual([]);
    expectValid(resource);
  });
});

describe('Condition', () => {
  const condition = Condition.parse(records.find((r) => r.conditions.length > 0)!.conditions[0]!);

  it('renders the ICPC code, statuses, onset and recorder', () => {
    expect(renderCondition(condition, context)).toEqual({
      resourceType: 'Condition', id: condition.id, meta: META,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active', display: 'Active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed', display: 'Confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icpc-1-nl', code: condition.codings[0]!.code, display: condition.codings[0]!.display }] },
      subject: { reference: `Patient/${condition.patientId}` },
      onsetDateTime: condition.onset,
      recorder: { reference: `Practitioner/${DEFAULT_SYNTHETIC.clinic.practitionerId}` },
    });
    expectValid(renderCondition(condition, context));
  });

  it('keeps partial dates, and leaves out what R4 forbids next to the rest of the record', () => {
    const resolved = renderCondition(Condition.parse({ ...condition, onset: '2019', abatement: '2023-06', clinicalStatus: 'resolved', recorded: '2019-04-02' }), context);
    expect(resolved).toMatchObject({ onsetDateTime: '2019', abatementDateTime: '2023-06', recordedDate: '2019-04-02', clinicalStatus: { coding: [{ code: 'resolved' }] } });
    expectValid(resolved);
    const contradictory = renderCondition(Condition.parse({ ...condition, abatement: '2023-06' }), context);
    expect(contradictory.clinicalStatus).toMatchObject({ coding: [{ code: 'active' }] });
    expect(contradictory.abatementDateTime).toBeUndefined();
    expectValid(contradictory);
    const inError = renderCondition(Condition.parse({ ...condition, verificationStatus: 'entered-in-error', clinicalStatus: 'resolved', abatement: '2023-06' }), context);
    expect(inError.clinicalStatus).toBeUndefined();
    expect(inError.abatementDateTime).toBeUndefined();
    expect(inError.verificationStatus).toMatchObject({ coding: [{ code: 'entered-in-error' }] });
    expectValid(inError);
  });
});

describe('DiagnosticReport', () => {
  const report = DiagnosticReport.parse(records.find((r) => r.reports.length > 0)!.reports[0]!);

  it('groups its observations as results, with the lab order number and the service section', () => {
    const resource = renderDiagnosticReport(report, context);
    expect(resource).toMatchObject({
      resourceType: 'DiagnosticReport', id: report.id, meta: META, status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '11502-2', display: 'Laboratory report' }] },
      subject: { reference: `Patient/${report.patientId}` }, effectiveDateTime: report.effective, issued: report.issued,
    });
    expect(resource.identifier).toEqual([{ system: `${DEFAULT_SYNTHETIC.clinic.mrnSystem}.1`, value: report.identifiers[0]!.value }]);
    expect(resource.result).toEqual(report.observationIds.map((id) => ({ reference: `Observation/${id}` })));
    expectValid(resource);
    const pathology = renderDiagnosticReport(DiagnosticReport.parse({ ...report, category: 'pathology', conclusion: 'Geen afwijkingen', performerOrganizationId: DEFAULT_SYNTHETIC.clinic.organizationId }), context);
    expect(pathology).toMatchObject({ category: [{ coding: [{ code: 'PAT' }] }], conclusion: 'Geen afwijkingen', performer: [{ reference: `Organization/${DEFAULT_SYNTHETIC.clinic.organizationId}` }] });
    expectValid(pathology);
  });
});

describe('DocumentReference and Binary (MHD)', () => {
  const { doc, content } = records.find((r) => r.documents.length > 0)!.documents[0]!;
  const document = Document.parse(doc);

  it('maps the XDS entry to the MHD shape, with an absolute Binary URL and the base64 SHA-1', () => {
    const resource = renderDocumentReference(document, context);
    expect(resource).toMatchObject({
      resourceType: 'DocumentReference', id: document.id, meta: META,
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:${document.uniqueId}` },
      identifier: [{ use: 'official', system: 'urn:ietf:rfc:3986', value: document.entryUuid }],
      status: 'current',
      type: { coding: [{ system: 'http://loinc.org', code: '11502-2', display: 'Laboratory report' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '11502-2', display: 'Laboratory report' }] }],
      subject: { reference: `Patient/${document.patientId}` },
      securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N', display: 'normal' }] }],
      context: {
        facilityType: { coding: [{ system: 'http://snomed.info/sct', code: '35971002', display: 'Ambulatory care site' }] },
        practiceSetting: { coding: [{ system: 'http://snomed.info/sct', code: '408443003', display: 'General medical practice' }] },
      },
    });
    const [entry] = resource.content;
    expect(entry!.format).toEqual({ system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient', display: 'mimeType Sufficient' });
    expect(entry!.attachment).toEqual({
      contentType: 'text/plain', language: 'nl-NL', url: `https://gateway.example.org/fhir/R4/Binary/${document.id}`,
      size: content.byteLength, hash: createHash('sha1').update(content).digest('base64'), title: document.title, creation: document.creationTime,
    });
    expect(entry!.attachment.hash).not.toBe(document.hash);
    expect(Buffer.from(entry!.attachment.hash!, 'base64').toString('hex')).toBe(document.hash);
    expectValid(resource);
  });

  it('renders a deprecated entry as superseded, an OID^extension uniqueId, the service period, events and comments', () => {
    const resource = renderDocumentReference(Document.parse({
      ...document, availabilityStatus: 'deprecated', uniqueId: '2.16.840.1.113883.3.9999.2^R-17', comments: 'Vervangt eerdere uitslag',
      serviceStartTime: '2025-10-01', serviceStopTime: '2025-10-12T09:00+02:00',
      eventCodes: [{ system: CodeSystems.icpc1nl.oid, code: 'T90.02', display: 'Diabetes mellitus type 2' }],
    }), context);
    expect(resource.status).toBe('superseded');
    expect(resource.masterIdentifier).toEqual({ system: 'urn:oid:2.16.840.1.113883.3.9999.2', value: 'R-17' });
    expect(resource.description).toBe('Vervangt eerdere uitslag');
    expect(resource.context).toMatchObject({
      period: { start: '2025-10-01', end: '2025-10-12T09:00:00+02:00' },
      event: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icpc-1-nl', code: 'T90.02', display: 'Diabetes mellitus type 2' }] }],
    });
    expectValid(resource);
  });

  it('serves the content as a Binary under the same id, guarded by the patient as security context', () => {
    const resource = renderBinary(document, content, context);
    expect(resource).toEqual({
      resourceType: 'Binary', id: document.id, meta: META, contentType: 'text/plain',
      securityContext: { reference: `Patient/${document.patientId}` }, data: Buffer.from(content).toString('base64'),
    });
    expect(Buffer.from(resource.data!, 'base64').equals(Buffer.from(content))).toBe(true);
    expectValid(resource);
  });
});

describe('Organization and Practitioner', () => {
  const organization = Organization.parse(directory.organization);
  const practitioner = Practitioner.parse(directory.practitioner);

  it('renders the clinic with its AGB and its home community id as a URI identifier', () => {
    const resource = renderOrganization(organization, context);
    expect(resource).toMatchObject({ resourceType: 'Organization', id: organization.id, meta: META, active: true, name: organization.name });
    expect(resource.identifier).toEqual([
      { system: 'http://fhir.nl/fhir/NamingSystem/agb-z', value: '01999999' },
      { system: 'urn:ietf:rfc:3986', value: DEFAULT_SYNTHETIC.clinic.homeCommunityId },
    ]);
    expect(resource.address).toEqual([{ use: 'work', line: ['Lindelaan 1'], city: 'Utrecht', postalCode: '3511AA', country: 'NL' }]);
    expectValid(resource);
  });

  it('names a URA received as an OID by its URI, and drops the home use R4 forbids for organizations', () => {
    const resource = renderOrganization(Organization.parse({
      ...organization, identifiers: [{ system: IdentifierSystems.ura.oid, value: '90000123' }],
      telecom: [{ system: 'phone', value: '+31 30 000 0001', use: 'home' }], addresses: [{ use: 'home', lines: ['Postbus 1'] }],
    }), context);
    expect(resource.identifier![0]).toEqual({ system: 'http://fhir.nl/fhir/NamingSystem/ura', value: '90000123' });
    expect(resource.telecom).toEqual([{ system: 'phone', value: '+31 30 000 0001' }]);
    expect(resource.address).toEqual([{ line: ['Postbus 1'] }]);
    expectValid(resource);
  });

  it('renders the GP with AGB, a prefixed name and the UZI role as a qualification', () => {
    const resource = renderPractitioner(practitioner, context);
    expect(resource).toMatchObject({ resourceType: 'Practitioner', id: practitioner.id, meta: META });
    expect(resource.identifier).toEqual([{ system: 'http://fhir.nl/fhir/NamingSystem/agb-z', value: '01999998' }]);
    expect(resource.name).toEqual([{
      text: 'Marit van der Linden', family: 'van der Linden', given: ['Marit'],
      _family: { extension: [{ url: `${SD}/humanname-own-prefix`, valueString: 'van der' }, { url: `${SD}/humanname-own-name`, valueString: 'Linden' }] },
    }]);
    expect(resource.qualification).toEqual([{ code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.2.4.15.111', code: '01.015', display: 'Huisarts' }] } }]);
    expectValid(resource);
  });
});

describe('EpisodeOfCare', () => {
  const enrolment = CareProgramEnrolment.parse(records.find((r) => r.enrolments.length > 0)!.enrolments[0]!);

  it('renders a programme enrolment with its condition, organization, care manager and period', () => {
    const resource = renderEpisodeOfCare(enrolment, context);
    expect(resource).toEqual({
      resourceType: 'EpisodeOfCare', id: enrolment.id, meta: META, status: 'active',
      type: [{ coding: [{ system: 'urn:crossgate:care-program', code: enrolment.program, display: expect.any(String) }], text: expect.any(String) }],
      diagnosis: [{ condition: { reference: `Condition/${enrolment.conditionId}` } }],
      patient: { reference: `Patient/${enrolment.patientId}` },
      managingOrganization: { reference: `Organization/${DEFAULT_SYNTHETIC.clinic.organizationId}` },
      period: { start: enrolment.period.start },
      careManager: { reference: `Practitioner/${DEFAULT_SYNTHETIC.clinic.practitionerId}` },
    });
    expectValid(resource);
    const ended = renderEpisodeOfCare(CareProgramEnrolment.parse({ ...enrolment, status: 'ended', period: { start: '2019', end: '2024-12-31' } }), context);
    expect(ended).toMatchObject({ status: 'finished', period: { start: '2019', end: '2024-12-31' } });
    expectValid(ended);
  });
});

describe('every synthetic record', () => {
  it('renders to resources that both independent validators and our value[x] check accept', () => {
    const resources: Resource[] = [
      renderOrganization(Organization.parse(directory.organization), context),
      renderPractitioner(Practitioner.parse(directory.practitioner), context),
      ...records.flatMap((r): Resource[] => [
        renderPatient(Patient.parse(r.patient), context),
        ...r.conditions.map((c) => renderCondition(Condition.parse(c), context)),
        ...r.enrolments.map((e) => renderEpisodeOfCare(CareProgramEnrolment.parse(e), context)),
        ...r.observations.map((o) => renderObservation(Observation.parse(o), context)),
        ...r.reports.map((d) => renderDiagnosticReport(DiagnosticReport.parse(d), context)),
        ...r.documents.flatMap(({ doc, content }) => [renderDocumentReference(Document.parse(doc), context), renderBinary(Document.parse(doc), content, context)]),
      ]),
    ];
    expect(resources.length).toBeGreaterThan(500);
    for (const resource of resources) expectValid(resource);
  });
});
