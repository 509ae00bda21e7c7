import { hash } from 'node:crypto';

/**
 * Record ids as RFC 9562 version-5 UUIDs of (message id, position): a replayed or redelivered message maps to
 * the same ids, so storing it twice is visibly the same record rather than a duplicate.
 */
const NAMESPACE = Buffer.from('5b0f7c1e0d6a4b7e9c3f2a8d41e6b9c0', 'hex');

export function stableId(...parts: readonly (string | number)[]): string {
  // One-shot hashing: a Hash object per id was a measurable part of mapping a message.
  const digest = hash('sha1', Buffer.concat([NAMESPACE, Buffer.from(parts.join('\u001f'), 'utf8')]), 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
