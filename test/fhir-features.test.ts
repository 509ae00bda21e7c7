import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AuditEvent, Bundle, BundleEntry, CapabilityStatement, Consent, DocumentReference, FhirResource, Observation, OperationOutcome } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodeSystems, IdentifierSystems, type ConditionInput, type DiagnosticReportInput } from '../canonical/index.js';
import { xcn, xon } from '../mappers/fhir/parse/hl7v2.js';
import { createApp } from '../gateway/http/app.js';
import { merge } from '../identity/index.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aDocument, aPatient, anObservation } from './support/factories.js';
import { fhirProblems } from './support/fhir-validators.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { accessTokenFor, registerPartner, TREAT, type TestPartner } from './support/udap.js';

/**
 * The FHIR API's result shaping (_summary, _elements, _total), its further search parameters, _include,
 * Patient/$everything, Consent, AuditEvent for compliance officers, and UDAP discovery under the FHIR base: each
 * through HTTP, every emitted resource through the two independent validators, consent and audit included.
 */
let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;
let staff: TestSession;
let admin: TestSession;
let compliance: TestSession;
let partner: TestPartner;
let treatment: string;
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ICPC = CodeSystems.icpc1nl.uri;
const LOINC = CodeSystems.loinc.uri;

const patient = aPatient();
/** A patient who allows nothing: every partner request about them is declined. */
const closed = aPatient();
const labs = Array.from({ length: 6 }, (_, i) => anObservation(patient.id!, { effective: `2025-0${1 + i}-10T09:00:00Z` }));
const vitals = [
  anObservation(patient.id!, { category: 'vital-signs', status: 'preliminary', effective: '2025-03-01T08:00:00Z', codings: [{ system: LOINC, code: '8480-6', role: 'original' }], value: { kind: 'quantity', quantity: { value: '135', unit: 'mm[Hg]' } } }),
];
const reportId = randomUUID();
/** A report with more results than one page may include. */
const results = Array.from({ length: 101 }, (_, i) => anObservation(patient.id!, { reportId, effective: `2024-12-01T08:${String(i % 60).padStart(2, '0')}:00Z` }));
const report: DiagnosticReportInput = {
  id: reportId, patientId: patient.id!, status: 'final', codings: [{ system: LOINC, code: '24323-8' }], effective: '2024-12-01T08:00:00Z',
  observationIds: results.map((o) => o.id!), provenance: { source: 'test' },
};
const condition = (code: string, overrides: Partial<ConditionInput> = {}): ConditionInput => ({
  id: randomUUID(), patientId: patient.id!, codings: [{ system: ICPC, code }], onset: '2019-05-01', provenance: { source: 'test' }, ...overrides,
});
const conditions = [
  condition('T90.02'),
  condition('R95', { clinicalStatus: 'resolved', abatement: '2021-01-01' }),
  condition('K86', { verificationStatus: 'entered-in-error' }),
];
const enrolment = { id: randomUUID(), patientId: patient.id!, program: 'DM2' as const, period: { start: '2019-06-01' }, provenance: { source: 'test' } };
const letter = aDocument(patient.id!, 'Letter');
letter.doc.eventCodes = [{ system: CodeSystems.snomed.uri, code: '44054006', display: 'Diabetes mellitus type 2' }];
letter.doc.confidentialityCodes = [{ system: CodeSystems.v3Confidentiality.uri, code: 'R' }];
letter.doc.authors = [{
  person: xcn({ family: 'Jansen', given: ['Anna', 'Louise'] }, { system: IdentifierSystems.agb.uri, value: '01234567' }),
  institutions: [xon('Huisartsen De Linde', [{ system: IdentifierSystems.ura.uri, value: '00001234' }])], roles: [], specialties: [], telecom: [],
}];
letter.doc.legalAuthenticator = xcn({ family: 'de Vries', given: ['Piet'] }, undefined);
letter.doc.referenceIds = ['R-77^^^&2.16.528.1.1007.3.3&ISO^urn:ihe:iti:xds:2013:referral'];
letter.doc.serviceStartTime = '2024-03-04T09:00:00Z';
letter.doc.serviceStopTime = '2024-03-08T17:00:00Z';
const lab = aDocument(patient.id!, 'Lab');

const bundleOf = (res: { text: string }) => JSON.parse(res.text) as Bundle;
const bsn = (p: { identifiers?: { value: string }[] }) => encodeURIComponent(`http://fhir.nl/fhir/NamingSystem/bsn|${p.identifiers![0]!.value}`);
const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!);
const included = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => e.resource!);
const as = (s: TestSession, r: request.Test) => r.set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf);
const get = (s: TestSession, path: string) => as(s, request(app).get(`/fhir/R4${path}`));
const asPartner = (path: string) => request(app).get(`/fhir/R4${path}`).set('Authorization', `Bearer ${treatment}`);
/** The public base in links; this in-process app is reached by path. */
const pathOf = (url: string) => url.replace('http://localhost:0', '');

/** The validators' verdict on every resource in a response. */
function problemsIn(resource: FhirResource): string[] {
  const all: FhirResource[] = resource.resourceType === 'Bundle' ? [resource, ...(resource.entry ?? []).map((e) => e.resource!)] : [resource];
  return all.flatMap((r) => fhirProblems(r).map((p) => `${r.resourceType}/${r.id ?? ''}: ${p}`));
}

/** A search through HTTP whose every resource the validators accept. */
async function valid(res: request.Test | Promise<request.Response>): Promise<Bundle> {
  const bundle = bundleOf(await res);
  expect(problemsIn(bundle)).toEqual([]);
  return bundle;
}

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  await deps.consent.ready();
  app = createApp(deps);
  await t.store.patients.insertMany([patient, closed]);
  await t.store.observations.insertMany([...labs, ...vitals, ...results]);
  await t.store.observations.insertMany([anObservation(closed.id!)]);
  await t.store.reports.insertMany([report]);
  await t.store.conditions.insertMany(conditions);
  await t.store.carePrograms.insertMany([enrolment]);
  for (const d of [letter, lab]) await t.store.documents.insert(d.doc, d.content);
  staff = await sessionFor(t.store, { roles: ['provider'] });
  admin = await sessionFor(t.store, { roles: ['admin'] });
  compliance = await sessionFor(t.store, { roles: ['compliance'] });
  partner = await registerPartner(app, admin);
  treatment = await accessTokenFor(app, partner, 'http://localhost:0/oauth/token', { purpose_of_use: [TREAT] });
  await as(admin, request(app).put('/admin/consent/defaults')).send({ purposes: ['Treatment'], expectedVersion: 0 }).expect(200);
  await as(admin, request(app).put(`/admin/patients/${closed.id}/consent`)).send({ purposes: [], expectedVersion: 0 }).expect(200);
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

