import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * This gateway's version, from package.json: beside the source tree when run from source, one level further up
 * when run from dist/. Read once at start; the CapabilityStatement and the service summary report it.
 */
function readVersion(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, '..', 'package.json'), path.join(here, '..', '..', 'package.json')]) {
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === 'crossgate' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // not at this level: try the next one
    }
  }
  throw new Error('package.json of crossgate not found beside the gateway');
}

export const GATEWAY_VERSION = readVersion();
