import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { InboundMessage, type InboundPart } from '../../canonical/index.js';
import { tallyOutcome, type Tally } from './inbound.js';

const message = (id: string, status: InboundMessage['status']) => InboundMessage.parse({
  id, sender: 'lab', messageId: 'REF-1', format: 'medlab-edifact', status, receivedAt: '2026-12-07T01:00:00Z', attempts: 1, contentSha256: 'a'.repeat(64), size: 10,
});
const waiting = [{ status: 'waiting' }] as unknown as InboundPart[];
const empty = (): Tally => ({ filed: 0, waiting: 0, duplicates: 0, quarantined: [], unread: [], counted: new Set() });

describe('the ingest tally', () => {
  it('counts two copies of one message filed at once as one filed and one duplicate, whichever did the filing', () => {
    const id = randomUUID();
    // The copy that stored the message did not file it (the other copy took the lock first): neither says duplicate.
    const tally = empty();
    tallyOutcome(tally, 'b.edi', { duplicate: false, message: message(id, 'processed'), parts: waiting });
    tallyOutcome(tally, 'a.edi', { duplicate: false, message: message(id, 'processed'), parts: waiting });
    expect([tally.filed, tally.duplicates, tally.waiting]).toEqual([1, 1, 1]);
    // The usual order: the later copy says duplicate.
    const usual = empty();
    tallyOutcome(usual, 'a.edi', { duplicate: true, message: message(id, 'processed'), parts: waiting });
    tallyOutcome(usual, 'b.edi', { duplicate: false, message: message(id, 'processed'), parts: waiting });
    expect([usual.filed, usual.duplicates, usual.waiting]).toEqual([1, 1, 1]);
  });

  it('counts different messages each, quarantined ones with their reasons', () => {
    const tally = empty();
    tallyOutcome(tally, 'a.edi', { duplicate: false, message: message(randomUUID(), 'processed'), parts: [] });
    const bad = { ...message(randomUUID(), 'quarantined'), issues: [{ severity: 'error' as const, code: 'INVALID_BSN', message: 'BSN fails the 11-proef' }] };
    tallyOutcome(tally, 'b.edi', { duplicate: false, message: bad, parts: [] });
    expect(tally).toMatchObject({ filed: 1, duplicates: 0, quarantined: [{ file: 'b.edi', reasons: ['INVALID_BSN: BSN fails the 11-proef'] }] });
  });
});
