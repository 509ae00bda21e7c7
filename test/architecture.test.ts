import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * The import rules of ../shared/DESIGN.md, checked on every source file: imports point down the table, nothing
 * imports gateway/, and the pure layers (canonical, mappers, profiles) do no I/O.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MAY_IMPORT: Record<string, readonly string[]> = {
  canonical: [],
  profiles: ['canonical'],
  mappers: ['canonical', 'profiles'],
  identity: ['canonical', 'store'],
  consent: ['canonical', 'store'],
  audit: ['canonical', 'store'],
  store: ['canonical'],
  conformance: ['canonical', 'mappers', 'profiles'],
  fixtures: ['canonical'],
  gateway: ['canonical', 'profiles', 'mappers', 'identity', 'consent', 'audit', 'store', 'fixtures', 'gateway'],
};

/** Modules that reach the outside world or the clock's side effects; pure layers may not use them. */
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|dns|tls)$|^(pg|@electric-sql\/pglite|express|pino)$/;
const PURE = new Set(['canonical', 'mappers', 'profiles']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(pattern)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

const files = Object.keys(MAY_IMPORT).flatMap((folder) => {
  const dir = path.join(root, folder);
  try {
    return sourceFiles(dir).map((file) => ({ folder, file }));
  } catch {
    return [];
  }
});

describe('architecture', () => {
  it('finds the source folders it checks', () => {
    expect(new Set(files.map((f) => f.folder))).toEqual(new Set(['canonical', 'profiles', 'mappers', 'store', 'identity', 'consent', 'audit', 'gateway', 'fixtures']));
    expect(files.length).toBeGreaterThan(30);
  });

  it('imports only downwards, as DESIGN.md lays out', () => {
    const violations: string[] = [];
    for (const { folder, file } of files) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
        if (target !== folder && !MAY_IMPORT[folder]!.includes(target)) violations.push(`${path.relative(root, file)} imports ${target}/`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the pure layers free of I/O', () => {
    const violations: string[] = [];
    for (const { folder, file } of files.filter((f) => PURE.has(f.folder))) {
      for (const spec of importsOf(file)) if (IO_MODULES.test(spec)) violations.push(`${path.relative(root, file)} imports ${spec}`);
    }
    expect(violations).toEqual([]);
  });
});
