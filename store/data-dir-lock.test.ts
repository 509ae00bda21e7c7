import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openStore } from './open.js';

/** The embedded engine alone: whatever engine the suite runs on, this guards PGlite's data directory. */
const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'crossgate-lock-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the embedded database lock', () => {
  it('holds the lock while open and releases it on close', async () => {
    const dir = freshDir();
    const store = await openStore({ dataDir: dir });
    expect(readFileSync(path.join(dir, 'crossgate.lock'), 'utf8')).toBe(String(process.pid));
    await store.close();
    expect(existsSync(path.join(dir, 'crossgate.lock'))).toBe(false);
  });

  it('refuses a data directory another live process holds, naming it', async () => {
    const dir = freshDir();
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(path.join(dir, 'crossgate.lock'), String(holder.pid));
      await expect(openStore({ dataDir: dir })).rejects.toThrow(`in use by process ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = freshDir();
    const gone = spawn('true');
    await new Promise((r) => gone.on('close', r));
    writeFileSync(path.join(dir, 'crossgate.lock'), String(gone.pid));
    const store = await openStore({ dataDir: dir });
    expect((await store.counts()).patients).toBe(0);
    await store.close();
  });
});
