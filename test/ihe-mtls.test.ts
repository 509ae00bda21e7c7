import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { createTestDatabase, engineUnderTest, type TestDatabase } from './support/database.js';
import { testCa, type Issued } from './support/certificates.js';
import { aDocument, aPatient } from './support/factories.js';
import { capturingLogger, testConfig } from './support/gateway.js';
import { ACTIONS, all, findDocumentsBody, first, mtomPart, mtomRequest, PATHS, readAnswer, retrieveBody, xcpdBody, type SoapAnswer } from './support/ihe.js';
import { DEFAULTS, samlPki, signedEnvelope } from './support/saml.js';

/**
 * A partner as it really connects: the gateway started as in production, serving HTTPS and asking for client
 * certificates from the trust bundle; the partner discovers a patient, queries and retrieves over mutual TLS with
 * signed assertions. A connection without a certificate, or with one no connection holds, gets a fault.
 */
const PUBLIC_URL = 'https://gateway.crossgate.test';
const tlsCa = testCa('Carequality Test TLS CA');
let database: TestDatabase;
let gateway: RunningGateway;
const dir = mkdtempSync(path.join(tmpdir(), 'crossgate-mtls-'));
let partnerCert: Issued;
let partner: { organizationId: string; connectionId: string };
let patientId: string;
let lab: ReturnType<typeof aDocument>;

