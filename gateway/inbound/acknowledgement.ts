import { hasErrors, type InboundMessage, type InboundPart, type Issue } from '../../canonical/index.js';

/**
 * The verdict every acknowledgement carries, in HL7's terms (both formats use them):
 * AA — everything was filed (or waits for staff to match the patient: that is ours to do, not the sender's);
 * AE — something was not filed: a record with an error, a part quarantined while others were filed, or a
 *      problem on our side (the database failed, a format we cannot read yet); the message is kept and replayable;
 * AR — the message was refused for what it contains (a broken transfer, an invalid BSN, an interaction we do not
 *      accept): nothing of it was filed; it is kept in quarantine, but the sender has to correct and resend it.
 */
export type AckCode = 'AA' | 'AE' | 'AR';

/** Problems on our side: the sender need change nothing, we replay the message once fixed. */
const RECEIVER_SIDE: ReadonlySet<string> = new Set(['FILING_FAILED', 'OZIS_EDIFACT_UNSUPPORTED']);

export function ackCode(message: InboundMessage, parts: readonly InboundPart[]): AckCode {
  if (message.status === 'quarantined') {
    if (message.issues.some((i) => RECEIVER_SIDE.has(i.code))) return 'AE';
    return parts.some((p) => p.status !== 'quarantined') ? 'AE' : 'AR';
  }
  if (message.status === 'received') return 'AE';
  return hasErrors(message.issues) || parts.some((p) => hasErrors(p.issues)) ? 'AE' : 'AA';
}

/** An issue as the acknowledgements list it: where it sits, flat, and which part (by the sender's references). */
export interface Problem {
  readonly severity: Issue['severity'];
  readonly code: string;
  readonly message: string;
  readonly path?: string;
  readonly segment?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
}

export function problemOf(issue: Issue): Problem {
  return { severity: issue.severity, code: issue.code, message: issue.message, ...(issue.where ?? {}) };
}

export const FILING_FAILED = 'FILING_FAILED';
