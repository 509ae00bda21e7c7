import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newSigningKey } from '../audit/index.js';
import type { Config } from './config.js';

/**
 * Keys the gateway needs, from configuration or else made once and kept (mode 0600) in the data directory, so
 * a single embedded gateway needs no setup. Several processes must be configured with the same keys.
 */
function readOrCreate(dataDir: string, name: string, make: () => string): { text: string; created: boolean } {
  const file = path.join(dataDir, name);
  try {
    return { text: readFileSync(file, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const text = make();
  // Written whole under a name of its own, then linked into place: processes starting together on one data
  // directory each make a key, one link wins, and the others read the winner's complete file.
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(own, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(own, file);
    return { text, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { text: readFileSync(file, 'utf8'), created: false };
  } finally {
    unlinkSync(own);
  }
}

/** Signs cookies (trusted devices): at least 32 random bytes. */
export function cookieKey(config: Config): { key: Buffer; fromDataDir: boolean } {
  if (config.secretKey) return { key: config.secretKey, fromDataDir: false };
  const { text } = readOrCreate(config.database.dataDir, 'secret.key', () => `${randomBytes(32).toString('base64')}\n`);
  return { key: Buffer.from(text.trim(), 'base64'), fromDataDir: true };
}

/** Signs audit checkpoints: an Ed25519 private key in PKCS#8 PEM. */
export function auditSigningKeyPem(config: Config): { pem: string; fromDataDir: boolean } {
  if (config.audit.signingKeyPem) return { pem: config.audit.signingKeyPem, fromDataDir: false };
  return { pem: readOrCreate(config.database.dataDir, 'audit-signing-key.pem', newSigningKey).text, fromDataDir: true };
}