describe(`FHIR result shaping on ${engineUnderTest}`, () => {
  it('answers _summary=true on a read and a search with the R4 summary elements, tagged SUBSETTED', async () => {
    const read = JSON.parse((await get(staff, `/Observation/${labs[0]!.id}?_summary=true`).expect(200)).text) as Observation;
    expect(problemsIn(read)).toEqual([]);
    expect(read.meta?.tag).toContainEqual(expect.objectContaining(SUBSETTED));
    expect(read).toMatchObject({ status: 'final', code: expect.anything(), subject: { reference: `Patient/${patient.id}` }, valueQuantity: expect.anything() });
    expect(read.category).toBeUndefined();
    const bundle = await valid(get(staff, `/Observation?patient=${patient.id}&_summary=true&_count=5`).expect(200));
    expect(matches(bundle)).toHaveLength(5);
    for (const o of matches(bundle) as Observation[]) expect(o.category).toBeUndefined();
    const next = bundle.link!.find((l) => l.relation === 'next')!.url;
    const second = await valid(get(staff, pathOf(next).replace('/fhir/R4', '')).expect(200));
    expect(second.link![0]!.url).toMatch(/_summary=true/);
    expect((matches(second)[0] as Observation).meta?.tag).toContainEqual(expect.objectContaining(SUBSETTED));
  });

  it('keeps named elements for _elements, with the required and modifier ones; text and data as R4 says', async () => {
    const bundle = await valid(get(staff, `/Observation?patient=${patient.id}&_elements=effective,category&_count=3`).expect(200));
    for (const o of matches(bundle)) expect(Object.keys(o).sort()).toEqual(['category', 'code', 'effectiveDateTime', 'id', 'meta', 'resourceType', 'status']);
    const text = JSON.parse((await get(staff, `/Condition/${conditions[1]!.id}?_summary=text`).expect(200)).text) as FhirResource;
    expect(problemsIn(text)).toEqual([]);
    expect(Object.keys(text).sort()).toEqual(['clinicalStatus', 'id', 'meta', 'resourceType', 'subject', 'verificationStatus']);
    const xml = await get(staff, `/Observation/${labs[0]!.id}?_summary=true&_format=xml`).expect(200);
    expect(xml.text).toMatch(/<meta><versionId value="1"\/><lastUpdated value="[^"]+"\/><tag><system value="http:\/\/terminology.hl7.org\/CodeSystem\/v3-ObservationValue"\/><code value="SUBSETTED"\/>/);
    const data = JSON.parse((await get(staff, `/Patient/${patient.id}?_summary=data`).expect(200)).text) as FhirResource;
    expect(problemsIn(data)).toEqual([]);
    expect(data.meta?.tag).toContainEqual(expect.objectContaining(SUBSETTED));
    const whole = JSON.parse((await get(staff, `/Patient/${patient.id}?_summary=false`).expect(200)).text) as FhirResource;
    expect(whole.meta?.tag).toBeUndefined();
    await get(staff, `/Patient/${patient.id}?_summary=maybe`).expect(400);
    await get(staff, `/Observation?patient=${patient.id}&_summary=true&_elements=status`).expect(400);
  });

  it('counts with _summary=count through consent: a declined patient counts nothing', async () => {
    const count = await valid(get(staff, `/Observation?patient=${patient.id}&_summary=count`).expect(200));
    expect(count).toEqual({ resourceType: 'Bundle', type: 'searchset', total: 108, link: [expect.objectContaining({ relation: 'self' })] });
    expect((await valid(asPartner(`/Observation?patient=${patient.id}&_summary=count&category=vital-signs`).expect(200))).total).toBe(1);
    expect((await valid(asPartner(`/Observation?patient=${closed.id}&_summary=count`).expect(200))).total).toBe(0);
    expect((await valid(get(staff, `/Observation?patient=${closed.id}&_summary=count`).expect(200))).total).toBe(1);
    const xml = await get(staff, `/Observation?patient=${patient.id}&_summary=count&_format=xml`).expect(200);
    expect(xml.text).toMatch(/<Bundle xmlns="http:\/\/hl7.org\/fhir"><type value="searchset"\/><total value="108"\/>/);
    const [record] = await t.store.audit.search({ patientId: closed.id!, organizationId: partner.organizationId, limit: 1 });
    expect(JSON.parse(record!.body)).toMatchObject({ outcome: 'denied', returned: [] });
    expect((await valid(asPartner(`/Patient?identifier=${encodeURIComponent(`http://fhir.nl/fhir/NamingSystem/bsn|${closed.identifiers![0]!.value}`)}&_summary=count`).expect(200))).total).toBe(0);
    expect((await valid(asPartner(`/Patient?identifier=${encodeURIComponent(`http://fhir.nl/fhir/NamingSystem/bsn|${patient.identifiers![0]!.value}`)}&_summary=count`).expect(200))).total).toBe(1);
  });

  it('gives the total beside a page with _total=accurate', async () => {
    const bundle = await valid(get(staff, `/Condition?patient=${patient.id}&_total=accurate&_count=1`).expect(200));
    expect(bundle.total).toBe(3);
    expect(matches(bundle)).toHaveLength(1);
    expect((await valid(get(staff, `/DocumentReference?patient=${patient.id}&_total=accurate`).expect(200))).total).toBe(2);
  });

  it('filters patient-scoped searches by _lastUpdated, the time a record was stored', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const mark = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const late = anObservation(patient.id!, { category: 'exam', effective: '2020-01-01T00:00:00Z' });
    await t.store.observations.insertMany([late]);
    const since = await valid(get(staff, `/Observation?patient=${patient.id}&_lastUpdated=gt${mark}`).expect(200));
    expect(matches(since).map((o) => o.id)).toEqual([late.id]);
    // The time a search shows (read with the page) is the one a read of the record shows (asked of the store).
    const read = JSON.parse((await get(staff, `/Observation/${late.id}`).expect(200)).text) as { meta: { lastUpdated: string } };
    expect(matches(since)[0]!.meta?.lastUpdated).toBe(read.meta.lastUpdated);
    expect(Date.parse(read.meta.lastUpdated)).toBeGreaterThan(Date.parse(mark));
    const bounded = await valid(get(staff, `/Observation?patient=${patient.id}&_lastUpdated=ge${before}&_lastUpdated=lt${mark}&_summary=count`).expect(200));
    expect(bounded.total).toBe(108);
    expect(matches(await valid(get(staff, `/Condition?patient=${patient.id}&_lastUpdated=gt${mark}`).expect(200)))).toEqual([]);
    expect(matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&_lastUpdated=lt${mark}`).expect(200)))).toHaveLength(2);
    await get(staff, `/Observation?patient=${patient.id}&_lastUpdated=yesterday`).expect(400);
    // A patient's record changes too: a search by name narrows by when it last did.
    const renamed = aPatient({ birthDate: '1944-02-03', names: [{ family: 'Laatst', given: ['Piet'] }] });
    await t.store.patients.insertMany([renamed]);
    const patientIds = async (query: string) => matches(await valid(get(staff, `/Patient?family=laatst&${query}`).expect(200))).map((p) => p.id);
    expect(await patientIds(`_lastUpdated=gt${mark}`)).toEqual([renamed.id]);
    expect(await patientIds(`_lastUpdated=lt${mark}`)).toEqual([]);
  });

  it('narrows a patient-scoped search to records by _id, any of several, and a repeat to those both name', async () => {
    const page = (await t.store.observations.list(patient.id!, { limit: 3 })).items.map((o) => o.id);
    const ids = async (query: string) => matches(await valid(get(staff, `/Observation?patient=${patient.id}&${query}`).expect(200))).map((o) => o.id).sort();
    expect(await ids(`_id=${page[0]}`)).toEqual([page[0]]);
    expect(await ids(`_id=${page[0]},${page[1]}`)).toEqual([page[0], page[1]].sort());
    expect(await ids(`_id=${page[0]},${page[1]}&_id=${page[1]},${page[2]}`)).toEqual([page[1]]);
    expect(await ids(`_id=not-ours,${page[2]}`)).toEqual([page[2]]);
    expect(await ids('_id=not-ours')).toEqual([]);
    await get(staff, `/Observation?patient=${patient.id}&_id=${page[0]},`).expect(400);
    await get(staff, `/Patient?_id=${patient.id},`).expect(400);
    // Another patient's record is not found through this patient's search.
    const someoneElse = aPatient();
    await t.store.patients.insertMany([someoneElse]);
    const [elsewhere] = await t.store.observations.insertMany([anObservation(someoneElse.id!)]);
    expect(await ids(`_id=${elsewhere!.id}`)).toEqual([]);
    const [document] = matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}`).expect(200)));
    expect(matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&_id=${document!.id}`).expect(200))).map((d) => d.id)).toEqual([document!.id]);
    expect(matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&_id=${randomUUID()}`).expect(200)))).toEqual([]);
    expect((await valid(get(staff, `/Condition?patient=${patient.id}&_id=${randomUUID()}&_summary=count`).expect(200))).total).toBe(0);
    // R4's third document status is a valid question whose answer here is none (XDS keeps no such entries).
    const byStatus = async (status: string) => matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&status=${status}`).expect(200))).length;
    expect(await byStatus('entered-in-error')).toBe(0);
    expect(await byStatus('current,entered-in-error')).toBe(await byStatus('current'));
    expect(await byStatus('current')).toBeGreaterThan(0);
    await get(staff, `/DocumentReference?patient=${patient.id}&status=deleted`).expect(400);
  });
});

describe(`FHIR search parameters on ${engineUnderTest}`, () => {
  it('finds observations by status and category, with or without the code system', async () => {
    const vital = await valid(get(staff, `/Observation?patient=${patient.id}&category=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/observation-category|vital-signs')}`).expect(200));
    expect(matches(vital).map((o) => o.id)).toEqual([vitals[0]!.id]);
    expect(matches(await valid(get(staff, `/Observation?patient=${patient.id}&status=preliminary`).expect(200))).map((o) => o.id)).toEqual([vitals[0]!.id]);
    expect(matches(await valid(get(staff, `/Observation?patient=${patient.id}&status=final,preliminary&category=laboratory&_summary=count`).expect(200)))).toEqual([]);
    expect((await valid(get(staff, `/Observation?patient=${patient.id}&category=${encodeURIComponent('http://example.org|laboratory')}&_summary=count`).expect(200))).total).toBe(0);
  });

  it('finds a code written without its system in any system, and one written |code (no system) nowhere', async () => {
    const ids = async (path: string) => matches(await valid(get(staff, path).expect(200))).map((r) => r.id).sort();
    expect(await ids(`/Observation?patient=${patient.id}&code=8480-6`)).toEqual([vitals[0]!.id]);
    expect(await ids(`/Observation?patient=${patient.id}&code=${encodeURIComponent('|8480-6')}`)).toEqual([]);
    expect(await ids(`/Observation?patient=${patient.id}&code=${encodeURIComponent(`8480-6,${LOINC}|no-such-code`)}`)).toEqual([vitals[0]!.id]);
    expect(await ids(`/Condition?patient=${patient.id}&code=R95`)).toEqual([conditions[1]!.id]);
    expect(await ids(`/DocumentReference?patient=${patient.id}&type=11502-2`)).toEqual([letter.doc.id, lab.doc.id].sort());
    expect(await ids(`/DocumentReference?patient=${patient.id}&security-label=R`)).toEqual([letter.doc.id]);
    expect((await get(staff, `/Observation?patient=${patient.id}&code=${encodeURIComponent('|')}`).expect(400)).body.issue[0].expression).toEqual(['code']);
  });

  it('finds any code of a system written system| (as GP clients ask for all NHG results)', async () => {
    const total = async (query: string) => (await valid(get(staff, `/Observation?patient=${patient.id}&_summary=count${query}`).expect(200))).total;
    const all = matches(await valid(get(staff, `/Observation?patient=${patient.id}&_count=100`).expect(200))) as Observation[];
    const systems = [...new Set(all.flatMap((o) => o.code.coding?.map((c) => c.system) ?? []))];
    expect(systems).toContain(LOINC);
    for (const system of systems) {
      const found = matches(await valid(get(staff, `/Observation?patient=${patient.id}&_count=100&code=${encodeURIComponent(`${system}|`)}`).expect(200))) as Observation[];
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((o) => o.code.coding?.some((c) => c.system === system))).toBe(true);
    }
    expect(await total(`&code=${encodeURIComponent(`${LOINC}|`)}`)).toBeLessThan((await total(''))!);
    expect(await total(`&code=${encodeURIComponent('http://example.org/none|')}`)).toBe(0);
  });

  it('finds conditions by code and clinical status; one recorded in error has no clinical status', async () => {
    const byCode = await valid(get(staff, `/Condition?patient=${patient.id}&code=${encodeURIComponent(`${ICPC}|R95`)}`).expect(200));
    expect(matches(byCode).map((c) => c.id)).toEqual([conditions[1]!.id]);
    const active = await valid(get(staff, `/Condition?patient=${patient.id}&clinical-status=active`).expect(200));
    expect(matches(active).map((c) => c.id)).toEqual([conditions[0]!.id]);
    const resolved = await valid(get(staff, `/Condition?patient=${patient.id}&clinical-status=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/condition-clinical|resolved')}`).expect(200));
    expect(matches(resolved).map((c) => c.id)).toEqual([conditions[1]!.id]);
    // Each is a problem-list item, and says so; asking for encounter diagnoses finds none.
    const all = matches(await valid(get(staff, `/Condition?patient=${patient.id}`).expect(200))).map((c) => c.id).sort();
    const problems = await valid(get(staff, `/Condition?patient=${patient.id}&category=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item')}`).expect(200));
    expect(matches(problems).map((c) => c.id).sort()).toEqual(all);
    expect(matches(problems).every((c) => (c as { category?: { coding?: { code?: string }[] }[] }).category?.[0]?.coding?.[0]?.code === 'problem-list-item')).toBe(true);
    expect(matches(await valid(get(staff, `/Condition?patient=${patient.id}&category=encounter-diagnosis`).expect(200)))).toEqual([]);
    expect(matches(await valid(get(staff, `/Condition?patient=${patient.id}&category=encounter-diagnosis,problem-list-item`).expect(200))).map((c) => c.id).sort()).toEqual(all);
  });

  it('finds a patient by identifier alone, through a merge, narrowed by other parameters, and counts it', async () => {
    const ids = async (query: string) => matches(await valid(get(staff, `/Patient?${query}`).expect(200))).map((r) => r.id);
    expect(await ids(`identifier=${bsn(patient)}`)).toEqual([patient.id]);
    expect(await ids(`identifier=${bsn(patient)}&gender=female`)).toEqual([patient.id]);
    expect(await ids(`identifier=${bsn(patient)}&gender=male`)).toEqual([]);
    expect(await ids(`identifier=${bsn(patient)}&_id=${randomUUID()}`)).toEqual([]);
    expect((await valid(get(staff, `/Patient?identifier=${bsn(patient)}&_summary=count`).expect(200))).total).toBe(1);
    const [survivor, merged] = [aPatient(), aPatient()];
    await t.store.patients.insertMany([survivor, merged]);
    await merge(t.store, survivor.id!, merged.id!, { mergedBy: 'test', reason: 'duplicate' });
    expect(await ids(`identifier=${bsn(merged)}`)).toEqual([survivor.id]);
  });

  it('matches any of the comma-separated alternatives of identifier, family and given, and refuses an empty one', async () => {
    const ids = async (query: string) => matches(await valid(get(staff, `/Patient?${query}`).expect(200))).map((r) => r.id).sort();
    const birthDate = '1938-06-07';
    const [ans, piet, kees] = [
      aPatient({ birthDate, names: [{ family: 'Oranje', given: ['Ans'] }] }),
      aPatient({ birthDate, names: [{ family: 'Blauw', given: ['Piet'] }] }),
      aPatient({ birthDate, names: [{ family: 'Groen', given: ['Kees'] }] }),
    ];
    await t.store.patients.insertMany([ans, piet, kees]);
    expect(await ids(`identifier=${bsn(ans)},${bsn(kees)}`)).toEqual([ans.id, kees.id].sort());
    expect(await ids(`identifier=${bsn(ans)},${bsn(kees)}&given=kee`)).toEqual([kees.id]);
    expect(await ids(`family=oranje,blauw&birthdate=${birthDate}`)).toEqual([ans.id, piet.id].sort());
    expect(await ids(`family=blauw,oranje&birthdate=${birthDate}`)).toEqual([ans.id, piet.id].sort());
    expect(await ids(`birthdate=${birthDate}&given=piet,kees`)).toEqual([piet.id, kees.id].sort());
    expect(await ids(`family=groen,blauw&given=ans`)).toEqual([]);
    // name: any part of a name, the family name as family reads it or a given name.
    expect(await ids(`name=oranje&birthdate=${birthDate}`)).toEqual([ans.id]);
    expect(await ids(`name=pie&birthdate=${birthDate}`)).toEqual([piet.id]);
    expect(await ids(`name=oranje,kees&birthdate=${birthDate}`)).toEqual([ans.id, kees.id].sort());
    expect(await ids(`name=groen&given=ans`)).toEqual([]);
    expect(await ids(`name=Groen`)).toContain(kees.id);
    await get(staff, '/Patient?name=%25').expect(400);
    for (const bad of ['family=oranje,', 'given=,piet&birthdate=1938-06-07', 'given=%25&birthdate=1938-06-07', `family=${Array.from({ length: 21 }, (_, i) => `n${i}`).join(',')}`]) {
      const refused = await get(staff, `/Patient?${bad}`).expect(400);
      expect(JSON.parse(refused.text).issue[0].expression).toEqual([bad.split('=')[0]]);
    }
  });

  it('finds documents by identifier (uniqueId or entryUUID), event code and security label (ITI-67)', async () => {
    const find = async (query: string) => matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&${query}`).expect(200))).map((d) => d.id);
    expect(await find(`identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:oid:${letter.doc.uniqueId}`)}`)).toEqual([letter.doc.id]);
    expect(await find(`identifier=${encodeURIComponent(lab.doc.entryUuid)}`)).toEqual([lab.doc.id]);
    expect(await find(`identifier=${encodeURIComponent(`urn:oid:${lab.doc.uniqueId},${letter.doc.entryUuid}`)}`)).toHaveLength(2);
    expect(await find(`event=${encodeURIComponent(`${CodeSystems.snomed.uri}|44054006`)}`)).toEqual([letter.doc.id]);
    expect(await find(`security-label=${encodeURIComponent(`${CodeSystems.v3Confidentiality.uri}|N`)}`)).toEqual([lab.doc.id]);
  });

  it('shows the authors, authenticator, reference ids and registration time, and finds documents by them (the rest of ITI-67)', async () => {
    const find = async (query: string) => matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&${query}`).expect(200))).map((d) => d.id);
    const [shown] = matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&_id=${letter.doc.id}&identifier=${encodeURIComponent(letter.doc.entryUuid)}`).expect(200))) as DocumentReference[];
    expect(shown!.author).toEqual([{ reference: '#author-1-role' }]);
    expect(shown!.authenticator).toEqual({ reference: '#authenticator' });
    expect(shown!.contained).toEqual(expect.arrayContaining([
      expect.objectContaining({ resourceType: 'Practitioner', id: 'author-1', identifier: [{ system: IdentifierSystems.agb.uri, value: '01234567' }], name: [{ family: 'Jansen', given: ['Anna', 'Louise'] }] }),
      expect.objectContaining({ resourceType: 'Organization', id: 'author-1-org-1', identifier: [{ system: IdentifierSystems.ura.uri, value: '00001234' }], name: 'Huisartsen De Linde' }),
    ]));
    expect(shown!.context!.related).toEqual([{ identifier: expect.objectContaining({ system: IdentifierSystems.ura.uri, value: 'R-77' }) }]);
    expect(shown!.date).toBe(shown!.meta!.lastUpdated);
    for (const [query, found] of [
      ['author.family=jans', [letter.doc.id]], ['author.family=JANSEN', [letter.doc.id]], ['author.family=Bakker,jan', [letter.doc.id]], ['author.family=vries', []],
      ['author.given=louise', [letter.doc.id]], ['author.given=ann', [letter.doc.id]], ['author.given=ouise', []],
      ['related=R-77', [letter.doc.id]], [`related=${encodeURIComponent(`${IdentifierSystems.ura.uri}|R-77`)}`, [letter.doc.id]],
      [`related=${encodeURIComponent(`${IdentifierSystems.agb.uri}|R-77`)}`, []], ['related=R-7', []],
      [`date=ge${shown!.meta!.lastUpdated!.slice(0, 10)}`, [letter.doc.id, lab.doc.id]], ['date=lt2000', []], ['date=ge2000&_lastUpdated=lt2000', []],
    ] as const) {
      expect([query, (await find(query)).sort()]).toEqual([query, [...found].sort()]);
    }
  });

  it('matches a service period as FHIR compares dates with a Period: overlap for ge/le, containment for eq, wholly after/before for sa/eb', async () => {
    const find = async (query: string) => matches(await valid(get(staff, `/DocumentReference?patient=${patient.id}&${query}`).expect(200))).map((d) => d.id);
    for (const [query, found] of [
      ['period=ge2024-03-06', [letter.doc.id]], ['period=ge2024-03-09', []], ['period=le2024-03-05', [letter.doc.id]], ['period=le2024-03-03', []],
      ['period=gt2024-03-07', [letter.doc.id]], ['period=lt2024-03-04', []], ['period=eq2024-03', [letter.doc.id]], ['period=eq2024-03-06', []],
      ['period=sa2024-03-03', [letter.doc.id]], ['period=sa2024-03-04', []], ['period=eb2024-03-09', [letter.doc.id]], ['period=eb2024-03-08', []],
      ['period=ge2024-03-06&period=lt2024-03-07', [letter.doc.id]], ['period=ge2024-03-09&period=le2024-03-10', []],
      ['creation=ge2025-06-01&creation=lt2025-06-03', [letter.doc.id, lab.doc.id]], ['creation=ge2025-06-03&creation=lt2025-06-04', []],
    ] as const) {
      expect([query, (await find(query)).sort()]).toEqual([query, [...found].sort()]);
    }
  });

  it('ANDs a repeated date into a range, finds a patient by identifier on every patient-scoped type, and refuses modifiers it does not serve', async () => {
    const dated = matches(await valid(get(staff, `/Observation?patient=${patient.id}&date=ge2025-02-01&date=lt2025-04-01`).expect(200))).map((o) => o.id).sort();
    expect(dated).toEqual([labs[1]!.id, labs[2]!.id, vitals[0]!.id].sort());
    expect(matches(await valid(get(staff, `/Observation?patient=${patient.id}&date=ge2025-04-01&date=lt2025-02-01`).expect(200)))).toEqual([]);
    const byBsn = matches(await valid(get(staff, `/Condition?patient.identifier=${bsn(patient)}&_count=100`).expect(200))).map((c) => c.id).sort();
    expect(byBsn).toEqual(matches(await valid(get(staff, `/Condition?patient=${patient.id}&_count=100`).expect(200))).map((c) => c.id).sort());
    expect(byBsn.length).toBeGreaterThan(0);
    for (const date of ['1950-02-30', '2023-02-29', '1950-13-01']) {
      expect((await get(staff, `/Patient?birthdate=${date}`).expect(400)).body.issue[0]).toMatchObject({ code: 'invalid', diagnostics: `birthdate: "${date}" is not a calendar date` });
    }
    for (const [path, parameter, modifier] of [
      [`/Observation?patient=${patient.id}&code:not=${encodeURIComponent(`${LOINC}|8480-6`)}`, 'code', ':not'],
      [`/Observation?subject:Patient=${patient.id}`, 'subject', ':Patient'],
      ['/Patient?family:exact=Dekker', 'family', ':exact'],
      [`/Observation?patient=${patient.id}&_include:iterate=Observation:patient`, '_include', ':iterate'],
    ]) {
      const res = await get(staff, path!).expect(400);
      expect((res.body as OperationOutcome).issue[0]).toMatchObject({ severity: 'error', code: 'not-supported', diagnostics: `parameter ${parameter}: the modifier ${modifier} is not supported` });
    }
  });

  it('caps _count and says so, gives each page its own self link, and keeps _format on the links and on errors', async () => {
    const first = await valid(get(staff, `/Observation?patient=${patient.id}&_count=5000`).expect(200));
    expect(matches(first)).toHaveLength(100);
    expect(first.link![0]!.url).toMatch(/[?&]_count=100(&|$)/);
    expect(((first.entry ?? []).find((e) => e.search?.mode === 'outcome')!.resource as OperationOutcome).issue)
      .toEqual([{ severity: 'warning', code: 'too-costly', diagnostics: '_count 5000 is more than a page holds: pages of 100' }]);
    const next = first.link!.find((l) => l.relation === 'next')!.url;
    const second = await valid(get(staff, pathOf(next).replace('/fhir/R4', '')).expect(200));
    expect(second.link![0]!.relation).toBe('self');
    expect(second.link![0]!.url).toBe(`http://localhost:0/fhir/R4/Observation?patient=${patient.id}&_count=100&${new URL(next).searchParams.toString()}`);
    const again = await valid(get(staff, pathOf(second.link![0]!.url).replace('/fhir/R4', '')).expect(200));
    expect(matches(again).map((o) => o.id)).toEqual(matches(second).map((o) => o.id));

    const xml = await get(staff, `/Observation?patient=${patient.id}&_count=2&_format=xml`).expect(200);
    expect(xml.type).toBe('application/fhir+xml');
    const nextXml = /<relation value="next"\/>\s*<url value="([^"]+)"\/>/.exec(xml.text)![1]!.replace(/&amp;/g, '&');
    expect(nextXml).toMatch(/[?&]_format=xml(&|$)/);
    expect((await get(staff, pathOf(nextXml).replace('/fhir/R4', '')).expect(200)).type).toBe('application/fhir+xml');
    const missing = await get(staff, `/Patient/${randomUUID()}?_format=xml`).expect(404);
    expect(missing.type).toBe('application/fhir+xml');
    expect(missing.text).toMatch(/^<\?xml[^>]*><OperationOutcome xmlns="http:\/\/hl7.org\/fhir"><issue><severity value="error"\/><code value="not-found"\/>/);
    const refused = await get(staff, `/Observation?patient=${patient.id}&_count=none&_format=xml`).expect(400);
    expect(refused.type).toBe('application/fhir+xml');
  });

  it('declares every parameter it answers in the CapabilityStatement, and includes, operations and the token endpoint', async () => {
    const cs = JSON.parse((await request(app).get('/fhir/R4/metadata').expect(200)).text) as CapabilityStatement;
    const rest = cs.rest![0]!;
    const params = (type: string) => rest.resource!.find((r) => r.type === type)!.searchParam!.map((p) => p.name);
    expect(params('Observation')).toEqual(expect.arrayContaining(['status', 'category', '_lastUpdated']));
    expect(params('Condition')).toEqual(expect.arrayContaining(['code', 'clinical-status', '_lastUpdated']));
    expect(params('Condition')).toContain('category');
    expect(params('DocumentReference')).toEqual(expect.arrayContaining(['identifier', 'event', 'security-label', '_lastUpdated']));
    expect(params('Consent')).toEqual(['patient', 'status', 'scope', 'category', 'purpose']);
    expect(params('AuditEvent')).toEqual(['date', 'patient', 'agent', 'subtype', 'type', 'outcome']);
    expect(rest.resource!.find((r) => r.type === 'DiagnosticReport')!.searchInclude).toEqual(['DiagnosticReport:patient', 'DiagnosticReport:result']);
    expect(rest.resource!.filter((r) => r.searchRevInclude !== undefined).map((r) => [r.type, r.searchRevInclude])).toEqual([
      ['Patient', ['Observation:patient', 'Condition:patient', 'DiagnosticReport:patient', 'DocumentReference:patient', 'EpisodeOfCare:patient']],
    ]);
    expect(rest.resource!.find((r) => r.type === 'Patient')!.operation).toEqual([expect.objectContaining({ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' })]);
    expect(rest.security!.extension).toEqual([{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: 'http://localhost:0/oauth/token' }] }]);
    // Every resource route is declared, and every declared interaction routed (the discovery route is not a resource).
    const served = (app.locals.routes as { path: string }[]).filter((r) => r.path.startsWith('/fhir/R4/') && r.path !== '/fhir/R4/metadata' && !r.path.includes('/.well-known/'));
    const routed = [...new Set(served.map((r) => {
      const [, type, rest] = /^\/fhir\/R4\/([A-Za-z]+)(\/.*)?$/.exec(r.path)!;
      return `${type} ${rest === '/:id' ? 'read' : rest === '/:id/_history/:vid' ? 'vread' : rest === '/:id/_history' ? 'history-instance' : 'search-type'}`;
    }))].sort();
    expect(rest.resource!.flatMap((r) => (r.interaction ?? []).map((i) => `${r.type} ${i.code}`)).sort()).toEqual(routed);
  });
});

