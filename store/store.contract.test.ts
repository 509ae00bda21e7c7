import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodeSystems, IdentifierSystems, Observation, safeParseRecord, type Parsed, type Patient } from '../canonical/index.js';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aDocument, anObservation, aPatient, uniqueBsn } from '../test/support/factories.js';
import { createStore, loadMigrations, migrate, RECORD_STAMP, StoreError, type RecordStamp, type RootStore } from './index.js';
import { openDatabase } from './open.js';

let t: TestStore;
let store: RootStore;

beforeAll(async () => {
  t = await openTestStore();
  store = t.store;
});
afterAll(async () => t.close());

/** The record stamp read in a statement of its own, as the reference for the one read with a listing. */
async function stampAlone(patientId: string): Promise<RecordStamp | undefined> {
  const row = (await t.db.query<{ stamp: string; changed_at: string }>(RECORD_STAMP, [patientId]))[0];
  return row ? { stamp: row.stamp, changedAt: row.changed_at } : undefined;
}

const storeError = (code: StoreError['code']) => expect.objectContaining({ name: 'StoreError', code });

/**
 * The submission set of a document as store/migrations/0010 derives it in SQL, stated independently: SHA-256 of
 * `<entryUUID>#submission-set`, its first 16 bytes as a UUID, and that UUID as a 2.25 OID (ITU-T X.667).
 */
