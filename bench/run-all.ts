/**
 * Runs every benchmark in this directory (each top-level module except this one), one after another, each in
 * its own process so one bench's memory and connections cannot colour the next one's figures.
 *
 *   npm run bench
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);

function run(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: 'inherit' });
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