describe(`_include on ${engineUnderTest}`, () => {
  it('includes the patient once, as an include entry, and audits it as disclosed', async () => {
    const res = await asPartner(`/Observation?patient=${patient.id}&_include=Observation:patient&_count=3`).expect(200);
    const bundle = await valid(Promise.resolve(res));
    expect(matches(bundle)).toHaveLength(3);
    expect(included(bundle).map((r) => `${r.resourceType}/${r.id}`)).toEqual([`Patient/${patient.id}`]);
    expect(bundle.link![0]!.url).toMatch(/_include=Observation%3Apatient/);
    const [record] = (await t.store.audit.search({ patientId: patient.id!, transaction: 'fhir-search', limit: 5 })).filter((r) => r.requestId === res.headers['x-request-id']);
    expect(JSON.parse(record!.body).returned).toContain(`Patient/${patient.id}/_history/1`);
    const closedBundle = await valid(asPartner(`/Observation?patient=${closed.id}&_include=Observation:patient`).expect(200));
    expect(closedBundle.entry ?? []).toEqual([]);
  });

  it("includes a report's results, at most 100 a page, and says when it left some out", async () => {
    const bundle = await valid(get(staff, `/DiagnosticReport?patient=${patient.id}&_include=DiagnosticReport:result&_include=DiagnosticReport:patient`).expect(200));
    expect(matches(bundle).map((r) => r.id)).toEqual([reportId]);
    const inc = included(bundle);
    expect(inc).toHaveLength(100);
    expect(inc.every((r) => r.resourceType === 'Observation' && results.some((o) => o.id === r.id))).toBe(true);
    const outcome = (bundle.entry ?? []).find((e) => e.search?.mode === 'outcome')!.resource as OperationOutcome;
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'too-costly' });
  });

  it("revincludes each permitted patient's own records, audits them as disclosed, and bounds them like _include", async () => {
    const res = await asPartner(`/Patient?_id=${patient.id},${closed.id}&_revinclude=Condition:patient&_revinclude=EpisodeOfCare:patient`).expect(200);
    const bundle = await valid(Promise.resolve(res));
    expect(matches(bundle).map((r) => r.id)).toEqual([patient.id]);
    const searched = matches(await valid(asPartner(`/Condition?patient=${patient.id}&_count=100`).expect(200))).map((r) => `Condition/${r.id}`);
    expect(searched.length).toBeGreaterThan(0);
    const inc = included(bundle).map((r) => `${r.resourceType}/${r.id}`);
    expect(inc).toEqual([...searched, `EpisodeOfCare/${enrolment.id}`]);
    expect(bundle.link![0]!.url).toMatch(/_revinclude=Condition%3Apatient&_revinclude=EpisodeOfCare%3Apatient/);
    const [record] = (await t.store.audit.search({ patientId: patient.id!, transaction: 'fhir-search', limit: 5 })).filter((r) => r.requestId === res.headers['x-request-id']);
    // Each as the version that left.
    const versions = included(bundle).map((r) => `${r.resourceType}/${r.id}/_history/${r.meta!.versionId}`);
    expect(JSON.parse(record!.body).returned).toEqual(expect.arrayContaining([`Patient/${patient.id}/_history/1`, ...versions]));
    expect((await t.store.audit.search({ patientId: closed.id!, transaction: 'fhir-search', limit: 5 })).filter((r) => r.requestId === res.headers['x-request-id']).map((r) => r.outcome))
      .toEqual(['denied']);

    const capped = await valid(get(staff, `/Patient?_id=${patient.id}&_revinclude=Observation:patient`).expect(200));
    expect(included(capped)).toHaveLength(100);
    expect(included(capped).every((r) => r.resourceType === 'Observation' && (r as Observation).subject?.reference === `Patient/${patient.id}`)).toBe(true);
    expect(((capped.entry ?? []).find((e) => e.search?.mode === 'outcome')!.resource as OperationOutcome).issue[0]).toMatchObject({ severity: 'warning', code: 'too-costly' });
  });

  it('ignores an _include or _revinclude it does not serve, or refuses it when told to be strict', async () => {
    const bundle = await valid(get(staff, `/Condition?patient=${patient.id}&_include=Condition:asserter&_revinclude=Provenance:target`).expect(200));
    expect(included(bundle)).toEqual([]);
    expect(JSON.stringify((bundle.entry ?? []).find((e: BundleEntry) => e.search?.mode === 'outcome'))).toMatch(/_include=Condition:asserter.*_revinclude|_revinclude.*_include=Condition:asserter/);
    await get(staff, `/Condition?patient=${patient.id}&_include=Condition:asserter`).set('Prefer', 'handling=strict').expect(400);
  });
});

