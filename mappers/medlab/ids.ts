import { createHash } from 'node:crypto';

/**
 * Record ids derived from where a record sits in an interchange, so a replayed interchange yields the same ids
 * and the store can tell a redelivery from new data. Name-based UUIDs (RFC 9562 version 5: SHA-1 of a namespace
 * and a name): no clock, no randomness.
 */
const NAMESPACE = Buffer.from('4b0d5c1e6f3a4e8b9c2d7a1f0e6b3c58', 'hex');

export function nameBasedUuid(parts: readonly string[]): string {
  // Lengths first, so ("ab", "c") and ("a", "bc") cannot name the same record.
  const name = parts.map((p) => `${p.length}:${p}`).join('|');
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The scope all ids of one message share: sender mailbox, interchange reference, message reference and position. */
export interface MessageScope {
  readonly sender: string;
  readonly interchangeRef: string;
  readonly messageRef: string;
  readonly messageIndex: number;
}

export function recordId(scope: MessageScope, kind: string, position?: number): string {
  return nameBasedUuid([scope.sender, scope.interchangeRef, scope.messageRef, String(scope.messageIndex), kind, ...(position !== undefined ? [String(position)] : [])]);
}

/**
 * Ids that follow the lab's own order number (IDE element 2, unique within the lab that sends it), so what a lab
 * sends about an order again names the same records: the complete report after an incomplete one, a changed
 * result, the same results in a new interchange. A result is its test's code (or, pending, its name) in the order,
 * with its place among the order's results of that test (a second glucose in the same order is another record).
 */
export function orderRecordId(sender: string, orderNumber: string, part?: { readonly test: string; readonly occurrence: number }): string {
  return nameBasedUuid([sender, 'order', orderNumber, ...(part ? [part.test, String(part.occurrence)] : [])]);
}
