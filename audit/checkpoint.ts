import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Checkpoint, Store } from '../store/index.js';

/** What a checkpoint signs: the chain position, its hash and the time, in one fixed text. */
export function checkpointMessage(c: Pick<Checkpoint, 'seq' | 'hash' | 'signedAt'>): Buffer {
  return Buffer.from(`crossgate-audit-checkpoint\n${c.seq}\n${c.hash}\n${c.signedAt}`);
}

/** The key id: the SHA-256 of the raw public key, so an exported checkpoint names the key that verifies it. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

export function newSigningKey(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function loadSigningKey(pem: string): { privateKey: KeyObject; publicKey: KeyObject; keyId: string } {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 private key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** Signs the current chain head with the gateway's Ed25519 key and keeps the checkpoint (once per position). */
export async function signCheckpoint(store: Store, key: { privateKey: KeyObject; keyId: string }, now: Date): Promise<Checkpoint | undefined> {
  const head = await store.audit.head();
  if (head.seq === 0) return undefined;
  const draft = { seq: head.seq, hash: head.hash, signedAt: now.toISOString() };
  const checkpoint: Checkpoint = { ...draft, keyId: key.keyId, signature: sign(null, checkpointMessage(draft), key.privateKey).toString('base64') };
  await store.audit.addCheckpoint(checkpoint);
  return checkpoint;
}