describe(`Patient/$everything on ${engineUnderTest}`, () => {
  it('pages through the patient and all their records, and audits it as an operation', async () => {
    const seen: string[] = [];
    let res = await get(staff, `/Patient/${patient.id}/$everything?_count=50`).expect(200);
    for (let pages = 0; pages < 10; pages++) {
      const bundle = await valid(Promise.resolve(res));
      seen.push(...matches(bundle).map((r) => `${r.resourceType}/${r.id}`));
      const next = bundle.link!.find((l) => l.relation === 'next');
      if (!next) break;
      expect(next.url).toMatch(new RegExp(`/Patient/${patient.id}/\\$everything\\?_page=`));
      res = await get(staff, pathOf(next.url).replace('/fhir/R4', '')).expect(200);
    }
    const types = new Set(seen.map((s) => s.split('/')[0]));
    expect([...types]).toEqual(['Patient', 'Observation', 'Condition', 'DiagnosticReport', 'DocumentReference', 'EpisodeOfCare']);
    expect(seen.filter((s) => s.startsWith('Observation/')).length).toBeGreaterThanOrEqual(108);
    expect(new Set(seen).size).toBe(seen.length);
    const [record] = await t.store.audit.search({ patientId: patient.id!, transaction: 'fhir-operation', limit: 1 });
    expect(JSON.parse(record!.body)).toMatchObject({ action: 'Patient/$everything', decision: { result: 'permit' } });
  });

  it('includes the practice and the professionals its records reference, once a page, so every reference resolves', async () => {
    const practice = await t.store.organizations.save({ id: randomUUID(), name: 'Huisartsenpraktijk Everything' });
    const doctor = await t.store.practitioners.save({ id: randomUUID(), names: [{ family: 'Arts', given: ['Eva'] }] });
    const owner = aPatient({ managingOrganizationId: practice.id });
    await t.store.patients.insertMany([owner]);
    await t.store.observations.insertMany([anObservation(owner.id!, { performerPractitionerId: doctor.id }), anObservation(owner.id!, { performerPractitionerId: doctor.id })]);
    const bundle = await valid(get(staff, `/Patient/${owner.id}/$everything`).expect(200));
    const included = (bundle.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
    expect(included.sort()).toEqual([`Organization/${practice.id}`, `Practitioner/${doctor.id}`].sort());
    // A reference to a directory entry we do not hold is left as it is.
    const elsewhere = aPatient({ managingOrganizationId: randomUUID() });
    await t.store.patients.insertMany([elsewhere]);
    const alone = await valid(get(staff, `/Patient/${elsewhere.id}/$everything`).expect(200));
    expect((alone.entry ?? []).filter((e) => e.search?.mode === 'include')).toEqual([]);
  });

  it('narrows by _type and by care dates, and answers 404 for a declined or unknown patient, as a read does', async () => {
    const typed = await valid(get(staff, `/Patient/${patient.id}/$everything?_type=Condition,EpisodeOfCare`).expect(200));
    expect(matches(typed).map((r) => r.resourceType).sort()).toEqual(['Condition', 'Condition', 'Condition', 'EpisodeOfCare']);
    const dated = await valid(get(staff, `/Patient/${patient.id}/$everything?_type=Observation&start=2025-03-01&end=2025-03-31`).expect(200));
    expect(matches(dated).map((r) => r.id).sort()).toEqual([labs[2]!.id, vitals[0]!.id].sort());
    await get(staff, `/Patient/${patient.id}/$everything?_type=Medication`).expect(400);
    // _since is an instant, as for a history: a time stored after everything leaves nothing, a date is refused.
    expect(matches(await valid(get(staff, `/Patient/${patient.id}/$everything?_since=2999-01-01T00:00:00Z`).expect(200)))).toEqual([]);
    for (const since of ['2025-03-01', '2025-03-01T10:00Z', '2025-02-30T10:00:00Z']) {
      const refused = await get(staff, `/Patient/${patient.id}/$everything?_since=${since}`).expect(400);
      expect(JSON.parse(refused.text).issue[0].expression).toEqual(['_since']);
    }
    const declined = await asPartner(`/Patient/${closed.id}/$everything`).expect(404);
    expect(declined.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: `Patient/${closed.id} is not known here` }] });
    const [record] = (await t.store.audit.search({ patientId: closed.id!, transaction: 'fhir-operation', limit: 5 })).filter((r) => r.requestId === declined.headers['x-request-id']);
    expect(record!.outcome).toBe('denied');
    const unknown = randomUUID();
    expect((await asPartner(`/Patient/${unknown}/$everything`).expect(404)).body.issue[0].diagnostics).toBe(`Patient/${unknown} is not known here`);
    expect(matches(await valid(asPartner(`/Patient/${patient.id}/$everything?_type=Patient`).expect(200))).map((r) => r.id)).toEqual([patient.id]);
  });
});

