import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { keyIdOf } from '../../audit/index.js';
import type { Checkpoint } from '../../store/index.js';

const KeptCheckpoint = z.object({
  seq: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
  signedAt: z.string().min(1),
  keyId: z.string().min(1),
  signature: z.string().min(1),
});

/** What `GET /audit/checkpoints` answers (all of them) or `crossgate audit checkpoint` prints (one), kept as is. */
const KeptFile = z.union([
  z.object({ publicKey: z.string().min(1), checkpoints: z.array(KeptCheckpoint).min(1) }),
  z.object({ publicKey: z.string().min(1), checkpoint: KeptCheckpoint }),
]);

/**
 * Reads checkpoints an officer kept outside the database, with the public key kept beside them; every checkpoint
 * must name that key. Throws naming the file and what is wrong.
 */
export function readKeptCheckpoints(file: string): { checkpoints: Checkpoint[]; publicKey: KeyObject; keyId: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not a JSON file (${(error as Error).message})`);
  }
  const parsed = KeptFile.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file}: not checkpoints as GET /audit/checkpoints or crossgate audit checkpoint give them: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`).join('; ')}`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(parsed.data.publicKey);
  } catch {
    throw new Error(`${file}: publicKey is not a PEM public key`);
  }
  const keyId = keyIdOf(publicKey);
  const checkpoints = 'checkpoints' in parsed.data ? parsed.data.checkpoints : [parsed.data.checkpoint];
  const other = checkpoints.find((c) => c.keyId !== keyId);
  if (other) throw new Error(`${file}: checkpoint ${other.seq} names key ${other.keyId}, not the key kept with it (${keyId})`);
  return { checkpoints, publicKey, keyId };
}
