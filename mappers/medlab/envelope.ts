import type { Issue } from '../../canonical/index.js';
import { issueAt, valueOf } from './issues.js';
import type { Interchange, Segment } from './syntax.js';

/**
 * The envelope of an interchange: UNB … UNZ around UNH … UNT messages, with the counts and references checked.
 * A count or reference that disagrees is a warning (public samples have them); a missing UNB, UNT or UNZ means the
 * transfer is incomplete and is an error that rejects the whole interchange.
 */
export interface MessageView {
  /** Position of the message in the interchange, from 0: with the references it makes replay ids stable. */
  readonly index: number;
  readonly reference: string;
  /** The message identifier composite of UNH (`MEDLAB:1` → MEDLAB, 1). */
  readonly type: readonly string[];
  /** UNH up to and including UNT (without it when UNT is missing). */
  readonly segments: readonly Segment[];
  readonly complete: boolean;
}

export interface Envelope {
  readonly sender?: string;
  readonly recipient?: string;
  readonly reference?: string;
  /** UNB element 4 as written: YYMMDD (or CCYYMMDD) and HHMM. */
  readonly prepared?: { readonly date: string; readonly time: string };
  readonly messages: readonly MessageView[];
  readonly issues: readonly Issue[];
}

interface OpenMessage {
  readonly header: Segment;
  readonly segments: Segment[];
}

export function readEnvelope(interchange: Pick<Interchange, 'segments'>): Envelope {
  const segments = interchange.segments;
  const issues: Issue[] = [];
  const messages: MessageView[] = [];
  const header = segments[0]?.tag === 'UNB' ? segments[0] : undefined;
  if (!header) {
    issues.push(
      segments[0]
        ? issueAt('error', 'MISSING_UNB', 'The interchange does not start with a UNB segment', segments[0])
        : { severity: 'error', code: 'MISSING_UNB', message: 'The interchange is empty', where: { segment: 'UNB' } },
    );
  }
  let open: OpenMessage | undefined;
  let trailer: Segment | undefined;
  const close = (unt: Segment | undefined) => {
    if (!open) return;
    if (unt) open.segments.push(unt);
    else issues.push(issueAt('error', 'MISSING_UNT', 'The message has no UNT: the transfer is incomplete', open.header));
    messages.push({
      index: messages.length,
      reference: valueOf(open.header, 1),
      type: (open.header.elements[1] ?? []).map((v) => v.trim()),
      segments: open.segments,
      complete: unt !== undefined,
    });
    if (unt) checkTrailer(open.header, unt, open.segments.length, issues);
    open = undefined;
  };
  for (const segment of segments.slice(header ? 1 : 0)) {
    if (trailer) {
      issues.push(issueAt('warning', 'SEGMENT_AFTER_UNZ', 'A segment follows the UNZ; it was kept but not read', segment));
    } else if (segment.tag === 'UNH') {
      close(undefined);
      open = { header: segment, segments: [segment] };
    } else if (segment.tag === 'UNT' && open) {
      close(segment);
    } else if (segment.tag === 'UNZ') {
      close(undefined);
      trailer = segment;
    } else if (open) {
      open.segments.push(segment);
    } else {
      issues.push(issueAt('warning', 'SEGMENT_OUTSIDE_MESSAGE', 'A segment stands outside any UNH … UNT message; it was kept but not read', segment));
    }
  }
  close(undefined);
  if (!trailer) {
    issues.push({ severity: 'error', code: 'MISSING_UNZ', message: 'The interchange has no UNZ: the transfer is incomplete', where: { segment: 'UNZ' } });
  }
  if (header) issues.push(...checkHeader(header));
  if (header && trailer) issues.push(...checkUnz(header, trailer, messages.length));
  return {
    ...(header ? headerFields(header) : {}),
    messages,
    issues,
  };
}

function headerFields(unb: Segment): Pick<Envelope, 'sender' | 'recipient' | 'reference' | 'prepared'> {
  const [sender, recipient, reference, date, time] = [valueOf(unb, 2), valueOf(unb, 3), valueOf(unb, 5), valueOf(unb, 4, 1), valueOf(unb, 4, 2)];
  return {
    ...(sender ? { sender } : {}),
    ...(recipient ? { recipient } : {}),
    ...(reference ? { reference } : {}),
    ...(date ? { prepared: { date, time } } : {}),
  };
}

/** The sender and the reference scope every id we derive and every replay check: without them nothing is filed. */
function checkHeader(unb: Segment): Issue[] {
  const issues: Issue[] = [];
  if (!valueOf(unb, 2)) issues.push(issueAt('error', 'MISSING_SENDER', 'UNB names no sender', unb, 2));
  if (!valueOf(unb, 3)) issues.push(issueAt('warning', 'MISSING_RECIPIENT', 'UNB names no recipient', unb, 3));
  if (!valueOf(unb, 5)) issues.push(issueAt('error', 'MISSING_INTERCHANGE_REF', 'UNB carries no interchange reference', unb, 5));
  return issues;
}

function checkTrailer(unh: Segment, unt: Segment, count: number, issues: Issue[]): void {
  if (valueOf(unt, 1) !== String(count)) {
    issues.push(issueAt('warning', 'UNT_COUNT_MISMATCH', `UNT gives a segment count other than the ${count} segments of the message`, unt, 1));
  }
  if (valueOf(unt, 2) !== valueOf(unh, 1)) {
    issues.push(issueAt('warning', 'UNT_REFERENCE_MISMATCH', 'UNT carries a message reference other than its UNH', unt, 2));
  }
}

function checkUnz(unb: Segment, unz: Segment, count: number): Issue[] {
  const issues: Issue[] = [];
  if (valueOf(unz, 1) !== String(count)) {
    issues.push(issueAt('warning', 'UNZ_COUNT_MISMATCH', `UNZ gives a message count other than the ${count} messages of the interchange`, unz, 1));
  }
  if (valueOf(unz, 2) !== valueOf(unb, 5)) {
    issues.push(issueAt('warning', 'UNZ_REFERENCE_MISMATCH', 'UNZ carries an interchange reference other than its UNB', unz, 2));
  }
  return issues;
}
