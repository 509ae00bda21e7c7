import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLI, requireBuiltCli } from './support/cli.js';

const run = promisify(execFile);
const KEYS = path.join(path.dirname(CLI), '..', 'keys.js');
let dir: string;

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(path.join(tmpdir(), 'crossgate-keys-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('keys kept in the data directory', () => {
  it('gives processes that start together on one data directory the same keys, and leaves no stray files', async () => {
    // Each process waits for the same instant, then reads or makes both keys, as `crossgate start` does.
    const at = Date.now() + 1500;
    const script = `
      const { auditSigningKeyPem, cookieKey } = await import(${JSON.stringify(KEYS)});
      while (Date.now() < ${at});
      const config = { database: { dataDir: ${JSON.stringify(dir)} }, audit: {} };
      console.log(JSON.stringify([auditSigningKeyPem(config).pem, cookieKey(config).key.toString('base64')]));`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['--input-type=module', '-e', script])));
    const keys = new Set(answers.map((a) => a.stdout.trim()));
    expect(keys.size).toBe(1);
    expect(JSON.parse([...keys][0]!)[0]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await readdir(dir)).sort()).toEqual(['audit-signing-key.pem', 'secret.key']);
  });
});
