import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { NODE_FLAGS } from '../gateway/cli/node-flags.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const flags = NODE_FLAGS.join(' ');

// The benches start their gateway processes with NODE_FLAGS; every way of running the gateway must use the same,
// or the figures in bench/RESULTS.md describe a process nobody runs.
describe('the gateway runs with NODE_FLAGS wherever it is started', () => {
  it('npm start and npm run crossgate', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start']).toBe(`node ${flags} dist/gateway/cli/main.js start`);
    expect(scripts['crossgate']).toMatch(new RegExp(`&& node ${flags} dist/gateway/cli/main\\.js$`));
  });

  it('the crossgate command, through its #! line', () => {
    expect(read('gateway/cli/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it('the Docker image', () => {
    const cmd = read('Dockerfile').split('\n').find((line) => line.startsWith('CMD '));
    expect(JSON.parse(cmd!.slice(4))).toEqual(['node', ...NODE_FLAGS, 'dist/gateway/cli/main.js', 'start']);
  });
});