describe(`EpisodeOfCare on ${engineUnderTest}`, () => {
  it('reads and searches programme enrolments, with their patient included', async () => {
    const bundle = await valid(get(staff, `/EpisodeOfCare?patient=${patient.id}&_include=EpisodeOfCare:patient`).expect(200));
    expect(matches(bundle).map((r) => r.id)).toEqual([enrolment.id]);
    expect(included(bundle).map((r) => r.id)).toEqual([patient.id]);
    expect(problemsIn(JSON.parse((await get(staff, `/EpisodeOfCare/${enrolment.id}`).expect(200)).text) as FhirResource)).toEqual([]);
    await asPartner(`/EpisodeOfCare/${randomUUID()}`).expect(404);
  });
});

describe(`Consent on ${engineUnderTest}`, () => {
  it("serves the patient's policy in force as a Consent, by search and by id", async () => {
    const bundle = await valid(get(staff, `/Consent?patient=${patient.id}`).expect(200));
    const [consent] = matches(bundle) as Consent[];
    expect(consent).toMatchObject({ status: 'active', patient: { reference: `Patient/${patient.id}` }, provision: { type: 'deny', provision: [{ type: 'permit' }] } });
    const read = JSON.parse((await get(staff, `/Consent/${consent!.id}`).expect(200)).text) as Consent;
    expect(problemsIn(read)).toEqual([]);
    expect(read.id).toBe(`${patient.id}-privacy`);
    expect(read.meta!.versionId).toMatch(/^(clinic-default|patient-choice)-\d+$/);
    await get(staff, `/Consent/${patient.id}-clinic-default-1`).expect(404);
    await get(staff, '/Consent/nonsense').expect(404);
  });

  it('keeps one id for a patient whose policy changes: the version says which policy, and a cached copy is stale', async () => {
    const someone = aPatient();
    await t.store.patients.insertMany([someone]);
    const before = await get(staff, `/Consent/${someone.id}-privacy`).expect(200);
    expect((JSON.parse(before.text) as Consent).meta!.versionId).toMatch(/^clinic-default-\d+$/);
    await t.store.consent.setChoice(someone.id!, 0, ['Payment'], { setBy: 'test', kind: 'staff' });
    const after = await get(staff, `/Consent/${someone.id}-privacy`).set('If-None-Match', before.headers.etag as string).expect(200);
    const changed = JSON.parse(after.text) as Consent;
    expect(changed).toMatchObject({ id: `${someone.id}-privacy`, meta: { versionId: 'patient-choice-1' } });
    expect(after.headers.etag).toBe('W/"patient-choice-1"');
    expect(problemsIn(changed)).toEqual([]);
  });

  it('filters by status, scope, category and purpose', async () => {
    const count = async (query: string) => (await valid(get(staff, `/Consent?patient=${patient.id}&${query}&_summary=count`).expect(200))).total;
    expect(await count('status=active&scope=patient-privacy&category=http://loinc.org|59284-0')).toBe(1);
    expect(await count('status=inactive')).toBe(0);
    expect(await count(`purpose=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT')}`)).toBe(1);
    expect(await count(`purpose=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/v3-ActReason|HPAYMT')}`)).toBe(0);
  });

  it('tells a partner nothing about a declined patient, not even their choice, and audits what it told', async () => {
    const res = await asPartner(`/Consent?patient=${closed.id}`).expect(200);
    expect(bundleOf(res).entry ?? []).toEqual([]);
    const own = await get(staff, `/Consent?patient=${closed.id}`).expect(200);
    const id = matches(bundleOf(own))[0]!.id!;
    await asPartner(`/Consent/${id}`).expect(404);
    const shown = await valid(asPartner(`/Consent?patient=${patient.id}`).expect(200));
    const [record] = await t.store.audit.search({ patientId: patient.id!, organizationId: partner.organizationId, transaction: 'fhir-search', limit: 1 });
    const told = matches(shown)[0]!;
    expect(JSON.parse(record!.body).returned).toEqual([`Consent/${told.id}/_history/${told.meta!.versionId}`]);
  });
});

