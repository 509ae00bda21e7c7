import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Binary, Bundle, DocumentReference } from 'fhir/r4.js';
import { IdentifierSystems, type Issue } from '../canonical/index.js';
import { DEMO_CLINIC } from '../fixtures/synthetic/generate.js';
import { findByIdentifier } from '../identity/index.js';
import { importBundle } from '../gateway/cli/import.js';
import { parseImportBundle } from '../mappers/fhir/parse/index.js';
import { openStore, type RootStore, type StoreOptions } from '../store/index.js';
import { requireBuiltCli, runCli } from './support/cli.js';
import { createTestDatabase, engineUnderTest, openTestStore, type TestDatabase } from './support/database.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ihe', 'import');
const TEST_SET = path.join(fixtures, 'partner-test-set.json');
const testSetBytes = readFileSync(TEST_SET);
const testSet = JSON.parse(testSetBytes.toString('utf8')) as Bundle;
const digest = createHash('sha256').update(testSetBytes).digest('hex');

const BSN = { system: IdentifierSystems.bsn.uri, value: '999981213' };
const ALICE = { system: 'urn:oid:2.16.840.1.113883.19.5.99999.2', value: 'MRN-100234' };
const MARCUS = { system: 'urn:oid:2.16.840.1.113883.19.5.99999.3', value: '449271' };

/** A CLI run against one database: PostgreSQL when DATABASE_URL is set, else PGlite in the run's own directory. */
interface Installation {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly options: StoreOptions;
  readonly database: TestDatabase;
  run(...args: string[]): ReturnType<typeof runCli>;
  /** Opens the store the CLI wrote, runs `fn`, closes it (PGlite allows one process on its directory). */
  inspect<T>(fn: (store: RootStore) => Promise<T>): Promise<T>;
  remove(): Promise<void>;
}

