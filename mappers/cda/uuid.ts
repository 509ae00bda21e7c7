import { createHash } from 'node:crypto';

/**
 * 128 bits from SHA-256 of a label and parts, shaped as an RFC 9562 version 8 UUID (the version for
 * application-defined bits): ids derived this way are the same on every rendering of the same data and differ
 * whenever any part differs, without a clock or a random source.
 */
export function derivedUuidBytes(label: string, ...parts: readonly string[]): Buffer {
  const hash = createHash('sha256');
  hash.update(label);
  // Length-prefixed, so no two different part lists hash the same bytes.
  for (const p of parts) hash.update(`${p.length}:${p}`);
  const bytes = hash.digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

export function derivedUuid(label: string, ...parts: readonly string[]): string {
  const hex = derivedUuidBytes(label, ...parts).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
