import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Checkpoint, Store } from '../store/index.js';
import { checkTail } from './verify.js';

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

/** The chain does not link on from its latest checkpoint: nothing may be signed over it. */
export class AuditChainBroken extends Error {
  constructor(readonly seq: number, readonly reason: string) {
    super(`the audit chain does not verify at record ${seq} (${reason}): no checkpoint was signed; run crossgate audit verify`);
    this.name = 'AuditChainBroken';
  }
}

/**
 * Signs the current chain head with the gateway's Ed25519 key and keeps the checkpoint (once per position), after
 * checking that the records since the latest checkpoint link on from it: a checkpoint signed over a changed record
 * would vouch for the change. Throws AuditChainBroken, signing nothing, when they do not.
 */
export async function signCheckpoint(store: Store, key: { privateKey: KeyObject; keyId: string }, now: Date): Promise<Checkpoint | undefined> {
  const { head, broken } = await checkTail(store);
  if (broken) throw new AuditChainBroken(broken.seq, broken.reason);
  if (head.seq === 0) return undefined;
  const draft = { seq: head.seq, hash: head.hash, signedAt: now.toISOString() };
  const checkpoint: Checkpoint = { ...draft, keyId: key.keyId, signature: sign(null, checkpointMessage(draft), key.privateKey).toString('base64') };
  await store.audit.addCheckpoint(checkpoint);
  return checkpoint;
}