async function installation(): Promise<Installation> {
  const database = await createTestDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'crossgate-import-'));
  const env = database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {};
  const options: StoreOptions = database.options.databaseUrl ? database.options : { dataDir: path.join(dir, 'data') };
  return {
    dir, env, options, database,
    run: (...args) => runCli(args, env, dir),
    async inspect(fn) {
      const store = await openStore(options);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
    async remove() {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bytes each document of the test set carries, read from the JSON itself rather than through our parser. */
function fixtureBytes(): Map<string, Buffer> {
  const entries = testSet.entry!;
  const binary = (i: number) => Buffer.from((entries[i]!.resource as Binary).data!, 'base64');
  const lab = (entries[9]!.resource as DocumentReference).content[0]!.attachment.data!;
  return new Map([
    ['2.16.840.1.113883.19.5.99999.10.1', binary(4)],
    ['2.16.840.1.113883.19.5.99999.11^DS-2024-0117', binary(6)],
    ['2.16.840.1.113883.19.5.99999.10.3', binary(8)],
    ['2.16.840.1.113883.19.5.99999.10.4', Buffer.from(lab, 'base64')],
  ]);
}

beforeAll(() => requireBuiltCli());

describe(`crossgate import on ${engineUnderTest}`, () => {
  let site: Installation;
  beforeAll(async () => {
    site = await installation();
  });
  afterAll(async () => site.remove());

  it('loads the partner test set: patients, documents with complete metadata and their exact bytes', async () => {
    const result = await site.run('import', TEST_SET);
    expect(result).toEqual({ code: 0, stderr: '', stdout: 'imported: patients 3 created, 0 matched, 0 identifiers linked; documents 4 imported, 0 skipped (already present)\n' });

    await site.inspect(async (store) => {
      expect(await store.counts()).toMatchObject({ patients: 3, documents: 4 });
      const anna = (await findByIdentifier(store, BSN))!.patient;
      const alice = (await findByIdentifier(store, ALICE))!.patient;
      const marcus = (await findByIdentifier(store, MARCUS))!.patient;
      expect(anna).toMatchObject({ names: [{ family: 'Vries', familyPrefix: 'de', given: ['Anna', 'Sophia'] }], birthDate: '1984-03-12', gender: 'female' });
      expect(alice).toMatchObject({ names: [{ family: 'Newman', given: ['Alice', 'Jones'] }], identifiers: [{ ...ALICE, assignerName: 'Good Health Clinic' }] });
      expect(marcus.birthDate).toBe('1958-11-23');

      const owners = new Map([
        ['2.16.840.1.113883.19.5.99999.10.1', alice.id],
        ['2.16.840.1.113883.19.5.99999.11^DS-2024-0117', marcus.id],
        ['2.16.840.1.113883.19.5.99999.10.3', anna.id],
        ['2.16.840.1.113883.19.5.99999.10.4', anna.id],
      ]);
      const parsed = parseImportBundle(testSet).documents;
      for (const [uniqueId, bytes] of fixtureBytes()) {
        const stored = (await store.documents.getByUniqueId(uniqueId))!;
        const { id, patientId, repositoryUniqueId, provenance, ...metadata } = stored;
        const { provenance: _source, ...expected } = parsed.find((d) => d.input.uniqueId === uniqueId)!.input;
        expect({ uniqueId, metadata }).toEqual({ uniqueId, metadata: { ...expected, authors: expected.authors ?? [], referenceIds: [] } });
        expect({ patientId, repositoryUniqueId, provenance }).toEqual({
          patientId: owners.get(uniqueId), repositoryUniqueId: DEMO_CLINIC.repositoryUniqueId, provenance: { source: `fhir-import:${digest.slice(0, 16)}` },
        });
        expect(Buffer.from((await store.documents.getContent(id))!)).toEqual(bytes);
        expect(stored.hash).toBe(createHash('sha1').update(bytes).digest('hex'));
        expect(stored.size).toBe(bytes.byteLength);
      }
      // Spot checks of the mapping, written out, so the test does not only agree with the parser it uses.
      expect(await store.documents.getByUniqueId('2.16.840.1.113883.19.5.99999.10.1')).toMatchObject({
        entryUuid: 'urn:uuid:5f0e3a1c-7b2d-4e6f-9a8b-1c2d3e4f5a61', availabilityStatus: 'approved', mimeType: 'text/xml', languageCode: 'en-US',
        typeCode: { system: 'http://loinc.org', code: '34133-9' }, formatCode: { code: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1' },
        sourcePatientId: 'MRN-100234^^^&2.16.840.1.113883.19.5.99999.2&ISO', size: 2308,
      });
      expect(await store.documents.getByUniqueId('2.16.840.1.113883.19.5.99999.10.4')).toMatchObject({
        entryUuid: 'urn:uuid:d26725dc-eccb-5a6e-8acd-f992c3902db3', sourcePatientId: '999981213^^^&2.16.840.1.113883.2.4.6.3&ISO', size: 154,
      });
    });
  });

  it('is on the audit trail once, as an admin change by the command line, without clinical content', async () => {
    await site.inspect(async (store) => {
      const records = await store.audit.search({ transaction: 'admin-change' });
      expect(records).toHaveLength(1);
      const record = records[0]!;
      expect(record).toMatchObject({ action: 'import', outcome: 'success', actorType: 'system' });
      expect(record.patientIds).toHaveLength(3);
      expect(JSON.parse(record.body)).toMatchObject({
        surface: 'cli',
        detail: { bundleSha256: digest, patientsCreated: 3, patientsMatched: 0, documentsImported: 4, documentsSkipped: 0, errors: 0 },
      });
      for (const text of ['999981213', 'MRN-100234', 'Newman', 'Vries', 'HbA1c', 'pneumonia']) expect(record.body).not.toContain(text);
    });
  });

  it('imports nothing new from the same file a second time, and says so', async () => {
    const again = await site.run('import', TEST_SET);
    expect(again).toEqual({ code: 0, stderr: '', stdout: 'nothing new imported: patients 0 created, 3 matched, 0 identifiers linked; documents 0 imported, 4 skipped (already present)\n' });
    await site.inspect(async (store) => {
      expect(await store.counts()).toMatchObject({ patients: 3, documents: 4 });
      expect((await store.audit.search({ transaction: 'admin-change' })).map((r) => r.outcome)).toEqual(['success', 'success']);
    });
  });
});

describe(`crossgate import refusing on ${engineUnderTest}`, () => {
  let site: Installation;
  beforeAll(async () => {
    site = await installation();
  });
  afterAll(async () => site.remove());

  it('with --dry-run, reports what it would do and writes nothing, not even to the trail', async () => {
    const result = await site.run('import', '--dry-run', TEST_SET);
    expect(result).toEqual({ code: 0, stderr: '', stdout: 'dry run, nothing written; would import: patients 3 created, 0 matched, 0 identifiers linked; documents 4 imported, 0 skipped (already present)\n' });
    await site.inspect(async (store) => {
      expect(await store.counts()).toMatchObject({ patients: 0, documents: 0 });
      expect(await store.audit.search({ transaction: 'admin-change' })).toEqual([]);
    });
  });

  it.each([
    ['wrong-resource-type.json', 'Bundle.entry[3].resource.resourceType: Bundle.entry[3].resource.resourceType must be Patient, DocumentReference or Binary: the import loads nothing else'],
    ['hash-mismatch.json', 'Bundle.entry[1].resource.content[0].attachment.hash: DocumentReference.content[0].attachment.hash does not match the SHA-1 of the content'],
    ['missing-master-identifier.json', 'Bundle.entry[1].resource.masterIdentifier: DocumentReference.masterIdentifier is required: it is the DocumentEntry uniqueId'],
    ['unresolved-subject.json', 'Bundle.entry[1].resource.subject.reference: DocumentReference.subject.reference names no Patient entry of the bundle (by fullUrl or Patient/id)'],
  ])('refuses bad/%s whole: exit 1, the error with its path, nothing stored', async (file, line) => {
    const result = await site.run('import', path.join(fixtures, 'bad', file));
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error ${line}\ncrossgate import: nothing imported (1 error)\n` });
    await site.inspect(async (store) => expect(await store.counts()).toMatchObject({ patients: 0, documents: 0 }));
  });

  it('refuses a bundle whose last document names a patient the store does not hold, keeping nothing of the rest', async () => {
    const bundle = structuredClone(testSet);
    (bundle.entry![9]!.resource as DocumentReference).subject = { identifier: { system: 'urn:oid:2.16.840.1.113883.19.5.99999.2', value: 'MRN-NOT-HERE' } };
    const file = path.join(site.dir, 'unknown-subject.json');
    writeFileSync(file, JSON.stringify(bundle));
    const result = await site.run('import', file);
    expect(result).toEqual({
      code: 1, stdout: '',
      stderr: 'error Bundle.entry[9].resource.subject.identifier: DocumentReference.subject.identifier names no patient of the bundle or of the store\n' +
        'crossgate import: nothing imported (1 error)\n',
    });
    await site.inspect(async (store) => {
      expect(await store.counts()).toMatchObject({ patients: 0, documents: 0 });
      expect(await findByIdentifier(store, ALICE)).toBeUndefined();
      // Every refused import is on the trail: the four bad bundles above and this one.
      const records = await store.audit.search({ transaction: 'admin-change' });
      expect(records.map((r) => [r.action, r.outcome])).toEqual(Array(5).fill(['import', 'failure']));
    });
  });

  it('refuses a file it cannot read or that is not JSON, without echoing its content', async () => {
    expect(await site.run('import', path.join(site.dir, 'missing.json'))).toMatchObject({ code: 1, stderr: `crossgate import: cannot read ${path.join(site.dir, 'missing.json')} (ENOENT)\n` });
    const file = path.join(site.dir, 'broken.json');
    writeFileSync(file, '{"resourceType": "Bundle", "entry": [ Jansen 999981213');
    const broken = await site.run('import', file);
    expect(broken).toEqual({ code: 1, stdout: '', stderr: 'error Bundle: Bundle is not JSON\ncrossgate import: nothing imported (1 error)\n' });
  });
});

describe(`importBundle against stored patients and documents on ${engineUnderTest}`, () => {
  const options = { dryRun: false, repositoryUniqueId: '2.999.1.2' };
  const errors = (issues: readonly Issue[]) => issues.filter((i) => i.severity === 'error').map((i) => `${i.where?.path}: ${i.message}`);

  it('matches a stored patient by identifier and links the identifiers it does not hold yet', async () => {
    const t = await openTestStore();
    try {
      const stored = await t.store.patients.insert({ id: '5a1d3c9e-0000-4000-8000-000000000001', identifiers: [MARCUS], names: [{ family: 'Lee' }] });
      const bundle = structuredClone(testSet);
      const marcus = bundle.entry![1]!.resource as { identifier: object[] };
      marcus.identifier.push({ system: 'urn:oid:2.999.4', value: 'EXTRA-1' });
      const result = await importBundle(t.store, parseImportBundle(bundle), options, 'a'.repeat(64));
      expect(result).toEqual({ issues: [], summary: { patientsCreated: 2, patientsMatched: 1, identifiersLinked: 1, documentsImported: 4, documentsSkipped: 0 } });
      expect((await findByIdentifier(t.store, { system: 'urn:oid:2.999.4', value: 'EXTRA-1' }))!.patient.id).toBe(stored.id);
      expect((await t.store.documents.getByUniqueId('2.16.840.1.113883.19.5.99999.11^DS-2024-0117'))!.patientId).toBe(stored.id);
      // The stored demographics are kept: matching is not an update.
      expect((await t.store.patients.get(stored.id))!.patient.names).toEqual([{ family: 'Lee', given: [] }]);
    } finally {
      await t.close();
    }
  });

  it('refuses identifiers that name two different stored patients, moving none of them', async () => {
    const t = await openTestStore();
    try {
      await t.store.patients.insert({ id: '5a1d3c9e-0000-4000-8000-000000000002', identifiers: [BSN], names: [{ family: 'Vries' }] });
      await t.store.patients.insert({ id: '5a1d3c9e-0000-4000-8000-000000000003', identifiers: [{ system: 'urn:oid:2.999.4', value: 'OTHER' }], names: [{ family: 'Other' }] });
      const bundle = structuredClone(testSet);
      (bundle.entry![2]!.resource as { identifier: object[] }).identifier.push({ system: 'urn:oid:2.999.4', value: 'OTHER' });
      const result = await importBundle(t.store, parseImportBundle(bundle), options, 'b'.repeat(64));
      expect(result.summary).toBeUndefined();
      expect(errors(result.issues)).toEqual([
        'Bundle.entry[2].resource.identifier[1]: Patient.identifier[1] belongs to another stored patient than identifier[0]: an identifier is never moved from one patient to another',
      ]);
      expect(await t.store.counts()).toMatchObject({ patients: 2, documents: 0 });
      expect((await findByIdentifier(t.store, { system: 'urn:oid:2.999.4', value: 'OTHER' }))!.patient.id).toBe('5a1d3c9e-0000-4000-8000-000000000003');
      const failures = await t.store.audit.search({ transaction: 'admin-change' });
      expect(failures.map((r) => [r.outcome, JSON.parse(r.body).detail.errors])).toEqual([['failure', 1]]);
    } finally {
      await t.close();
    }
  });

  it('refuses a uniqueId the store holds with other bytes (one uniqueId, one document)', async () => {
    const t = await openTestStore();
    try {
      expect((await importBundle(t.store, parseImportBundle(testSet), options, 'c'.repeat(64))).summary?.documentsImported).toBe(4);
      const bundle = structuredClone(testSet);
      const lab = (bundle.entry![9]!.resource as DocumentReference).content[0]!.attachment;
      const edited = Buffer.from('Laboratoriumuitslag, gecorrigeerd (synthetische testgegevens)\n', 'utf8');
      Object.assign(lab, { data: edited.toString('base64'), size: edited.byteLength });
      const result = await importBundle(t.store, parseImportBundle(bundle), options, 'd'.repeat(64));
      expect(errors(result.issues)).toEqual([
        'Bundle.entry[9].resource.masterIdentifier: DocumentReference.masterIdentifier is the uniqueId of a stored document with other content: a uniqueId stands for one set of bytes',
      ]);
    } finally {
      await t.close();
    }
  });
});
