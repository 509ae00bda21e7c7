import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { Client } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, FhirResource, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodeSystems } from '../canonical/index.js';
import { createApp } from '../gateway/http/app.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { aDocument, aPatient, anObservation } from './support/factories.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { fhirProblems } from './support/fhir-validators.js';

/**
 * The FHIR API as a client uses it: fhir-kit-client (a client we did not write) over real HTTP for read, search
 * and paging; supertest for headers and error forms; every resource the API emits through the two independent
 * validators.
 */
let t: TestStore;
let server: Server;
let base: string;
let staff: TestSession;
let app: ReturnType<typeof createApp>;
const patient = aPatient({ names: [{ use: 'official', family: 'Berg', familyPrefix: 'van der', given: ['Johanna'], initials: 'J.' }] });
const other = aPatient({ names: [{ use: 'official', family: 'Bergman', given: ['Piet'] }], birthDate: '1970-01-02', gender: 'male' });

beforeAll(async () => {
  t = await openTestStore();
  await t.store.patients.insertMany([patient, other]);
  await t.store.observations.insertMany(Array.from({ length: 45 }, (_, i) => anObservation(patient.id!, {
    effective: `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T09:30:00+02:00`,
    value: { kind: 'quantity', quantity: { value: String(40 + i), unit: 'mmol/mol' } },
  })));
  const doc = aDocument(patient.id!, 'HbA1c 53 mmol/mol');
  await t.store.documents.insert(doc.doc, doc.content);
  const deps = testDeps(t.store);
  app = createApp(deps);
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/R4`;
  staff = await sessionFor(t.store, { roles: ['provider'] });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

/** The validators' verdict on every resource in a response, contained ones included. */
function problemsIn(resource: FhirResource): string[] {
  const all: FhirResource[] = resource.resourceType === 'Bundle' ? [resource, ...(resource.entry ?? []).map((e) => e.resource!)] : [resource];
  return all.flatMap((r) => fhirProblems(r).map((p) => `${r.resourceType}/${r.id ?? ''}: ${p}`));
}

describe(`the FHIR API on ${engineUnderTest}`, () => {
  it('serves a CapabilityStatement without authentication, listing exactly what the router serves', async () => {
    const res = await request(app).get('/fhir/R4/metadata').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const cs = JSON.parse(res.text) as CapabilityStatement;
    // The JSON schema is R4's 4.0.0 release, whose FHIRVersion codes stop at 4.0.0; R4 is 4.0.1 (its technical
    // correction added the code), which the CapabilityStatement must state. That one finding, and the oneOf
    // failure it causes, are the schema's gap; Medplum, which knows 4.0.1, must find nothing.
    expect(problemsIn(cs)).toEqual([
      'CapabilityStatement/: json-schema: should be equal to one of the allowed values at .fhirVersion',
      'CapabilityStatement/: json-schema: should match exactly one schema in oneOf at ',
    ]);
    expect(cs.fhirVersion).toBe('4.0.1');
    // ITI-67 and ITI-68 are served, ITI-66 (List) is not: the server does not claim to be an MHD Document Responder.
    expect(cs.instantiates).toBeUndefined();
    const served = (app.locals.routes as { method: string; path: string }[]).filter((r) => r.path.startsWith('/fhir/R4/') && r.path !== '/fhir/R4/metadata' && !r.path.includes('/.well-known/'));
    const declared = cs.rest![0]!.resource!.flatMap((r) => (r.interaction ?? []).map((i) => `${r.type} ${i.code}`)).sort();
    const routed = [...new Set(served.map((r) => {
      const [, type, rest] = /^\/fhir\/R4\/([A-Za-z]+)(\/.*)?$/.exec(r.path)!;
      return `${type} ${rest === '/:id' ? 'read' : rest === '/:id/_history/:vid' ? 'vread' : rest === '/:id/_history' ? 'history-instance' : 'search-type'}`;
    }))].sort();
    expect(declared).toEqual(routed);
  });

  it('refuses an anonymous search with 401 and an OperationOutcome', async () => {
    const res = await request(app).get('/fhir/R4/Patient?family=berg').expect(401);
    const outcome = JSON.parse(res.text) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]!.code).toBe('login');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('lets fhir-kit-client read, search and page through a patient\'s observations', async () => {
    const client = new Client({ baseUrl: base, customHeaders: { Cookie: staff.cookie } });
    const found = (await client.search({ resourceType: 'Patient', searchParams: { family: 'berg', birthdate: '1956-03-14' } })) as unknown as Bundle;
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([patient.id]);
    const read = (await client.read({ resourceType: 'Patient', id: patient.id! })) as Patient;
    expect(read.identifier).toContainEqual({ system: 'http://fhir.nl/fhir/NamingSystem/bsn', value: patient.identifiers![0]!.value });
    expect(problemsIn(read)).toEqual([]);

    const seen: string[] = [];
    let page = (await client.search({ resourceType: 'Observation', searchParams: { patient: patient.id!, _count: 20 } })) as unknown as Bundle;
    for (let pages = 1; ; pages++) {
      expect(problemsIn(page)).toEqual([]);
      for (const link of page.link ?? []) expect(link.url).toMatch(/^http:\/\/localhost:0\/fhir\/R4\//);
      seen.push(...(page.entry ?? []).map((e) => e.resource!.id!));
      const next = page.link?.find((l) => l.relation === 'next');
      if (!next) {
        expect(pages).toBe(3);
        break;
      }
      // The links carry the configured public URL; this test server listens elsewhere, so follow it there.
      page = (await client.nextPage({ bundle: { ...page, link: [{ relation: 'next', url: next.url.replace('http://localhost:0/fhir/R4', base) }] } })) as unknown as Bundle;
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
  });

  it('answers $everything as fhir-kit-client invokes an operation by default: POST, with or without Parameters', async () => {
    const client = new Client({ baseUrl: base, customHeaders: { Cookie: staff.cookie, 'X-CSRF-Token': staff.csrf } });
    const all = (await client.operation({ name: 'everything', resourceType: 'Patient', id: patient.id! })) as unknown as Bundle;
    expect(problemsIn(all)).toEqual([]);
    expect(all.entry![0]!.resource).toMatchObject({ resourceType: 'Patient', id: patient.id });
    const input = { resourceType: 'Parameters', parameter: [{ name: '_count', valueInteger: 5 }, { name: '_type', valueString: 'Observation' }] };
    const five = (await client.operation({ name: 'everything', resourceType: 'Patient', id: patient.id!, input })) as unknown as Bundle;
    expect(five.entry!.filter((e) => e.search?.mode === 'match').map((e) => e.resource!.resourceType)).toEqual(Array(5).fill('Observation'));
    const following = (await request(app).get(five.link!.find((l) => l.relation === 'next')!.url.replace('http://localhost:0', '')).set('Cookie', staff.cookie).expect(200));
    expect((JSON.parse(following.text) as Bundle).entry!.filter((e) => e.search?.mode === 'match')).toHaveLength(5);
    const bad = await request(app).post(`/fhir/R4/Patient/${patient.id}/$everything`).set('Cookie', staff.cookie).set('X-CSRF-Token', staff.csrf)
      .set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'start' }] })).expect(400);
    expect((JSON.parse(bad.text) as OperationOutcome).issue[0]!.expression).toEqual(['Parameters.parameter[0]']);
  });

  it('lets fhir-kit-client read each version of a record its sender corrected, and only those', async () => {
    const owner = await t.store.patients.insert(aPatient());
    const [observation] = await t.store.observations.insertMany([anObservation(owner.id, { value: { kind: 'quantity', quantity: { value: '58', unit: 'mmol/mol' } } })]);
    await t.store.observations.replace([{ record: { ...observation!, status: 'amended', value: { kind: 'quantity', quantity: { value: '62', unit: 'mmol/mol' } } }, replaces: 1 }]);
    const client = new Client({ baseUrl: base, customHeaders: { Cookie: staff.cookie } });
    const current = (await client.read({ resourceType: 'Observation', id: observation!.id })) as unknown as Observation;
    const first = (await client.vread({ resourceType: 'Observation', id: observation!.id, version: '1' })) as unknown as Observation;
    const second = (await client.vread({ resourceType: 'Observation', id: observation!.id, version: '2' })) as unknown as Observation;
    expect([first.meta?.versionId, first.status, first.valueQuantity?.value]).toEqual(['1', 'final', 58]);
    expect([second.meta?.versionId, second.status, second.valueQuantity?.value]).toEqual(['2', 'amended', 62]);
    expect(second).toEqual(current);
    expect(Date.parse(first.meta!.lastUpdated!)).toBeLessThanOrEqual(Date.parse(second.meta!.lastUpdated!));
    for (const version of [first, second]) expect(problemsIn(version)).toEqual([]);
    const history = (await client.resourceHistory({ resourceType: 'Observation', id: observation!.id })) as unknown as Bundle;
    expect(problemsIn(history)).toEqual([]);
    expect(history.entry!.map((e) => e.resource)).toEqual([second, first]);

    for (const vid of ['3', '0', 'x']) {
      const missing = await request(app).get(`/fhir/R4/Observation/${observation!.id}/_history/${vid}`).set('Cookie', staff.cookie).expect(404);
      expect((JSON.parse(missing.text) as OperationOutcome).issue[0]!.code).toBe('not-found');
    }
    const etagged = await request(app).get(`/fhir/R4/Observation/${observation!.id}/_history/1`).set('Cookie', staff.cookie).expect(200);
    expect(etagged.headers.etag).toBe('W/"1"');
    await request(app).get(`/fhir/R4/Observation/${observation!.id}/_history/1`).set('Cookie', staff.cookie).set('If-None-Match', 'W/"1"').expect(304);
    const xml = await request(app).get(`/fhir/R4/Observation/${observation!.id}/_history/1?_format=xml`).set('Cookie', staff.cookie).expect(200);
    expect(xml.text).toMatch(/<versionId value="1"\/>/);
    // The trail names the version that left.
    const [record] = await t.store.audit.search({ transaction: 'fhir-read', patientId: owner.id, limit: 1 });
    expect(JSON.parse(record!.body)).toMatchObject({ action: 'Observation/vread', returned: [`Observation/${observation!.id}/_history/1`] });
    // A refused vread is on the trail as a read too, and the CapabilityStatement says past versions are read.
    const refused = await request(app).get(`/fhir/R4/Observation/${observation!.id}/_history/1?_summary=count`).set('Cookie', staff.cookie).expect(400);
    const failed = (await t.store.audit.search({ limit: 5 })).find((r) => r.requestId === refused.headers['x-request-id']);
    expect(failed?.transaction).toBe('fhir-read');
    const cs = JSON.parse((await request(app).get('/fhir/R4/metadata').expect(200)).text) as CapabilityStatement;
    expect(cs.rest![0]!.resource!.filter((r) => r.readHistory).map((r) => r.type).sort()).toEqual(['Condition', 'DiagnosticReport', 'EpisodeOfCare', 'Observation', 'Patient']);
  });

  it("lets fhir-kit-client read the version of a patient the trail says left, after the patient's record changed", async () => {
    const owner = await t.store.patients.insert(aPatient({ names: [{ family: 'Visser', given: ['Anna'] }] }));
    const client = new Client({ baseUrl: base, customHeaders: { Cookie: staff.cookie } });
    await client.read({ resourceType: 'Patient', id: owner.id });
    const [left] = await t.store.audit.search({ transaction: 'fhir-read', patientId: owner.id, limit: 1 });
    expect(JSON.parse(left!.body).returned).toEqual([`Patient/${owner.id}/_history/1`]);
    await t.store.patients.updateDemographics(owner.id, 1, { names: [{ family: 'Visser-de Boer', given: ['Anna'] }], birthDate: owner.birthDate, gender: owner.gender });
    await t.store.patients.linkIdentifier(owner.id, { system: 'urn:oid:2.16.840.1.113883.2.4.6.3.99', value: 'HIS-42' }, 'test');

    const current = (await client.read({ resourceType: 'Patient', id: owner.id })) as unknown as Patient;
    const versions = await Promise.all(['1', '2', '3'].map(async (version) => (await client.vread({ resourceType: 'Patient', id: owner.id, version })) as unknown as Patient));
    expect(versions.map((v) => [v.meta?.versionId, v.name?.[0]?.family, v.identifier?.length])).toEqual([['1', 'Visser', 1], ['2', 'Visser-de Boer', 1], ['3', 'Visser-de Boer', 2]]);
    expect(versions[2]).toEqual(current);
    for (const version of versions) expect(problemsIn(version)).toEqual([]);
    await request(app).get(`/fhir/R4/Patient/${owner.id}/_history/4`).set('Cookie', staff.cookie).expect(404);
    const etagged = await request(app).get(`/fhir/R4/Patient/${owner.id}/_history/1?_format=xml`).set('Cookie', staff.cookie).expect(200);
    expect([etagged.headers.etag, etagged.text.match(/<family value="([^"]+)"/)?.[1]]).toEqual(['W/"1"', 'Visser']);
    const [record] = await t.store.audit.search({ transaction: 'fhir-read', patientId: owner.id, limit: 1 });
    expect(JSON.parse(record!.body)).toMatchObject({ action: 'Patient/vread', returned: [`Patient/${owner.id}/_history/1`] });

    // The whole history, newest first, as fhir-kit-client asks for it; each version as the interaction that made it.
    const history = (await client.resourceHistory({ resourceType: 'Patient', id: owner.id })) as unknown as Bundle;
    expect(problemsIn(history)).toEqual([]);
    expect([history.type, history.total]).toEqual(['history', 3]);
    expect(history.entry!.map((e) => [e.resource!.meta!.versionId, e.request?.method, e.request?.url, e.response?.status, e.response?.etag])).toEqual([
      ['3', 'PUT', `Patient/${owner.id}`, '200 OK', 'W/"3"'], ['2', 'PUT', `Patient/${owner.id}`, '200 OK', 'W/"2"'], ['1', 'POST', 'Patient', '201 Created', 'W/"1"'],
    ]);
    expect(history.entry!.map((e) => e.resource)).toEqual([versions[2], versions[1], versions[0]]);
    const [listed] = await t.store.audit.search({ transaction: 'fhir-read', patientId: owner.id, limit: 1 });
    expect(JSON.parse(listed!.body)).toMatchObject({ action: 'Patient/history', returned: [3, 2, 1].map((n) => `Patient/${owner.id}/_history/${n}`) });

    // _count keeps the newest, _since those stored from then on; total counts what _since let through.
    const newest = JSON.parse((await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?_count=1`).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect([newest.total, newest.entry!.map((e) => e.resource!.meta!.versionId), newest.link![0]!.url]).toEqual([3, ['3'], `http://localhost:0/fhir/R4/Patient/${owner.id}/_history?_count=1`]);
    // The older versions are a next link away, page by page, with the parameters carried; _summary shapes each.
    const paged: string[] = [];
    let url: string | undefined = `/fhir/R4/Patient/${owner.id}/_history?_count=2&_summary=true`;
    while (url) {
      const page = JSON.parse((await request(app).get(url).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
      expect(problemsIn(page)).toEqual([]);
      paged.push(...page.entry!.map((e) => `${e.resource!.meta!.versionId} ${e.resource!.meta!.tag?.[0]?.code}`));
      url = page.link!.find((l) => l.relation === 'next')?.url.replace('http://localhost:0', '');
    }
    expect(paged).toEqual(['3 SUBSETTED', '2 SUBSETTED', '1 SUBSETTED']);
    await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?_summary=count`).set('Cookie', staff.cookie).expect(400);
    const since = versions[1]!.meta!.lastUpdated!;
    const recent = JSON.parse((await request(app).get(`/fhir/R4/Patient/${owner.id}/_history`).query({ _since: since }).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect([recent.total, recent.entry!.map((e) => e.resource!.meta!.versionId)]).toEqual([2, ['3', '2']]);
    const none = JSON.parse((await request(app).get(`/fhir/R4/Patient/${owner.id}/_history`).query({ _since: '2999-01-01T00:00:00Z' }).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect([none.total, none.entry]).toEqual([0, []]);
    for (const bad of ['_since=2026-01-01', '_since=yesterday', '_since=2026-02-30T10:00:00Z', '_since=2026-01-01T24:00:00Z', '_count=0', '_count=x']) {
      const refused = await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?${bad}`).set('Cookie', staff.cookie).expect(400);
      expect((JSON.parse(refused.text) as OperationOutcome).issue[0]!.expression).toEqual([bad.split('=')[0]]);
    }
    await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?_at=2026`).set('Cookie', staff.cookie).expect(200);
    await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?_at=2026`).set('Cookie', staff.cookie).set('Prefer', 'handling=strict').expect(400);
    const xml = await request(app).get(`/fhir/R4/Patient/${owner.id}/_history?_format=xml`).set('Cookie', staff.cookie).expect(200);
    expect(xml.text).toMatch(/<type value="history"\/>/);
    await request(app).get(`/fhir/R4/Patient/00000000-0000-4000-8000-00000000dead/_history`).set('Cookie', staff.cookie).expect(404);
  });

  it('answers a conditional read with 304 while the version is unchanged', async () => {
    const first = await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).expect(200);
    expect(first.headers.etag).toBe('W/"1"');
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('If-None-Match', 'W/"1"').expect(304);
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('If-None-Match', 'W/"0"').expect(200);
    const since = first.headers['last-modified'] as string;
    // Weak comparison (RFC 9110 §13.1.2): the strong form of the tag and * match too; If-Modified-Since is answered.
    for (const [header, value, status] of [
      ['If-None-Match', '"1"', 304], ['If-None-Match', '*', 304], ['If-None-Match', 'W/"7", W/"1"', 304],
      ['If-Modified-Since', since, 304], ['If-Modified-Since', 'Wed, 01 Jan 2031 00:00:00 GMT', 304], ['If-Modified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT', 200],
    ] as const) {
      const res = await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set(header, value).expect(status);
      expect([header, value, res.text.length > 0]).toEqual([header, value, status === 200]);
    }
    expect(new Date(since).getTime()).toBeGreaterThan(0);
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('If-Modified-Since', since).expect(304);
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('If-Modified-Since', new Date(Date.parse(since) - 60_000).toUTCString()).expect(200);
    const metadata = JSON.parse((await request(app).get('/fhir/R4/metadata').expect(200)).text) as CapabilityStatement;
    expect(new Set(metadata.rest![0]!.resource!.map((r) => r.conditionalRead))).toEqual(new Set(['full-support', 'not-supported']));
  });

  it('filters observations by code and date, as FHIR date prefixes say', async () => {
    const search = async (query: string) => JSON.parse((await request(app).get(`/fhir/R4/Observation?patient=${patient.id}&_count=100&${query}`).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect((await search(`code=${encodeURIComponent(`${CodeSystems.nhgTabel45.uri}|2816`)}`)).entry).toHaveLength(45);
    expect((await search(`code=${encodeURIComponent(`${CodeSystems.nhgTabel45.uri}|9999`)}`)).entry ?? []).toHaveLength(0);
    const january = await search('date=2025-01');
    expect(january.entry!.length).toBeGreaterThan(0);
    for (const e of january.entry!) expect((e.resource as { effectiveDateTime: string }).effectiveDateTime).toMatch(/^2025-01-/);
  });

  it('serves XML as well as JSON', async () => {
    const res = await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('Accept', 'application/fhir+xml').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+xml/);
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Patient xmlns="http:\/\/hl7.org\/fhir">/);
    await request(app).get(`/fhir/R4/Patient/${patient.id}?_format=xml`).set('Cookie', staff.cookie).expect(200).expect('Content-Type', /fhir\+xml/);
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('Accept', 'text/csv').expect(406);
  });

  it('retrieves a document as raw bytes (ITI-68) and as a Binary resource', async () => {
    const docs = JSON.parse((await request(app).get(`/fhir/R4/DocumentReference?patient=${patient.id}&status=current`).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect(problemsIn(docs)).toEqual([]);
    const url = (docs.entry![0]!.resource as { content: { attachment: { url: string } }[] }).content[0]!.attachment.url;
    expect(url).toMatch(/^http:\/\/localhost:0\/fhir\/R4\/Binary\//);
    const path = url.replace('http://localhost:0', '');
    const raw = await request(app).get(path).set('Cookie', staff.cookie).set('Accept', 'text/plain').expect(200);
    expect(raw.text).toBe('HbA1c 53 mmol/mol');
    expect(raw.headers['x-security-context']).toBe(`Patient/${patient.id}`);
    const binary = JSON.parse((await request(app).get(path).set('Cookie', staff.cookie).set('Accept', 'application/fhir+json').expect(200)).text) as FhirResource;
    expect(problemsIn(binary)).toEqual([]);
    // The document's own type weighed against FHIR's by q-value; a wildcard asks for the bytes.
    for (const [accept, asResource] of [
      ['text/plain, application/fhir+json;q=0.5', false], ['text/plain;q=0.4, application/fhir+json', true], ['*/*', false],
      ['text/*;q=0.9, application/fhir+xml', true], ['application/fhir+json;q=0.5, */*', false],
      // Plain XML is not FHIR's: a browser's Accept gets the document.
      ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
    ] as const) {
      const res = await request(app).get(path).set('Cookie', staff.cookie).set('Accept', accept).expect(200);
      expect([accept, /^application\/fhir\+/.test(res.headers['content-type'] as string)]).toEqual([accept, asResource]);
    }
    expect(raw.headers['content-type']).toBe('text/plain');
    for (const accept of ['application/pdf', 'application/json']) {
      const unservable = await request(app).get(path).set('Cookie', staff.cookie).set('Accept', accept).expect(406);
      expect((JSON.parse(unservable.text) as OperationOutcome).issue[0]).toMatchObject({ code: 'not-supported', expression: ['Accept'] });
    }
    expect(raw.headers.etag).toBe('W/"1"');
    await request(app).get(path).set('Cookie', staff.cookie).set('If-None-Match', 'W/"1"').expect(304);
    await request(app).get(path).set('Cookie', staff.cookie).set('Accept', 'application/fhir+json').set('If-Modified-Since', raw.headers['last-modified'] as string).expect(304);
  });

  it('names what is wrong in an OperationOutcome, and ignores unknown parameters unless told to be strict', async () => {
    const bad = await request(app).get(`/fhir/R4/Observation?patient=${patient.id}&date=2025-13`).set('Cookie', staff.cookie).expect(400);
    expect((JSON.parse(bad.text) as OperationOutcome).issue[0]).toMatchObject({ code: 'invalid', expression: ['date'] });
    await request(app).get('/fhir/R4/Observation?code=x').set('Cookie', staff.cookie).expect(400);
    const lenient = JSON.parse((await request(app).get(`/fhir/R4/Patient?family=berg&foo=bar`).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    expect(lenient.link![0]!.url).not.toMatch(/foo/);
    expect(lenient.entry!.find((e) => e.search?.mode === 'outcome')).toBeDefined();
    await request(app).get('/fhir/R4/Patient?family=berg&foo=bar').set('Cookie', staff.cookie).set('Prefer', 'handling=strict').expect(400);
    await request(app).get('/fhir/R4/Patient/not-a-uuid').set('Cookie', staff.cookie).expect(404);
    await request(app).get('/fhir/R4/Patient?family=berg&_pretty=true').set('Cookie', staff.cookie).set('Prefer', 'handling=strict').expect(200);
  });

  it('refuses malformed percent-encoding, a base or type in another case, and a POST search that is not form-encoded', async () => {
    const outcome = (res: { text: string }) => (JSON.parse(res.text) as OperationOutcome).issue[0];
    expect(outcome(await request(app).get('/fhir/R4/Patient/%E0%A4%A').set('Cookie', staff.cookie).expect(400))).toMatchObject({ code: 'invalid' });
    for (const path of ['/fhir/R4/Pat%E0ient', '/fhir/R4/Patient%', `/fhir/R4/Patient/${patient.id}/$everything%ZZ`]) {
      expect([path, outcome(await request(app).get(path).set('Cookie', staff.cookie))?.code]).toEqual([path, 'invalid']);
    }
    // Read loosely, the broken value would have become a replacement character and a search for something else.
    expect(outcome(await request(app).get('/fhir/R4/Patient?family=%E0%A4%A').set('Cookie', staff.cookie).expect(400))).toMatchObject({ code: 'invalid', expression: ['family'] });
    expect(outcome(await request(app).get('/fhir/R4/Patient?fam%E0ily=berg').set('Cookie', staff.cookie).expect(400))).toMatchObject({ code: 'invalid' });
    for (const path of ['/fhir/r4/metadata', `/fhir/R4/patient/${patient.id}`, `/fhir/R4/PATIENT?family=berg`]) {
      const res = await request(app).get(path).set('Cookie', staff.cookie).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    }
    const form = await request(app).post('/fhir/R4/Patient/_search').set('Cookie', staff.cookie).set('X-CSRF-Token', staff.csrf)
      .type('form').send('family=%ZZ').expect(400);
    expect(outcome(form)).toMatchObject({ code: 'invalid', diagnostics: expect.stringMatching(/percent-encoded/) });
    const json = await request(app).post('/fhir/R4/Patient/_search').set('Cookie', staff.cookie).set('X-CSRF-Token', staff.csrf).send({ family: 'berg' }).expect(415);
    expect(outcome(json)).toMatchObject({ code: 'not-supported', expression: ['Content-Type'] });
  });

  it('weighs Accept by quality, reads an unencoded + in _format, and serves its metadata whatever token comes along', async () => {
    const read = (accept: string) => request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('Accept', accept).expect(200);
    expect((await read('application/fhir+xml;q=0.1, application/fhir+json;q=0.9')).headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect((await read('application/fhir+json;q=0, application/fhir+xml')).headers['content-type']).toMatch(/^application\/fhir\+xml/);
    expect((await read('text/html, application/fhir+xml;q=0.5, */*;q=0.1')).headers['content-type']).toMatch(/^application\/fhir\+xml/);
    await request(app).get(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).set('Accept', 'application/fhir+json;q=0').expect(406);
    const plus = await request(app).get(`/fhir/R4/Patient/${patient.id}?_format=application/fhir+xml`).set('Cookie', staff.cookie).expect(200);
    expect(plus.headers['content-type']).toMatch(/^application\/fhir\+xml/);
    for (const authorization of ['Bearer garbage', 'Basic dXNlcjpwdw==']) {
      await request(app).get('/fhir/R4/metadata').set('Authorization', authorization).expect(200);
      await request(app).get('/fhir/R4/.well-known/udap').set('Authorization', authorization).expect(200);
      await request(app).get('/fhir/R4/Patient?family=berg').set('Authorization', authorization).expect(401);
    }
  });

  it('answers a path or an interaction it does not serve with an OperationOutcome, and puts the request on the trail', async () => {
    const unknown = await request(app).get('/fhir/R4/MedicationRequest?patient=x').set('Cookie', staff.cookie).expect(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect((JSON.parse(unknown.text) as OperationOutcome).issue).toEqual([
      { severity: 'error', code: 'not-supported', diagnostics: 'GET /fhir/R4/MedicationRequest is not served here (see /fhir/R4/metadata)' },
    ]);
    await request(app).get(`/fhir/R4/Patient/${patient.id}/_history/1/more`).set('Cookie', staff.cookie).expect(404);
    const typeHistory = await request(app).get('/fhir/R4/Patient/_history').set('Cookie', staff.cookie).expect(404);
    expect((JSON.parse(typeHistory.text) as OperationOutcome).issue[0]!.code).toBe('not-supported');
    const getSearch = await request(app).get('/fhir/R4/Patient/_search?family=berg').set('Cookie', staff.cookie).expect(405);
    expect([getSearch.headers.allow, (JSON.parse(getSearch.text) as OperationOutcome).issue[0]!.code]).toEqual(['POST', 'not-supported']);
    const update = await request(app).put(`/fhir/R4/Patient/${patient.id}`).set('Cookie', staff.cookie).send({ resourceType: 'Patient' }).expect(405);
    expect(update.headers.allow).toBe('GET');
    expect((JSON.parse(update.text) as OperationOutcome).issue[0]).toMatchObject({ code: 'not-supported', diagnostics: expect.stringMatching(/^PUT is not supported on Patient/) });
    const [record] = await t.store.audit.search({ userId: staff.userId, outcome: 'failure', limit: 1 });
    expect(record).toMatchObject({ requestId: update.headers['x-request-id'] });
    expect(JSON.parse(record!.body).decision.reason).toMatch(/^no decision: PUT is not supported on Patient/);
  });

  it("holds each caller to its allowance with 429, Retry-After and an OperationOutcome, $everything to one of its own", async () => {
    const limited = createApp(testDeps(t.store, { CROSSGATE_FHIR_REQUESTS_PER_MINUTE: '4', CROSSGATE_FHIR_EVERYTHING_PER_MINUTE: '1' }));
    const other = await sessionFor(t.store, { roles: ['provider'] });
    const get = (who: TestSession, path: string) => request(limited).get(`/fhir/R4${path}`).set('Cookie', who.cookie);
    await get(staff, `/Patient/${patient.id}/$everything`).expect(200);
    const everything = await get(staff, `/Patient/${patient.id}/$everything`).expect(429);
    expect((JSON.parse(everything.text) as OperationOutcome).issue[0]).toMatchObject({ code: 'throttled', diagnostics: expect.stringMatching(/\$everything/) });
    await get(staff, `/Patient/${patient.id}`).expect(200);
    await get(staff, `/Patient/${patient.id}`).expect(200);
    const refused = await get(staff, `/Patient/${patient.id}`).expect(429);
    expect(refused.headers['retry-after']).toBe('15');
    expect(refused.headers['content-type']).toMatch(/^application\/fhir\+json/);
    // Another caller is not held back by the first; the refusal is on the trail, with nothing disclosed.
    await get(other, `/Patient/${patient.id}`).expect(200);
    const [record] = (await t.store.audit.search({ userId: staff.userId, outcome: 'failure', limit: 5 })).filter((r) => r.requestId === refused.headers['x-request-id']);
    expect(JSON.parse(record!.body)).toMatchObject({ returned: [], decision: { reason: expect.stringMatching(/too many requests/) } });
  });

  it('refuses a page token that was altered, and one presented by another caller', async () => {
    const first = JSON.parse((await request(app).get(`/fhir/R4/Observation?patient=${patient.id}&_count=10`).set('Cookie', staff.cookie).expect(200)).text) as Bundle;
    const next = new URL(first.link!.find((l) => l.relation === 'next')!.url);
    const path = `${next.pathname}${next.search}`;
    const someoneElse = await sessionFor(t.store, { roles: ['provider'] });
    await request(app).get(path).set('Cookie', someoneElse.cookie).expect(403);
    const token = next.searchParams.get('_page')!;
    const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    await request(app).get(`${next.pathname}?_page=${tampered}`).set('Cookie', staff.cookie).expect(400);
    await request(app).get(path).set('Cookie', staff.cookie).expect(200);
  });
});
