import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, engineUnderTest, type TestDatabase } from './support/database.js';
import { requireBuiltCli, runCli, startCli } from './support/cli.js';
import { loadMigrations, openDatabase, openStore } from '../store/index.js';
import { createAuditAppender } from '../audit/index.js';

let database: TestDatabase;
let workDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  requireBuiltCli();
  database = await createTestDatabase();
  workDir = mkdtempSync(path.join(tmpdir(), 'crossgate-cli-'));
  env = database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {};
});
afterAll(async () => {
  await database.drop();
  rmSync(workDir, { recursive: true, force: true });
});

describe(`the crossgate command on ${engineUnderTest}`, () => {
  it('migrates an empty database, then finds nothing to do', async () => {
    const first = await runCli(['migrate'], env, workDir);
    const versions = (await loadMigrations()).map((m) => m.version).join(', ');
    expect(first).toMatchObject({ code: 0, stdout: `applied migrations ${versions}\n` });
    const second = await runCli(['migrate'], env, workDir);
    expect(second).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
  });

  it('seeds synthetic patients, and seeding again adds only the missing ones', async () => {
    const first = await runCli(['seed', '--patients', '15'], env, workDir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^seeded 15 patients \(0 already present\), \d+ observations, \d+ documents in [\d.]+ s\n$/);
    const second = await runCli(['seed', '--patients', '20'], env, workDir);
    expect(second.stdout).toMatch(/^seeded 5 patients \(15 already present\)/);
  });

  it('starts on the configured database, serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const started = await startCli({ ...env, PORT: '0', HOST: '127.0.0.1' }, workDir);
    try {
      const health = await fetch(`${started.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${started.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', database: engineUnderTest });
    } finally {
      started.child.kill('SIGTERM');
    }
    expect(await started.exited).toBe(0);
    const messages = started.logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toContain('stopped');
    expect(messages).not.toContain('empty database: demo data seeded');
  });

  it('seeds a demo set into an empty database on start when demo data is on', async () => {
    const fresh = await createTestDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'crossgate-demo-'));
    const freshEnv = fresh.options.databaseUrl ? { DATABASE_URL: fresh.options.databaseUrl } : {};
    try {
      const started = await startCli({ ...freshEnv, PORT: '0', HOST: '127.0.0.1', CROSSGATE_DEMO_DATA: 'on', CROSSGATE_DEMO_PATIENTS: '12' }, dir);
      const summary = (await (await fetch(`${started.url}/`)).json()) as { records: { patients: number; observations: number } };
      expect(summary.records.patients).toBe(12);
      expect(summary.records.observations).toBeGreaterThan(0);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      const seeded = started.logs.map((l) => JSON.parse(l) as { msg: string; created?: number }).find((l) => l.msg === 'empty database: demo data seeded');
      expect(seeded?.created).toBe(12);
      const store = await openStore(fresh.options.databaseUrl ? fresh.options : { dataDir: path.join(dir, 'data') });
      try {
        expect((await store.counts()).patients).toBe(12);
      } finally {
        await store.close();
      }
    } finally {
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verifies the audit trail, signs a checkpoint, and names a record changed behind its back', async () => {
    const empty = await runCli(['audit', 'verify'], env, workDir);
    expect(empty).toMatchObject({ code: 0 });
    expect(empty.stdout).toMatch(/^verified \d+ records \(head \d+\) and 0 signed checkpoints in [\d.]+ s \(\d+ records\/s\)\n$/);
    const store = await openStore(database.options.databaseUrl ? database.options : { dataDir: path.join(workDir, 'data') });
    try {
      const appender = createAuditAppender(store);
      for (let i = 0; i < 5; i++) await appender.append({ transaction: 'security', action: `cli-${i}`, outcome: 'success', actor: { type: 'system' } });
    } finally {
      await store.close();
    }
    const signed = await runCli(['audit', 'checkpoint'], env, workDir);
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ checkpoint: { seq: expect.any(Number) }, publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
    expect((await runCli(['audit', 'verify'], env, workDir)).stdout).toMatch(/and 1 signed checkpoints/);
    // The checkpoint as an officer keeps it outside the database, with its public key.
    const keptFile = path.join(workDir, 'kept-checkpoint.json');
    writeFileSync(keptFile, signed.stdout);
    const withKept = await runCli(['audit', 'verify', '--checkpoints', keptFile], env, workDir);
    expect(withKept).toMatchObject({ code: 0, stdout: expect.stringMatching(/and 1 signed checkpoints, and 1 kept outside \(key [0-9a-f]{32}\) in/) });
    writeFileSync(keptFile, JSON.stringify({ publicKey: 'not a key', checkpoints: [] }));
    const badKept = await runCli(['audit', 'verify', '--checkpoints', keptFile], env, workDir);
    expect(badKept.code).toBe(1);
    expect(badKept.stderr).toMatch(/kept-checkpoint\.json: not checkpoints as GET \/audit\/checkpoints or crossgate audit checkpoint give them/);

    const tamper = await openDatabase(database.options.databaseUrl ? database.options : { dataDir: path.join(workDir, 'data') });
    try {
      await tamper.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query(`UPDATE audit_records SET body = replace(body, 'cli-2', 'cli-X') WHERE body LIKE '%cli-2%'`);
      });
      const seq = (await tamper.query<{ seq: number }>(`SELECT seq FROM audit_records WHERE body LIKE '%cli-X%'`))[0]!.seq;
      await tamper.close();
      const broken = await runCli(['audit', 'verify'], env, workDir);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toBe(`NOT VERIFIED: record ${seq}: hash does not match the record content (${seq - 1} records before it verified)\n`);
    } catch (error) {
      await tamper.close().catch(() => undefined);
      throw error;
    }
  });

  it('refuses bad configuration and bad arguments with a message naming them', async () => {
    const badPort = await runCli(['start'], { ...env, PORT: 'eighty' }, workDir);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('PORT: must be a whole number');
    const badCount = await runCli(['seed', '--patients', '0'], env, workDir);
    expect(badCount.code).not.toBe(0);
    expect(badCount.stderr).toMatch(/--patients <n>.*must be a whole number from 1 to/);
    const unknown = await runCli(['frobnicate'], env, workDir);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});