describe(`AuditEvent on ${engineUnderTest}`, () => {
  it('lets compliance officers search the trail by patient, subtype, agent and outcome, and audits each search', async () => {
    const byPatient = await valid(get(compliance, `/AuditEvent?patient=${closed.id}&_count=50`).expect(200));
    const events = matches(byPatient) as AuditEvent[];
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.entity?.some((x) => x.what?.reference === `Patient/${closed.id}`)).toBe(true);
    const reads = await valid(get(compliance, `/AuditEvent?subtype=${encodeURIComponent('http://hl7.org/fhir/restful-interaction|operation')}&patient=${patient.id}`).expect(200));
    expect((matches(reads) as AuditEvent[]).every((e) => e.subtype?.[0]?.code === 'operation')).toBe(true);
    expect(matches(reads).length).toBeGreaterThan(0);
    const declined = await valid(get(compliance, `/AuditEvent?agent=Organization/${partner.organizationId}&outcome=4`).expect(200));
    expect(matches(declined).length).toBeGreaterThan(0);
    for (const e of matches(declined) as AuditEvent[]) {
      expect(e.outcome).toBe('4');
      expect(e.agent.some((a) => a.who?.reference === `Organization/${partner.organizationId}`)).toBe(true);
    }
    const [access] = await t.store.audit.search({ transaction: 'audit-access', userId: compliance.userId, limit: 1 });
    expect(JSON.parse(access!.body)).toMatchObject({ action: 'fhir-search-audit-event', detail: { query: expect.stringMatching(/outcome=4/) } });
  });

  it('pages newest first, refuses type codes shared by several transactions, and is closed to care providers and partners', async () => {
    const first = await valid(get(compliance, '/AuditEvent?_count=2').expect(200));
    const next = first.link!.find((l) => l.relation === 'next')!;
    const second = await valid(get(compliance, pathOf(next.url).replace('/fhir/R4', '')).expect(200));
    const recorded = [...matches(first), ...matches(second)].map((e) => (e as AuditEvent).recorded);
    expect([...recorded].sort().reverse()).toEqual(recorded);
    await get(compliance, `/AuditEvent?type=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/audit-event-type|rest')}`).expect(400);
    await get(staff, '/AuditEvent').expect(403);
    await asPartner('/AuditEvent').expect(403);
  });

  it('holds each page to _count events, a record of several events split across pages, none lost or repeated', async () => {
    const all = matches(await valid(get(compliance, `/AuditEvent?patient=${patient.id}&_count=100`).expect(200))).map((e) => e.id);
    expect(all.length).toBeGreaterThan(7);
    // Each record of a partner's exchange is two events here (the exchange and its consent decision).
    expect(all.slice(0, 2)).toEqual([all[0], `${all[0]}-consent`]);
    const paged: (string | undefined)[] = [];
    let path: string | undefined = `/AuditEvent?patient=${patient.id}&_count=3`;
    while (path) {
      const page: Bundle = await valid(get(compliance, path).expect(200));
      const next: string | undefined = page.link!.find((l) => l.relation === 'next')?.url;
      expect(next ? matches(page).length === 3 : matches(page).length <= 3).toBe(true);
      paged.push(...matches(page).map((e) => e.id));
      path = next && pathOf(next).replace('/fhir/R4', '');
    }
    expect(paged.slice(0, all.length)).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
    // A filter that keeps almost nothing ends a page after a bounded read, short, and the walk still ends: 25 reads,
    // none of them a history, are more than one page reads at _count=1.
    for (let i = 0; i < 25; i++) await get(staff, `/Patient/${patient.id}`).expect(200);
    let pages = 0;
    const vreads: (string | undefined)[] = [];
    path = `/AuditEvent?patient=${patient.id}&_count=1&subtype=${encodeURIComponent('http://hl7.org/fhir/restful-interaction|history-instance')}`;
    while (path && pages < 100) {
      const page: Bundle = await valid(get(compliance, path).expect(200));
      pages++;
      vreads.push(...matches(page).map((e) => e.id));
      const next: string | undefined = page.link!.find((l) => l.relation === 'next')?.url;
      path = next && pathOf(next).replace('/fhir/R4', '');
    }
    expect([vreads, path]).toEqual([[], undefined]);
    expect(pages).toBeGreaterThan(1);
  });
});

describe(`UDAP discovery under the FHIR base on ${engineUnderTest}`, () => {
  it('serves the same metadata as the root, without authentication', async () => {
    const under = await request(app).get('/fhir/R4/.well-known/udap').expect(200);
    const root = await request(app).get('/.well-known/udap').expect(200);
    expect(under.body).toEqual(root.body);
    expect(under.body.token_endpoint).toBe('http://localhost:0/oauth/token');
    // Required by UDAP discovery even when no certification is asked for.
    expect(under.body.udap_certifications_supported).toEqual([]);
  });
});
