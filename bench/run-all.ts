/**
 * Runs every benchmark in this directory (each top-level module except this one), one after another, each in
 * its own process so one bench's memory and connections cannot colour the next one's figures, with the V8 flags
 * the gateway runs with (a bench that runs gateway code in its own process measures it as `crossgate` runs it).
 *
 *   npm run bench
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../gateway/cli/node-flags.js';

const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);

function run(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, file], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const benches = (await readdir(here, { withFileTypes: true }))
  .filter((e) => e.isFile() && e.name.endsWith('.js') && path.join(here, e.name) !== self)
  .map((e) => e.name)
  .sort();

const failed: string[] = [];
for (const bench of benches) {
  process.stderr.write(`== bench ${bench}\n`);
  if ((await run(path.join(here, bench))) !== 0) failed.push(bench);
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