function submissionSetOf(entryUuid: string): { entryUuid: string; uniqueId: string } {
  const hex = createHash('sha256').update(`${entryUuid}#submission-set`, 'utf8').digest('hex').slice(0, 32);
  return {
    entryUuid: `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    uniqueId: `2.25.${BigInt(`0x${hex}`).toString()}`,
  };
}

describe(`store contract on ${engineUnderTest}`, () => {
  describe('migrations', () => {
    it('applies every migration to an empty database once, and nothing the second time', async () => {
      const fresh = await (await import('../test/support/database.js')).createTestDatabase();
      const db = await openDatabase(fresh.options);
      try {
        const all = await loadMigrations();
        expect(await migrate(db)).toEqual(all.map((m) => m.version));
        expect(await migrate(db)).toEqual([]);
        expect(await createStore(db).patients.isEmpty()).toBe(true);
        const tables = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
        );
        expect(tables.map((r) => r.table_name)).toEqual(
          expect.arrayContaining(['patients', 'patient_identifiers', 'observations', 'documents', 'inbound_messages', 'schema_migrations']),
        );
      } finally {
        await db.close();
        await fresh.drop();
      }
    });

    it('applies each migration once when several processes start together', async () => {
      const fresh = await (await import('../test/support/database.js')).createTestDatabase();
      // On PostgreSQL these are separate connection pools, as separate gateway processes have; PGlite has one.
      const first = await openDatabase(fresh.options);
      const second = fresh.options.databaseUrl ? await openDatabase(fresh.options) : first;
      try {
        const results = await Promise.all([migrate(first), migrate(second), migrate(first)]);
        expect(results.flat().sort((a, b) => a - b)).toEqual((await loadMigrations()).map((m) => m.version));
        const recorded = await first.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
        expect(recorded[0]!.n).toBe((await loadMigrations()).length);
      } finally {
        if (second !== first) await second.close();
        await first.close();
        await fresh.drop();
      }
    });

    it('rolls back a failing migration whole, recording nothing', async () => {
      const fresh = await (await import('../test/support/database.js')).createTestDatabase();
      const db = await openDatabase(fresh.options);
      try {
        const broken = [{ version: 1, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;' }];
        await expect(migrate(db, broken)).rejects.toThrow(/no_such_table/);
        const rows = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_name IN ('half_done', 'schema_migrations')`);
        expect(rows).toEqual([]);
      } finally {
        await db.close();
        await fresh.drop();
      }
    });

    it('compresses raw messages and document content with lz4 where the engine has it, and with pglz where not', async () => {
      const engine = await t.db.query<{ lz4: boolean }>(
        `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
      );
      const columns = await t.db.query<{ name: string; compression: string }>(
        `SELECT attrelid::regclass::text || '.' || attname AS name, attcompression AS compression FROM pg_attribute
         WHERE (attrelid, attname) IN (('inbound_messages'::regclass, 'raw'), ('document_content'::regclass, 'content')) ORDER BY 1`,
      );
      // '' is the database's default, which is pglz unless a server was configured otherwise.
      const expected = engine[0]!.lz4 ? 'l' : '';
      expect(columns).toEqual([{ name: 'document_content.content', compression: expected }, { name: 'inbound_messages.raw', compression: expected }]);
    });
  });

  describe('patients', () => {
    it('gives a record stamp that changes with every change to the record and only then', async () => {
      const p = await store.patients.insert(aPatient());
      const stamp = async () => (await stampAlone(p.id))!;
      const first = await stamp();
      expect(first.stamp).toEqual(expect.any(String));
      expect(await stamp()).toEqual(first);
      const [observation] = await store.observations.insertMany([anObservation(p.id)]);
      const second = await stamp();
      expect(second.stamp).not.toBe(first.stamp);
      expect(Date.parse(second.changedAt)).toBeGreaterThanOrEqual(Date.parse(first.changedAt));
      await store.patients.linkIdentifier(p.id, { system: 'urn:oid:2.16.840.1.113883.3.9999.77', value: 'X1' }, 'test');
      const linked = await stamp();
      expect(linked.stamp).not.toBe(second.stamp);
      // A corrected version of a record changes neither the counts nor the ids, only its time.
      await store.observations.replace([{ record: { ...observation!, status: 'corrected' }, replaces: 1 }]);
      const third = await stamp();
      expect(third.stamp).not.toBe(linked.stamp);
      const other = await store.patients.insert(aPatient());
      await store.observations.insertMany([anObservation(other.id)]);
      expect(await stamp()).toEqual(third);
      expect(await stampAlone(randomUUID())).toBeUndefined();
    });

    it('stores a patient and reads back every field as written', async () => {
      const input = aPatient({
        names: [{ use: 'official', family: 'Vries', familyPrefix: 'de', partnerFamily: 'Jansen', given: ['Anna', 'Maria'], initials: 'A.M.', assembly: 'partner-own' }],
        addresses: [{ use: 'home', lines: ['Dorpsstraat 1'], city: 'Utrecht', postalCode: '3511AA', country: 'NL' }],
        telecom: [{ system: 'phone', value: '+31301234567', use: 'home' }],
      });
      await store.patients.insert(input);
      const record = await store.patients.get(input.id);
      expect(record?.version).toBe(1);
      expect(record?.patient).toEqual({ ...input, status: 'active', telecom: input.telecom, addresses: [{ ...input.addresses![0], lines: ['Dorpsstraat 1'] }] });
    });

    it('finds a patient by identifier whichever way the system is spelled', async () => {
      const p = await store.patients.insert(aPatient());
      const bsn = p.identifiers[0]!.value;
      for (const system of [IdentifierSystems.bsn.uri, IdentifierSystems.bsn.oid, `urn:oid:${IdentifierSystems.bsn.oid}`]) {
        expect((await store.patients.findByIdentifier(system, bsn))?.patient.id).toBe(p.id);
      }
      expect(await store.patients.findByIdentifier(IdentifierSystems.bsn.uri, uniqueBsn())).toBeUndefined();
    });

    it('refuses a patient whose identifier belongs to another, and leaves nothing of it behind', async () => {
      const first = await store.patients.insert(aPatient());
      const clash = aPatient({ identifiers: [{ system: 'urn:oid:1.2.3.4', value: 'X1' }, first.identifiers[0]!] });
      await expect(store.patients.insert(clash)).rejects.toEqual(storeError('identifier-taken'));
      expect(await store.patients.get(clash.id)).toBeUndefined();
      expect(await store.patients.findByIdentifier('urn:oid:1.2.3.4', 'X1')).toBeUndefined();
    });

    it('rejects an invalid BSN before storing anything', async () => {
      const bad = aPatient({ identifiers: [{ system: IdentifierSystems.bsn.uri, value: '123456789' }] });
      await expect(store.patients.insert(bad)).rejects.toThrow(/11-proef/);
      expect(await store.patients.get(bad.id)).toBeUndefined();
    });

    it("links a partner's identifier once, and refuses to move one that names another patient", async () => {
      const a = await store.patients.insert(aPatient());
      const b = await store.patients.insert(aPatient());
      const mrn = { system: 'urn:oid:2.16.840.1.113883.3.9999.5', value: 'MRN-0042' };
      expect(await store.patients.linkIdentifier(a.id, mrn, 'test')).toBe('linked');
      expect(await store.patients.linkIdentifier(a.id, mrn, 'test')).toBe('already-linked');
      await expect(store.patients.linkIdentifier(b.id, mrn, 'test')).rejects.toEqual(storeError('identifier-taken'));
      const found = await store.patients.findByIdentifier(mrn.system, mrn.value);
      expect(found?.patient.id).toBe(a.id);
      expect(found?.patient.identifiers.map((i) => i.value)).toEqual([a.identifiers[0]!.value, 'MRN-0042']);
      expect(found?.version).toBe(2);
      await expect(store.patients.linkIdentifier(randomUUID(), { system: 'urn:oid:1.2', value: 'z' }, 'test')).rejects.toEqual(storeError('not-found'));
    });

    it('updates demographics under a version check, so a concurrent edit is refused rather than lost', async () => {
      const p = await store.patients.insert(aPatient({ birthDate: '1960-01-01' }));
      const updated = await store.patients.updateDemographics(p.id, 1, { names: [{ family: 'Bakker', given: ['Els'] }], birthDate: '1960-01-02', gender: 'female' });
      expect(updated.version).toBe(2);
      expect(updated.patient.identifiers).toEqual(p.identifiers);
      await expect(store.patients.updateDemographics(p.id, 1, { names: [{ family: 'Smit', given: [] }] })).rejects.toEqual(storeError('version-conflict'));
      expect((await store.patients.findByFamilyKey('bakker', '1960-01-02')).map((r) => r.patient.id)).toEqual([p.id]);
      expect(await store.patients.findByFamilyKey('berg', '1960-01-01')).toEqual([]);
    });

    it('keeps each version of a patient a change replaced, as it was, identifiers included', async () => {
      const p = await store.patients.insert(aPatient({ birthDate: '1961-03-04', names: [{ family: 'Visser', given: ['Jan'] }] }));
      const other = await store.patients.insert(aPatient({ birthDate: '1961-03-04' }));
      await store.patients.updateDemographics(p.id, 1, { names: [{ family: 'Visser-Bos', given: ['Jan'] }], birthDate: '1961-03-04', gender: 'male' });
      await store.patients.linkIdentifier(p.id, { system: 'urn:oid:1.2.3.98', value: 'V-1' }, 'test');
      await store.patients.merge(other.id, p.id, { mergedBy: 'test', reason: 'same person' });
      const versions = await Promise.all([1, 2, 3, 4].map((n) => store.patients.version(p.id, n)));
      expect(versions.map((v) => [v?.version, v?.patient.names[0]?.family, v?.patient.identifiers.map((i) => i.value).length, v?.patient.status])).toEqual([
        [1, 'Visser', 1, 'active'], [2, 'Visser-Bos', 1, 'active'], [3, 'Visser-Bos', 2, 'active'], [4, 'Visser-Bos', 0, 'merged'],
      ]);
      expect(versions[3]).toEqual(await store.patients.get(p.id));
      expect(Date.parse(versions[0]!.updatedAt)).toBeLessThanOrEqual(Date.parse(versions[1]!.updatedAt));
      // The survivor's version before the merge is kept too: it did not yet carry the merged record's identifiers.
      expect((await store.patients.version(other.id, 1))?.patient.identifiers).toEqual(other.identifiers);
      expect((await store.patients.get(other.id))?.patient.identifiers).toHaveLength(3);
      expect(await store.patients.version(p.id, 5)).toBeUndefined();
      expect(await store.patients.version('not-a-uuid', 1)).toBeUndefined();
      // A refused change keeps nothing: the version a refused link would have kept is kept once, by the next change.
      const third = await store.patients.insert(aPatient({ birthDate: '1961-03-04' }));
      await expect(store.patients.linkIdentifier(third.id, { system: 'urn:oid:1.2.3.98', value: 'V-1' }, 'test')).rejects.toEqual(storeError('identifier-taken'));
      await store.patients.updateDemographics(third.id, 1, { names: [{ family: 'Derde', given: [] }], birthDate: '1961-03-04', gender: 'female' });
      expect((await store.patients.version(third.id, 1))?.patient).toEqual(third);
    });

    it('finds patients by family name however the prefix and diacritics are written, own or partner name', async () => {
      const birthDate = '1944-07-21';
      const p = await store.patients.insert(aPatient({
        birthDate,
        names: [{ family: 'Çelik', familyPrefix: 'van', partnerFamily: 'Dijk', partnerPrefix: 'van', given: ['Ayşe'] }],
      }));
      expect((await store.patients.findByFamilyKey('celik', birthDate)).map((r) => r.patient.id)).toEqual([p.id]);
      expect((await store.patients.findByFamilyKey('dijk', birthDate)).map((r) => r.patient.id)).toEqual([p.id]);
      expect((await store.patients.findByFamilyKey('celik')).map((r) => r.patient.id)).toContain(p.id);
      expect(await store.patients.findByFamilyKey('celik', '1944-07-22')).toEqual([]);
      expect((await store.patients.findByBirthDate(birthDate)).map((r) => r.patient.id)).toEqual([p.id]);
    });

    it('lists likely duplicates by folded name and birth date', async () => {
      const birthDate = '1931-02-03';
      const a = await store.patients.insert(aPatient({ birthDate, names: [{ family: 'Meulen', familyPrefix: 'van der', given: ['Piet'] }] }));
      const b = await store.patients.insert(aPatient({ birthDate, names: [{ family: 'van der Meulen', given: ['P.'] }] }));
      await store.patients.insert(aPatient({ birthDate, names: [{ family: 'Molen', given: ['Piet'] }] }));
      const groups = await store.patients.duplicateGroups(1000);
      const group = groups.find((g) => g.familyKey === 'meulen' && g.birthDate === birthDate);
      expect(group?.patientIds).toEqual([a.id, b.id].sort());
      expect(groups.find((g) => g.familyKey === 'molen' && g.birthDate === birthDate)).toBeUndefined();
    });

    it('merges two records: identifiers and records follow the survivor, and the merge is traceable', async () => {
      const survivor = await store.patients.insert(aPatient({ birthDate: '1950-05-05' }));
      const merged = await store.patients.insert(aPatient({ birthDate: '1950-05-05', names: [{ family: 'Oud', given: ['Kees'] }] }));
      await store.patients.linkIdentifier(merged.id, { system: 'urn:oid:1.2.3.99', value: 'P-7' }, 'test');
      const [obs] = await store.observations.insertMany([anObservation(merged.id)]);
      const result = await store.patients.merge(survivor.id, merged.id, { mergedBy: 'admin@example.org', reason: 'same person' });

      expect(result.moved.identifiers.map((i) => i.value).sort()).toEqual([merged.identifiers[0]!.value, 'P-7'].sort());
      expect(result.moved.records).toEqual({ observations: [obs!.id] });
      expect((await store.patients.findByIdentifier('urn:oid:1.2.3.99', 'P-7'))?.patient.id).toBe(survivor.id);
      const after = await store.patients.get(survivor.id);
      expect(after?.patient.identifiers).toHaveLength(3);
      expect((await store.observations.list(survivor.id)).items.map((o) => o.id)).toEqual([obs!.id]);
      expect((await store.observations.get(obs!.id))?.patientId).toBe(survivor.id);
      const old = await store.patients.get(merged.id);
      expect(old?.patient).toMatchObject({ status: 'merged', mergedInto: survivor.id, identifiers: [] });
      expect((await store.patients.findByFamilyKey('oud', '1950-05-05')).map((r) => r.patient.id)).toEqual([survivor.id]);
      expect(await store.patients.mergeHistory(merged.id)).toEqual([result]);
      expect(await store.patients.mergeHistory(survivor.id)).toEqual([result]);
      await expect(store.patients.merge(survivor.id, merged.id, { mergedBy: 'x', reason: 'again' })).rejects.toEqual(storeError('invalid-state'));
      await expect(store.patients.merge(survivor.id, survivor.id, { mergedBy: 'x', reason: 'self' })).rejects.toEqual(storeError('invalid-state'));
    });

    it('pages through patient ids in order', async () => {
      const first = await store.patients.listIds({ limit: 3 });
      const second = await store.patients.listIds({ limit: 3, afterId: first[2]! });
      expect(first).toHaveLength(3);
      expect([...first].sort()).toEqual(first);
      expect(second[0]! > first[2]!).toBe(true);
    });
  });

  describe('organizations and practitioners', () => {
    it('stores an organization and finds it by identifier and by home community id in either spelling', async () => {
      const ura = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
      const org = await store.organizations.save({
        id: randomUUID(), name: 'Huisartsenpraktijk De Linde', homeCommunityId: 'urn:oid:2.16.840.1.113883.3.9999.77',
        identifiers: [{ system: IdentifierSystems.ura.oid, value: ura }],
      });
      expect(org.identifiers[0]!.system).toBe(IdentifierSystems.ura.uri);
      expect(await store.organizations.get(org.id)).toEqual(org);
      expect((await store.organizations.findByIdentifier(IdentifierSystems.ura.uri, ura))?.id).toBe(org.id);
      expect((await store.organizations.findByHomeCommunityId('2.16.840.1.113883.3.9999.77'))?.id).toBe(org.id);
      expect((await store.organizations.list(1000)).map((o) => o.id)).toContain(org.id);
      const renamed = await store.organizations.save({ ...org, name: 'De Linde' });
      expect((await store.organizations.get(org.id))?.name).toBe(renamed.name);
      await expect(store.organizations.save({ id: randomUUID(), name: 'Other', identifiers: [{ system: IdentifierSystems.ura.uri, value: ura }] }))
        .rejects.toEqual(storeError('identifier-taken'));
      await expect(store.organizations.save({ id: randomUUID(), name: 'Other', homeCommunityId: org.homeCommunityId }))
        .rejects.toEqual(storeError('duplicate'));
    });

    it('stores a practitioner and finds it by UZI', async () => {
      const uzi = String(Math.floor(Math.random() * 1e9));
      const p = await store.practitioners.save({
        id: randomUUID(), identifiers: [{ system: IdentifierSystems.uziPerson.oid, value: uzi }],
        names: [{ family: 'Visser', given: ['Hendrik'] }], roles: [{ system: 'urn:oid:2.16.840.1.113883.2.4.15.111', code: '01.015' }],
      });
      expect(await store.practitioners.get(p.id)).toEqual(p);
      expect((await store.practitioners.findByIdentifier(IdentifierSystems.uziPerson.uri, uzi))?.id).toBe(p.id);
    });
  });

  describe('observations and other clinical records', () => {
    let patient: Patient;
    beforeAll(async () => {
      patient = await store.patients.insert(aPatient());
    });

    it('keeps decimals exactly as written', async () => {
      const values = ['0.40', '5.0', '-0.001', '123456789012345.123456789', '0.1', '7'];
      const stored = await store.observations.insertMany(
        values.map((v) => anObservation(patient.id, { value: { kind: 'quantity', quantity: { value: v, unit: 'mmol/L' } }, referenceRange: { low: '3.50', high: '5.10', unit: 'mmol/L' } })),
      );
      const read = await store.observations.getMany(stored.map((o) => o.id));
      expect(read.map((o) => (o.value?.kind === 'quantity' ? o.value.quantity.value : undefined))).toEqual(values);
      expect(read[0]!.referenceRange).toEqual({ low: '3.50', high: '5.10', unit: 'mmol/L' });
    });

    it('lists by code (any coding), by time window, newest first, in pages that cover every row once', async () => {
      const p = await store.patients.insert(aPatient());
      const nhg = (code: string) => ({ system: CodeSystems.nhgTabel45.uri, code, role: 'original' as const });
      const rows = [
        anObservation(p.id, { codings: [nhg('1744'), { system: CodeSystems.loinc.uri, code: '8480-6', role: 'mapped' }], effective: '2024-01-10T08:00:00Z' }),
        anObservation(p.id, { codings: [nhg('1744')], effective: '2024-03-10T08:00:00Z' }),
        anObservation(p.id, { codings: [nhg('2816')], effective: '2024-02-10' }),
        anObservation(p.id, { codings: [nhg('357')], effective: '2024' }),
        anObservation(p.id, { codings: [nhg('357')], effective: undefined }),
        anObservation(p.id, { codings: [nhg('357')], effective: undefined }),
      ];
      await store.observations.insertMany(rows);
      const byLoinc = await store.observations.list(p.id, { codes: [`${CodeSystems.loinc.uri}|8480-6`] });
      expect(byLoinc.items.map((o) => o.effective)).toEqual(['2024-01-10T08:00:00Z']);
      const bp = await store.observations.list(p.id, { codes: [`${CodeSystems.nhgTabel45.uri}|1744`] });
      expect(bp.items.map((o) => o.effective)).toEqual(['2024-03-10T08:00:00Z', '2024-01-10T08:00:00Z']);
      const window = await store.observations.list(p.id, { from: '2024-02-01', to: '2024-03-01' });
      expect(window.items.map((o) => o.effective)).toEqual(['2024-02-10']);

      const seen: string[] = [];
      let page = await store.observations.list(p.id, { limit: 2 });
      seen.push(...page.items.map((o) => o.id));
      while (page.next) {
        page = await store.observations.list(p.id, { limit: 2, after: page.next });
        seen.push(...page.items.map((o) => o.id));
      }
      expect(seen).toHaveLength(rows.length);
      expect(new Set(seen).size).toBe(rows.length);
      const all = await store.observations.list(p.id, { limit: 100 });
      expect(all.items.map((o) => o.id)).toEqual(seen);
      expect(all.items.slice(0, 4).map((o) => o.effective)).toEqual(['2024-03-10T08:00:00Z', '2024-02-10', '2024-01-10T08:00:00Z', '2024']);
    });

    it("reads several patients' pages in one statement each for first pages and cursors, each page as it is read alone", async () => {
      const [p, q, empty] = [await store.patients.insert(aPatient()), await store.patients.insert(aPatient()), await store.patients.insert(aPatient())];
      const times = ['2024-01-10T08:00:00Z', '2024-03-10T08:00:00Z', '2024-02-10', undefined, undefined];
      await store.observations.insertMany([...times.map((effective) => anObservation(p.id, { effective })), ...times.slice(0, 3).map((effective) => anObservation(q.id, { effective }))]);
      const firstOfP = await store.observations.list(p.id, { limit: 2 });
      const secondOfP = await store.observations.list(p.id, { limit: 2, after: firstOfP.next! });
      const asks = [
        { patientId: q.id }, { patientId: p.id, after: secondOfP.next! }, { patientId: empty.id }, { patientId: 'not-a-uuid' },
        { patientId: p.id }, { patientId: p.id, after: firstOfP.next! }, { patientId: q.id, after: { at: null, id: 'not-a-uuid' } },
      ];
      const pages = await store.observations.listMany(asks, { limit: 2 });
      expect(pages).toHaveLength(asks.length);
      for (const [i, ask] of asks.entries()) {
        const malformed = ask.patientId === 'not-a-uuid' || ask.after?.id === 'not-a-uuid';
        expect(pages[i]).toEqual(malformed ? { items: [], stamps: new Map() } : await store.observations.list(ask.patientId, { limit: 2, ...(ask.after ? { after: ask.after } : {}) }));
      }
      // Every one of p's records once over its three pages, the last without a next cursor.
      expect([pages[4]!, pages[5]!, pages[1]!].flatMap((page) => page.items.map((o) => o.id)).sort()).toEqual((await store.observations.list(p.id)).items.map((o) => o.id).sort());
      expect(pages[1]!.next).toBeUndefined();
      expect(pages.map((page) => page.items.length)).toEqual([2, 1, 0, 0, 2, 2, 0]);
    });

    it('rejects an invalid observation with the field named, and inserts none of the batch', async () => {
      const p = await store.patients.insert(aPatient());
      const good = anObservation(p.id);
      const bad = anObservation(p.id, { value: { kind: 'quantity', quantity: { value: '1,5' as never, unit: 'mmol/L' } } });
      await expect(store.observations.insertMany([good, bad])).rejects.toThrow(/decimal/);
      expect((await store.observations.list(p.id)).items).toEqual([]);
    });

    it('writes a record its schema parsed as it is, and parses any other, whatever its type claims', async () => {
      const p = await store.patients.insert(aPatient());
      const parsed = safeParseRecord(Observation, anObservation(p.id));
      if (!parsed.success) throw parsed.error;
      expect(await store.observations.insertMany([parsed.data])).toEqual([parsed.data]);
      expect(await store.observations.get(parsed.data.id)).toEqual(parsed.data);
      const forged = anObservation(p.id, { value: { kind: 'quantity', quantity: { value: '1,5' as never, unit: 'mmol/L' } } }) as Parsed<Observation>;
      await expect(store.observations.insertMany([forged])).rejects.toThrow(/decimal/);
    });

    it('stores conditions, programme enrolments and reports, and lists them per patient', async () => {
      const p = await store.patients.insert(aPatient());
      const [condition] = await store.conditions.insertMany([{
        id: randomUUID(), patientId: p.id, codings: [{ system: CodeSystems.icpc1nl.oid, code: 'T90.02', display: 'Diabetes mellitus type 2' }],
        onset: '2015-04', provenance: { source: 'test' },
      }]);
      expect(condition!.codings[0]!.system).toBe(CodeSystems.icpc1nl.uri);
      await store.carePrograms.insertMany([{ id: randomUUID(), patientId: p.id, program: 'DM2', period: { start: '2015-05-01' }, conditionId: condition!.id, provenance: { source: 'test' } }]);
      const reportId = randomUUID();
      const [o1, o2] = await store.observations.insertMany([anObservation(p.id, { reportId }), anObservation(p.id, { reportId, effective: '2025-06-01T09:31:00+02:00' })]);
      await store.reports.insertMany([{
        id: reportId, patientId: p.id, status: 'final', codings: [{ system: CodeSystems.loinc.uri, code: '11502-2' }],
        identifiers: [{ system: 'urn:oid:2.16.528.1.9999.1', value: 'A0001' }], effective: '2025-06-01T09:30:00+02:00',
        observationIds: [o1!.id, o2!.id], provenance: { source: 'test' },
      }]);
      expect((await store.conditions.list(p.id)).items.map((c) => c.id)).toEqual([condition!.id]);
      expect(await store.conditions.get(condition!.id)).toEqual(condition);
      expect((await store.carePrograms.list(p.id)).items.map((e) => e.program)).toEqual(['DM2']);
      expect((await store.carePrograms.countByProgram()).DM2).toBeGreaterThanOrEqual(1);
      expect((await store.reports.get(reportId))?.observationIds).toEqual([o1!.id, o2!.id]);
      expect((await store.reports.list(p.id)).items.map((r) => r.id)).toEqual([reportId]);
      expect((await store.observations.listByReport(reportId)).map((o) => o.id)).toEqual([o1!.id, o2!.id]);
    });
  });

    it('replaces a record with a corrected version, keeps the one replaced, and refuses a replacement of a version no longer current', async () => {
      const p = await store.patients.insert(aPatient());
      const other = await store.patients.insert(aPatient());
      const [first] = await store.observations.insertMany([anObservation(p.id, { codings: [{ system: CodeSystems.nhgTabel45.uri, code: '2816', role: 'original' }] })]);
      const [stamp1] = [...(await store.observations.stamps([first!.id])).values()];
      expect(stamp1!.version).toBe(1);
      const corrected = { ...first!, value: { kind: 'quantity' as const, quantity: { value: '62', unit: 'mmol/mol' } }, codings: [{ system: CodeSystems.nhgTabel45.uri, code: '1744', role: 'original' as const }] };
      await store.observations.replace([{ record: corrected, replaces: 1 }]);

      const now = await store.observations.get(first!.id);
      expect(now).toEqual(Observation.parse(corrected));
      const [stamp2] = [...(await store.observations.stamps([first!.id])).values()];
      expect(stamp2!.version).toBe(2);
      expect(Date.parse(stamp2!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(stamp1!.updatedAt));
      // The columns searches use follow the corrected version: found by its new code, no longer by the old one.
      expect((await store.observations.list(p.id, { codes: [`${CodeSystems.nhgTabel45.uri}|1744`] })).items.map((o) => o.id)).toEqual([first!.id]);
      expect((await store.observations.list(p.id, { codes: [`${CodeSystems.nhgTabel45.uri}|2816`] })).items).toEqual([]);
      expect((await store.observations.list(p.id)).stamps?.get(first!.id)).toEqual(stamp2);
      expect((await store.observations.list(p.id, { storedFrom: stamp2!.updatedAt })).items.map((o) => o.id)).toEqual([first!.id]);
      const history = await store.observations.history(first!.id);
      expect(history.map((h) => [h.stamp, h.record])).toEqual([[stamp1, first], [stamp2, now]]);

      // Replacing version 1 again, or under another patient: another filing got there first, or an id names someone else.
      for (const attempt of [{ record: { ...corrected, status: 'amended' as const }, replaces: 1 }, { record: { ...corrected, patientId: other.id }, replaces: 2 }]) {
        await expect(t.store.transaction((tx) => tx.observations.replace([attempt]))).rejects.toEqual(storeError('version-conflict'));
      }
      expect(await store.observations.get(first!.id)).toEqual(now);
      expect(await store.observations.history(first!.id)).toHaveLength(2);
    });

  describe('documents', () => {
    it('stores metadata and content, finds by uniqueId and entryUUID, and returns the exact bytes', async () => {
      const p = await store.patients.insert(aPatient());
      const { doc, content } = aDocument(p.id, 'Uitslag: HbA1c 53 mmol/mol');
      await store.documents.insert(doc, content);
      expect((await store.documents.getByUniqueId(doc.uniqueId))?.id).toBe(doc.id);
      expect((await store.documents.getByEntryUuid(doc.entryUuid.toUpperCase().replace('URN:UUID:', 'urn:uuid:')))?.id).toBe(doc.id);
      expect((await store.documents.get(doc.id))?.hash).toBe(doc.hash);
      expect(Buffer.from((await store.documents.getContent(doc.id))!)).toEqual(Buffer.from(content));
      await expect(store.documents.insert({ ...doc, id: randomUUID(), entryUuid: `urn:uuid:${randomUUID()}` }, content)).rejects.toEqual(storeError('duplicate'));
    });

    it('refuses content whose hash or size the metadata does not describe', async () => {
      const p = await store.patients.insert(aPatient());
      const { doc } = aDocument(p.id, 'one');
      await expect(store.documents.insert(doc, new TextEncoder().encode('two'))).rejects.toEqual(storeError('content-mismatch'));
      expect(await store.documents.get(doc.id)).toBeUndefined();
    });

    it('filters a patient’s documents by class, format, status and creation time', async () => {
      const p = await store.patients.insert(aPatient());
      const lab = aDocument(p.id, 'lab');
      const letter = aDocument(p.id, 'letter');
      letter.doc.classCode = { system: CodeSystems.loinc.uri, code: '34133-9' };
      letter.doc.creationTime = '2024-01-01T00:00:00Z';
      letter.doc.availabilityStatus = 'deprecated';
      await store.documents.insert(lab.doc, lab.content);
      await store.documents.insert(letter.doc, letter.content);
      const ids = async (q: Parameters<typeof store.documents.list>[1]) => (await store.documents.list(p.id, q)).map((d) => d.id);
      expect(await ids({})).toEqual([lab.doc.id, letter.doc.id]);
      expect(await ids({ classCodes: [`${CodeSystems.loinc.uri}|34133-9`] })).toEqual([letter.doc.id]);
      expect(await ids({ statuses: ['approved'] })).toEqual([lab.doc.id]);
      expect(await ids({ creationFrom: '2025-01-01' })).toEqual([lab.doc.id]);
      expect(await ids({ creationTo: '2025-01-01', formatCodes: [`${CodeSystems.iheFormatCode.uri}|urn:ihe:iti:xds:2017:mimeTypeSufficient`] })).toEqual([letter.doc.id]);
    });

    it('stores a newer version from one source and deprecates its others in one step; the version made last stays approved', async () => {
      const p = await store.patients.insert(aPatient());
      const [old, current, foreign] = [aDocument(p.id, 'v1'), aDocument(p.id, 'v2'), aDocument(p.id, 'lab')];
      old.doc.provenance = { source: 'summary' };
      current.doc.provenance = { source: 'summary' };
      for (const d of [old, foreign]) await store.documents.insert(d.doc, d.content);
      expect(await store.documents.replaceFromSource(current.doc, current.content)).toEqual({ stored: true, restored: false, deprecated: [old.doc.id] });
      expect((await store.documents.latestFromSource(p.id, 'summary'))?.id).toBe(current.doc.id);
      expect(await store.documents.latestFromSource(p.id, 'elsewhere')).toBeUndefined();
      expect((await store.documents.get(old.doc.id))?.availabilityStatus).toBe('deprecated');
      expect((await store.documents.list(p.id, { statuses: ['approved'] })).map((d) => d.id).sort()).toEqual([current.doc.id, foreign.doc.id].sort());
      expect(await store.documents.getContent(current.doc.id)).toEqual(current.content);
      // Made again by another process: nothing is stored twice and nothing else changes.
      expect(await store.documents.replaceFromSource(current.doc, current.content)).toEqual({ stored: false, restored: false, deprecated: [] });
      // Made again after a race left an older version made last: the one made last is the one approved.
      expect(await store.documents.replaceFromSource(old.doc, old.content)).toEqual({ stored: false, restored: true, deprecated: [current.doc.id] });
      expect((await store.documents.get(old.doc.id))?.availabilityStatus).toBe('approved');
      expect(await store.documents.replaceFromSource(current.doc, current.content)).toEqual({ stored: false, restored: true, deprecated: [old.doc.id] });
      expect((await store.documents.list(p.id, { statuses: ['approved'] })).map((d) => d.id).sort()).toEqual([current.doc.id, foreign.doc.id].sort());
      await expect(store.documents.replaceFromSource(current.doc, new Uint8Array([1]))).rejects.toMatchObject({ code: 'content-mismatch' });
    });

    it('registers each document with a submission set of its own, the same ids the canonical derivation gives, found by either id', async () => {
      const p = await store.patients.insert(aPatient());
      const a = aDocument(p.id, 'a');
      a.doc.serviceStopTime = '2025-03';
      a.doc.authors = [{ person: '^Jansen^Anna^^^Dr.', institutions: [], roles: [], specialties: [], telecom: [] }];
      const b = aDocument(p.id, 'b');
      await store.documents.insert(a.doc, a.content);
      await store.documents.insert(b.doc, b.content);
      const registered = await store.documents.registered(p.id);
      // Same creation time: newest first falls back to the id, descending.
      const byIdDescending = [a, b].sort((x, y) => (x.doc.id < y.doc.id ? 1 : -1));
      expect(registered.map((r) => [r.document.id, r.submissionSet])).toEqual(byIdDescending.map((d) => [d.doc.id, submissionSetOf(d.doc.entryUuid)]));
      const setOfA = submissionSetOf(a.doc.entryUuid);
      expect((await store.documents.registered(p.id, { submissionSets: [setOfA.uniqueId] })).map((r) => r.document.id)).toEqual([a.doc.id]);
      expect((await store.documents.registered(p.id, { submissionSets: [setOfA.entryUuid.toUpperCase().replace('URN:UUID:', 'urn:uuid:')] })).map((r) => r.document.id)).toEqual([a.doc.id]);
      expect((await store.documents.owners([setOfA.uniqueId, b.doc.entryUuid])).value.map((o) => o.uniqueId).sort()).toEqual([a.doc.uniqueId, b.doc.uniqueId].sort());
      expect((await store.documents.owners(['1.2.3.4'])).value).toEqual([]);
      const ids = async (q: Parameters<typeof store.documents.list>[1]) => (await store.documents.list(p.id, q)).map((d) => d.id);
      expect(await ids({ serviceStopFrom: '2025-03-01', serviceStopTo: '2025-04-01' })).toEqual([a.doc.id]);
      expect(await ids({ serviceStopFrom: '2025-03-02' })).toEqual([]);
      expect(await ids({ authorPersons: ['%Jansen%'] })).toEqual([a.doc.id]);
      expect(await ids({ authorPersons: ['^Jansen^_nna%', 'nobody'] })).toEqual([a.doc.id]);
      expect(await ids({ authorPersons: ['Jansen'] })).toEqual([]);
    });

    it('reads the registry listing and the record stamp in one statement that agrees with each on its own', async () => {
      const p = await store.patients.insert(aPatient());
      const empty = await store.documents.registeredWithStamp(p.id);
      expect(empty).toEqual({ stamp: await stampAlone(p.id), documents: [] });
      const [a, b] = [aDocument(p.id, 'a'), aDocument(p.id, 'b')];
      for (const d of [a, b]) await store.documents.insert(d.doc, d.content);
      const both = await store.documents.registeredWithStamp(p.id, { limit: 5 });
      expect(both).toEqual({ stamp: await stampAlone(p.id), documents: await store.documents.registered(p.id, { limit: 5 }) });
      expect(both!.documents).toHaveLength(2);
      expect((await store.documents.registeredWithStamp(p.id, { uniqueIds: [b.doc.uniqueId] }))!.documents.map((r) => r.document.id)).toEqual([b.doc.id]);
      expect((await store.documents.registeredWithStamp(p.id, { limit: 1 }))!.documents).toHaveLength(1);
      expect(await store.documents.registeredWithStamp(randomUUID())).toBeUndefined();
    });

    it('reads the listings and stamps of several patients in one statement, each as it is read alone', async () => {
      const [p, q, none] = [await store.patients.insert(aPatient()), await store.patients.insert(aPatient()), await store.patients.insert(aPatient())];
      const docs = [aDocument(p.id, 'a'), aDocument(q.id, 'b'), aDocument(p.id, 'c')];
      for (const d of docs) await store.documents.insert(d.doc, d.content);
      const ids = [q.id, randomUUID(), p.id, 'not-a-uuid', none.id, q.id];
      const many = await store.documents.registeredWithStampMany(ids, { limit: 5 });
      expect(many).toHaveLength(ids.length);
      for (const [i, id] of ids.entries()) {
        expect(many[i]).toEqual(id === 'not-a-uuid' ? undefined : await store.documents.registeredWithStamp(id, { limit: 5 }));
      }
      expect(many.map((r) => r?.documents.length)).toEqual([1, undefined, 2, undefined, 0, 1]);
      expect(many[2]!.stamp).toEqual(await stampAlone(p.id));
      // The filters and the limit apply to each patient's listing on its own.
      const filtered = await store.documents.registeredWithStampMany([p.id, q.id], { limit: 1, uniqueIds: [docs[0]!.doc.uniqueId, docs[1]!.doc.uniqueId] });
      expect(filtered.map((r) => r!.documents.map((d) => d.document.id))).toEqual([[docs[0]!.doc.id], [docs[1]!.doc.id]]);
    });
  });

  describe('inbound messages', () => {
    it('stores a message raw once per sender and message id, and recognises a redelivery', async () => {
      const raw = new TextEncoder().encode('<message/>');
      const sender = `his-${randomUUID()}`;
      const first = await store.inbound.receive({ sender, messageId: 'M1', format: 'ketenzorg-hl7v3', raw });
      expect(first).toMatchObject({ duplicate: false, contentDiffers: false, message: { status: 'received', attempts: 0, size: raw.byteLength } });
      const again = await store.inbound.receive({ sender, messageId: 'M1', format: 'ketenzorg-hl7v3', raw });
      expect(again).toMatchObject({ duplicate: true, contentDiffers: false, message: { id: first.message.id } });
      const changed = await store.inbound.receive({ sender, messageId: 'M1', format: 'ketenzorg-hl7v3', raw: new TextEncoder().encode('<other/>') });
      expect(changed.contentDiffers).toBe(true);
      expect(Buffer.from((await store.inbound.getRaw(first.message.id))!).toString()).toBe('<message/>');
      const other = await store.inbound.receive({ sender: `${sender}-b`, messageId: 'M1', format: 'ketenzorg-hl7v3', raw });
      expect(other.duplicate).toBe(false);
    });

    it('quarantines with reasons, then marks processed, counting attempts', async () => {
      const sender = `lab-${randomUUID()}`;
      const { message } = await store.inbound.receive({ sender, messageId: 'IC1', format: 'medlab-edifact', raw: new Uint8Array([0x55, 0x4e, 0x42]) });
      const issue = { severity: 'error' as const, code: 'truncated', message: 'UNZ missing', where: { segment: 'UNZ' } };
      const q = await store.inbound.markQuarantined(message.id, [issue]);
      expect(q).toMatchObject({ status: 'quarantined', attempts: 1, issues: [issue] });
      expect((await store.inbound.list({ status: 'quarantined', sender })).map((m) => m.id)).toEqual([message.id]);
      const done = await store.inbound.markProcessed(message.id);
      expect(done).toMatchObject({ status: 'processed', attempts: 2, issues: [] });
      expect(done.processedAt).toBeDefined();
      expect(await store.inbound.get(message.id)).toEqual(done);
      await expect(store.inbound.markProcessed(randomUUID())).rejects.toEqual(storeError('not-found'));
    });
  });

  describe('transactions', () => {
    it('commits everything a successful transaction wrote', async () => {
      const input = aPatient();
      await store.transaction(async (tx) => {
        await tx.patients.insert(input);
        await tx.observations.insertMany([anObservation(input.id)]);
      });
      expect((await store.observations.list(input.id)).items).toHaveLength(1);
    });

    it('leaves nothing behind when a transaction fails part-way, nested calls included', async () => {
      const input = aPatient();
      const before = await store.counts();
      const sender = `his-${randomUUID()}`;
      await expect(
        store.transaction(async (tx) => {
          await tx.inbound.receive({ sender, messageId: 'T1', format: 'ketenzorg-hl7v3', raw: new Uint8Array([1]) });
          await tx.patients.insert(input);
          await tx.transaction(async (inner) => inner.observations.insertMany([anObservation(input.id)]));
          await tx.patients.linkIdentifier(input.id, { system: 'urn:oid:1.2.3.5', value: 'L-1' }, 'test');
          throw new Error('filing failed');
        }),
      ).rejects.toThrow('filing failed');
      expect(await store.patients.get(input.id)).toBeUndefined();
      expect(await store.patients.findByIdentifier('urn:oid:1.2.3.5', 'L-1')).toBeUndefined();
      expect(await store.inbound.list({ sender })).toEqual([]);
      expect(await store.counts()).toEqual(before);
    });

    it('answers ping and counts', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      const counts = await store.counts();
      expect(counts.patients).toBeGreaterThan(10);
      expect(await store.patients.isEmpty()).toBe(false);
      expect(store.engine).toBe(engineUnderTest);
    });
  });
});
