import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, openStore, type RootStore } from '../store/index.js';
import { createTestDatabase, engineUnderTest, type TestDatabase } from './support/database.js';
import { requireBuiltCli, runCli } from './support/cli.js';
import { inboundAudit } from './inbound-helpers.js';

/** `crossgate ingest` and `crossgate inbound list|replay` as an operator runs them, on the configured database. */
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const lab = (name: string) => path.join(fixtures, 'medlab', name);
const ketenzorg = (name: string) => path.join(fixtures, 'ketenzorg', name);

let database: TestDatabase;
let workDir: string;
let env: NodeJS.ProcessEnv;
let labConnection: string;
let hisConnection: string;

/** The CLI holds PGlite's data directory while it runs, so the test opens the store only between commands. */
async function withStore<T>(fn: (store: RootStore) => Promise<T>): Promise<T> {
  const store = await openStore(database.options.databaseUrl ? database.options : { dataDir: path.join(workDir, 'data') });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  requireBuiltCli();
  database = await createTestDatabase();
  workDir = mkdtempSync(path.join(tmpdir(), 'crossgate-ingest-'));
  env = database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {};
  [labConnection, hisConnection] = await withStore(async (store) => {
    const org = await store.organizations.save({ id: randomUUID(), name: 'Archief Voorbeeld' });
    const ids: string[] = [];
    for (const kind of ['lab', 'his'] as const) {
      const c = await store.connections.create({ id: randomUUID(), organizationId: org.id, kind, name: `${kind} archive` });
      await store.connections.setStatus(c.id, 'active');
      ids.push(c.id);
    }
    return ids as [string, string];
  });
});
afterAll(async () => {
  await database.drop();
  rmSync(workDir, { recursive: true, force: true });
});

describe(`crossgate ingest on ${engineUnderTest}`, () => {
  it('loads lab archives through the pipeline and sums up what was filed, repeated, quarantined and not read; exit 1', async () => {
    const result = await runCli([
      'ingest', '--sender', labConnection,
      lab('results-flags-remarks.edi'), lab('multiple-messages.edi'), lab('invalid-bsn.edi'), lab('truncated.edi'), lab('patient-without-bsn.edi'),
      lab('results-flags-remarks.edi'), ketenzorg('dm2.xml'), lab('no-such-file.edi'),
    ], env, workDir);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^ingested 8 files in [\d.]+ s: 2 filed \(1 parts waiting for a patient match\), 1 duplicates, 3 quarantined, 2 not read$/);
    expect(result.stdout).toContain(`  ${lab('invalid-bsn.edi')}\n    INVALID_BSN: PID element 5: BSN fails the 11-proef`);
    expect(result.stdout).toMatch(/multiple-messages\.edi\n\s+UNSUPPORTED_MESSAGE_TYPE/);
    expect(result.stdout).toContain(`  ${ketenzorg('dm2.xml')}: a ketenzorg message, but the sender is a lab connection`);
    expect(result.stdout).toContain(`  ${lab('no-such-file.edi')}: ENOENT`);
    expect(result.stderr).not.toMatch(/ingesting/);
  });

  it('counts a message given several times at once as filed once and the other copies as duplicates', async () => {
    const stored = () => withStore(async (store) => (await store.inbound.list({ sender: labConnection, limit: 1000 })).length);
    const before = await stored();
    const copies = Array.from({ length: 8 }, () => lab('latin1-names.edi'));
    const result = await runCli(['ingest', '--sender', labConnection, '--concurrency', '8', ...copies], env, workDir);
    expect(result.stdout.split('\n')[0]).toMatch(/^ingested 8 files in [\d.]+ s: 1 filed \(\d+ parts waiting for a patient match\), 7 duplicates, 0 quarantined, 0 not read$/);
    expect(await stored()).toBe(before + 1);
  });

  it('loads ketenzorg archives from a GP system, lists what was quarantined with its reasons, and replays it once the fault is fixed', async () => {
    // The database refuses CVRM's hypertension concern only: the other messages are filed, that one is kept whole.
    await withDatabase(`
      CREATE FUNCTION inbound_cli_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.code LIKE '%|K86%' THEN RAISE EXCEPTION 'simulated outage'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER inbound_cli_fail BEFORE INSERT ON conditions FOR EACH ROW EXECUTE FUNCTION inbound_cli_fail();`);
    const ingested = await runCli(['ingest', '--sender', hisConnection, ketenzorg('dm2.xml'), ketenzorg('copd.xml'), ketenzorg('cvrm.xml')], env, workDir);
    expect(ingested.code).toBe(1);
    expect(ingested.stdout).toMatch(/^ingested 3 files in [\d.]+ s: 2 filed \(0 parts waiting for a patient match\), 0 duplicates, 1 quarantined, 0 not read\n/);
    expect(ingested.stdout).toMatch(/cvrm\.xml\n\s+FILING_FAILED: filing failed in the database \(SQLSTATE P0001\)/);

    const listed = await runCli(['inbound', 'list', '--status', 'quarantined', '--sender', hisConnection], env, workDir);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.includes('CVRM-BATCH'))!;
    expect(line).toMatch(/ketenzorg-hl7v3 .*: quarantined \(attempt 1;/);
    const id = line.split(' ')[0]!;

    await withDatabase('DROP TRIGGER inbound_cli_fail ON conditions');
    const replayed = await runCli(['inbound', 'replay', id], env, workDir);
    expect(replayed).toMatchObject({ code: 0, stdout: expect.stringMatching(/: processed \(attempt 2; parts 1 filed, 0 waiting for a patient match, 0 quarantined\)\n$/) });
    const trail = await withStore((store) => inboundAudit(store));
    // Files are ingested four at a time: their records reach the trail in any order.
    expect(trail.filter((r) => r.transaction === 'inbound-ketenzorg').map((r) => `${r.action} ${r.outcome} ${r.actor.name?.replace(/ by .*/, '')}`).sort()).toEqual([
      'receive failure crossgate ingest', 'receive success crossgate ingest', 'receive success crossgate ingest', 'replay success crossgate inbound replay',
    ]);
  });
});

/** Runs SQL on the test database outside any command (to make the database fail, and to repair it). */
async function withDatabase(sql: string): Promise<void> {
  const db = await openDatabase(database.options.databaseUrl ? database.options : { dataDir: path.join(workDir, 'data') });
  try {
    await db.exec(sql);
  } finally {
    await db.close();
  }
}