beforeAll(async () => {
  database = await createTestDatabase();
  const server = tlsCa.issue('localhost', 'server');
  writeFileSync(path.join(dir, 'server.pem'), server.certPem);
  writeFileSync(path.join(dir, 'server.key'), server.keyPem);
  writeFileSync(path.join(dir, 'bundle.pem'), [tlsCa.certPem, ...samlPki().trustAnchors].join('\n'));
  const config = testConfig({
    ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : { CROSSGATE_DATA_DIR: path.join(dir, 'data') }),
    CROSSGATE_TLS_CERT: path.join(dir, 'server.pem'), CROSSGATE_TLS_KEY: path.join(dir, 'server.key'), CROSSGATE_TRUST_BUNDLE: path.join(dir, 'bundle.pem'),
    CROSSGATE_PUBLIC_URL: PUBLIC_URL, LOG_LEVEL: 'warn',
  });
  gateway = await startGateway(config, capturingLogger().logger);
  const store = gateway.store;
  const org = await store.organizations.save({ id: randomUUID(), name: 'Example Hospital', homeCommunityId: DEFAULTS.homeCommunityId });
  const connection = await store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'carequality', name: 'Example XCA' });
  partnerCert = tlsCa.issue('xca.example-hospital.test', 'client');
  const fingerprint = createHash('sha256').update(Buffer.from(partnerCert.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');
  await store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: fingerprint, createdBy: 'test' });
  await store.connections.setStatus(connection.id, 'active');
  partner = { organizationId: org.id, connectionId: connection.id };
  await store.consent.setDefaults(0, ['Treatment'], 'test');
  const patient = await store.patients.insert(aPatient({ names: [{ use: 'official', family: 'Bakker', given: ['Kees'], initials: 'K.' }], birthDate: '1949-02-02', gender: 'male' }));
  patientId = patient.id;
  lab = aDocument(patient.id, 'kreatinine 88 umol/l');
  lab.doc.repositoryUniqueId = config.repositoryUniqueId;
  await store.documents.insert(lab.doc, lab.content);
});
afterAll(async () => {
  await gateway.stop();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

function send(pathname: string, body: string, client: Issued | undefined, mtom = false, assertion: { homeCommunityId?: string } = {}): Promise<SoapAnswer> {
  const endpoint = `${PUBLIC_URL}${pathname}`;
  const action = pathname === PATHS.xcpd ? ACTIONS.xcpd : pathname === PATHS.query ? ACTIONS.query : ACTIONS.retrieve;
  const envelope = signedEnvelope({ action, audience: endpoint, to: endpoint, body, ...assertion });
  return sendBytes(pathname, mtom ? mtomRequest(envelope) : { contentType: 'application/soap+xml; charset=UTF-8', body: Buffer.from(envelope) }, client);
}

function sendBytes(pathname: string, payload: { contentType: string; body: Buffer }, client: Issued | undefined): Promise<SoapAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${gateway.url}${pathname}`, {
      method: 'POST', ca: tlsCa.certPem, headers: { 'Content-Type': payload.contentType }, ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(readAnswer(res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), Buffer.concat(chunks))));
    });
    req.on('error', reject);
    req.end(payload.body);
  });
}

describe(`discover, query and retrieve over mutual TLS on ${engineUnderTest}`, () => {
  it('serves a partner end to end with its registered client certificate and signed assertions', async () => {
    expect(gateway.url).toMatch(/^https:/);
    const found = await send(PATHS.xcpd, xcpdBody({ given: 'Kees', family: 'Bakker', gender: 'M', birthTime: '19490202' }), partnerCert);
    const id = first(first(found.body, 'subject1')!, 'patient')!.children.find((c) => c.name === 'id')!.attributes;
    expect(id.extension).toBe(patientId);

    const listed = await send(PATHS.query, findDocumentsBody(`${id.extension}^^^&${id.root}&ISO`), partnerCert);
    const uniqueIds = all(listed.body, 'ExternalIdentifier').filter((x) => x.attributes.identificationScheme === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab').map((x) => x.attributes.value!);
    expect(uniqueIds).toContain(lab.doc.uniqueId);
    expect(uniqueIds).toHaveLength(2);

    const home = all(listed.body, 'ExtrinsicObject')[0]!.attributes.home!;
    const repository = lab.doc.repositoryUniqueId;
    const retrieved = await send(PATHS.retrieve, retrieveBody(uniqueIds.map((uniqueId) => ({ home, repository, uniqueId }))), partnerCert, true);
    expect(first(retrieved.body, 'RegistryResponse')!.attributes.status).toBe('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success');
    const parts = all(retrieved.body, 'DocumentResponse').map((r) => mtomPart(retrieved, first(r, 'Include')!.attributes.href!.slice(4))!);
    expect(parts.some((p) => p.equals(Buffer.from(lab.content)))).toBe(true);
    expect(parts.some((p) => p.toString('utf8').includes('<ClinicalDocument'))).toBe(true);
  });

  it('refuses a caller without a client certificate, or with a trusted one no connection holds', async () => {
    for (const client of [undefined, tlsCa.issue('someone-else.test', 'client')]) {
      const a = await send(PATHS.query, findDocumentsBody(`${patientId}^^^&2.999&ISO`), client);
      expect(a.status).toBe(400);
      expect(a.body.name).toBe('Fault');
      expect(all(a.body, 'ExtrinsicObject')).toHaveLength(0);
    }
  });

  it("puts a request its certificate names that fails before the assertion (not XML, an entity) on that partner's record and count", async () => {
    for (const body of ['not xml at all', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>']) {
      const countBefore = (await gateway.store.connections.get(partner.connectionId))!.failedAuthCount;
      const a = await sendBytes(PATHS.query, { contentType: 'application/soap+xml; charset=UTF-8', body: Buffer.from(body) }, partnerCert);
      expect(a.status).toBe(400);
      expect(a.body.name).toBe('Fault');
      expect((await gateway.store.connections.get(partner.connectionId))!.failedAuthCount).toBe(countBefore + 1);
    }
    const onRecord = await gateway.store.audit.search({ organizationId: partner.organizationId, transaction: 'security', limit: 20 });
    const refusals = onRecord.map((r) => JSON.parse(r.body) as { actor: object; detail?: { reason?: string } }).filter((c) => /the envelope was refused/.test(c.detail?.reason ?? ''));
    expect(refusals).toHaveLength(2);
    for (const r of refusals) expect(r.actor).toMatchObject({ type: 'partner', ...partner });
  });

  it("refuses an assertion for another community over a partner's certificate, on that partner's record and count", async () => {
    const countBefore = (await gateway.store.connections.get(partner.connectionId))!.failedAuthCount;
    const a = await send(PATHS.query, findDocumentsBody(`${patientId}^^^&2.999&ISO`), partnerCert, false, { homeCommunityId: 'urn:oid:1.2.3.4.77' });
    expect(a.status).toBe(400);
    expect(first(a.body, 'Text')!.text).toBe("the assertion's home community urn:oid:1.2.3.4.77 is not that of the organization this client certificate is registered to");
    expect(all(a.body, 'ExtrinsicObject')).toHaveLength(0);
    const onRecord = await gateway.store.audit.search({ organizationId: partner.organizationId, transaction: 'security', limit: 10 });
    const refusal = onRecord.map((r) => JSON.parse(r.body) as { actor: object; detail?: { reason?: string } }).find((c) => /1\.2\.3\.4\.77/.test(c.detail?.reason ?? ''));
    expect(refusal?.actor).toMatchObject({ type: 'partner', ...partner });
    expect((await gateway.store.connections.get(partner.connectionId))!.failedAuthCount).toBe(countBefore + 1);
  });
});
