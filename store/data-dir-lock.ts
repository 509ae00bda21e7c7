import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors.js';

/**
 * PGlite is one process's database: a second process opening the same data directory would corrupt it. The
 * lock file holds the owner's pid; a lock whose process is gone is stale and taken over.
 */
export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'crossgate.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new StoreError('invalid-state', `the embedded database in ${dataDir} is in use by process ${owner}; stop it first, or use PostgreSQL (DATABASE_URL) to share a database`);
      }
      unlinkSync(file);
    }
  }
  throw new StoreError('invalid-state', `could not lock the embedded database in ${dataDir}`);
}
