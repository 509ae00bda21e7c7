import { randomUUID, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentifierSystems } from '../canonical/index.js';
import { createApp } from '../gateway/http/app.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { all, findDocumentsBody, first, PATHS, post, retrieveBody } from './support/ihe.js';
import { sessionFor } from './support/people.js';
import { DEFAULTS, samlPki } from './support/saml.js';
import { aSender, deliver, fixture } from './inbound-helpers.js';

/**
 * Issue 9's end: a lab forwards results for a practice, and a partner that asks for the patient's records gets them
 * in the CCD summary, made anew because the record changed.
 */
let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  t = await openTestStore();
  deps = { ...testDeps(t.store, { CROSSGATE_IHE_CLIENT_CERT: 'optional' }), trustAnchors: samlPki().trustAnchors };
  await deps.consent.ready();
  app = createApp(deps);
  const org = await t.store.organizations.save({ id: randomUUID(), name: 'Example Hospital', homeCommunityId: DEFAULTS.homeCommunityId });
  const connection = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'carequality', name: 'Example XCA' });
  const signer = new X509Certificate(samlPki().signer.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: signer, createdBy: 'test' });
  await t.store.connections.setStatus(connection.id, 'active');
  await t.store.consent.setDefaults(0, ['Treatment'], 'test');
});
afterAll(async () => {
  await deps.consent.close();
  await t.close();
});

describe(`lab results reach a partner's CCD on ${engineUnderTest}`, () => {
  it('files a MEDLAB report and serves it in the next summary a partner retrieves', async () => {
    const admin = await sessionFor(t.store, { roles: ['admin'] });
    const lab = await aSender(app, admin, 'lab', 'Regionaal Laboratorium Voorbeeld');
    await deliver(app, lab, 'lab', fixture('medlab', 'results-flags-remarks.edi')).expect(200);
    const patientId = (await t.store.patients.findByIdentifier(IdentifierSystems.bsn.uri, '999901011'))!.patient.id;

    const publicUrl = deps.config.publicUrl;
    const ours = deps.config.homeCommunityId;
    const listed = await post(app, PATHS.query, findDocumentsBody(`${patientId}^^^&${ours}&ISO`), { publicUrl });
    const summary = all(listed.body, 'ExtrinsicObject').find((e) => e.attributes.mimeType === 'text/xml')!;
    const uniqueId = all(summary, 'ExternalIdentifier').find((x) => x.attributes.identificationScheme === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab')!.attributes.value!;
    const retrieved = await post(app, PATHS.retrieve, retrieveBody([{ home: `urn:oid:${ours}`, repository: deps.config.repositoryUniqueId, uniqueId }]), { publicUrl });
    const ccd = Buffer.from(first(retrieved.body, 'Document')!.text, 'base64').toString('utf8');
    // The HbA1c of the interchange: NHG 2816, 58 mmol/mol against an upper limit of 53, flagged high.
    expect(ccd).toContain('code="2816"');
    expect(ccd).toMatch(/<value xsi:type="PQ" value="58" unit="mmol\/mol"\/>/);
    expect(ccd).toMatch(/<high value="53" unit="mmol\/mol"\/>/);
    expect(ccd).toMatch(/<interpretationCode code="H"/);
  });
});
