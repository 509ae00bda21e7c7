import { CareProgramCode, type Issue } from '../../canonical/index.js';
import { canonicalJson } from '../../audit/index.js';
import { amsterdamOffset } from '../../mappers/ketenzorg/datatypes.js';

/**
 * How a record sent again relates to the version filed: the same (what the sender says did not change), or a
 * correction that is newer, older or of an order the message times cannot tell. Pure: filing.ts does the reads
 * and the writes.
 */
export type Verdict = 'same' | 'applied' | 'older' | 'unordered' | 'other-test';

export type RecordKind = 'observations' | 'conditions' | 'enrolments' | 'reports';

/** Fields that name stored parties: a party found again by another route may have been stored twice. */
export const PARTY_FIELDS = [
  'performerOrganizationId', 'performerPractitionerId', 'requesterPractitionerId', 'organizationId', 'practitionerId', 'recorderPractitionerId',
] as const;

export type Versioned = { readonly provenance: { readonly source: string; readonly sentAt?: string | undefined } } & Readonly<Record<string, unknown>>;

const FINAL = new Set(['final', 'amended', 'corrected']);

/**
 * The incoming version as it would be filed over the stored one, and whether it says anything the stored one does
 * not. Not what a record says: where it came from, the parties' stored ids, when a lab report was issued (a lab
 * sends an unchanged order again under a new interchange time), whether a final result is called final, amended
 * or corrected (a sender that flagged a change once need not flag it on every resend), or the programmes an
 * observation was linked to by a concern in its own message (a result sent without its concern is not unlinked).
 * A final result that replaces a final one is amended (FHIR: modified after being final) unless the sender said
 * corrected.
 */
export function compareVersions<T extends Versioned>(
  kind: RecordKind, stored: Versioned, incoming: T,
): { readonly same: boolean; readonly record: T; readonly otherTest?: true } {
  const record: Record<string, unknown> = { ...incoming };
  if (kind === 'observations') {
    const linked = new Set([...(stored.carePrograms as string[] | undefined ?? []), ...(incoming.carePrograms as string[] | undefined ?? [])]);
    record.carePrograms = CareProgramCode.options.filter((p) => linked.has(p));
  }
  const said = (r: Readonly<Record<string, unknown>>) => {
    const copy: Record<string, unknown> = { ...r, provenance: undefined };
    for (const field of PARTY_FIELDS) copy[field] = undefined;
    if (kind === 'reports') copy.issued = undefined;
    if ((kind === 'observations' || kind === 'reports') && FINAL.has(copy.status as string)) copy.status = 'final';
    return canonicalJson(copy);
  };
  const same = said(stored) === said(record);
  // A correction changes a result, not what was measured: another test under a filed id is the id used twice.
  if (!same && kind === 'observations' && primaryCode(stored) !== primaryCode(record)) return { same, record: record as T, otherTest: true };
  if (!same && (kind === 'observations' || kind === 'reports') && record.status === 'final' && FINAL.has(stored.status as string)) record.status = 'amended';
  return { same, record: record as T };
}

function primaryCode(record: Readonly<Record<string, unknown>>): string {
  const [first] = (record.codings as readonly { system: string; code: string }[] | undefined) ?? [];
  return first ? `${first.system}|${first.code}` : '';
}

/**
 * Whether the message `incoming` came in was made after the one the filed version came in, by the sender's clock.
 * A time given to the minute or day covers that minute or day (a day as a Dutch one, midnight to midnight): one is
 * later only when it starts after the other ends. Without a time on either side, or overlapping, it cannot be told.
 */
export function sentOrder(incoming: string | undefined, filed: string | undefined): 'later' | 'earlier' | 'unknown' {
  const a = incoming ? spanOf(incoming) : undefined;
  const b = filed ? spanOf(filed) : undefined;
  if (!a || !b) return 'unknown';
  if (a.from >= b.to) return 'later';
  if (a.to <= b.from) return 'earlier';
  return 'unknown';
}

/** The instants a (possibly partial) FHIR dateTime may stand for: [from, to) in ms; a date from Dutch midnight to midnight. */
function spanOf(value: string): { from: number; to: number } | undefined {
  const date = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (date) {
    const [y, m, d] = [Number(date[1]), date[2] ? Number(date[2]) - 1 : undefined, date[3] ? Number(date[3]) : undefined];
    const start = Date.UTC(y, m ?? 0, d ?? 1);
    const end = d !== undefined ? Date.UTC(y, m!, d + 1) : m !== undefined ? Date.UTC(y, m + 1, 1) : Date.UTC(y + 1, 0, 1);
    return { from: dutchMidnight(start), to: dutchMidnight(end) };
  }
  const from = Date.parse(value);
  if (Number.isNaN(from)) return undefined;
  const precision = /T\d{2}:\d{2}:\d{2}\.\d/.test(value) ? 1 : /T\d{2}:\d{2}:\d{2}/.test(value) ? 1000 : 60_000;
  return { from, to: from + precision };
}

/** Midnight in Amsterdam at the start of the calendar day whose UTC midnight is `utcMidnight` (never a DST edge). */
function dutchMidnight(utcMidnight: number): number {
  return utcMidnight - amsterdamOffset(utcMidnight) * 60_000;
}

/** The issues that tell the sender what became of its corrections, naming records by its own ids (each once). */
export function correctionIssues(verdicts: readonly { readonly verdict: Verdict; readonly named: string }[]): Issue[] {
  // A concern and the enrolment made from it share the sender's id: named once, counted as the records they are.
  const of = (verdict: Verdict) => verdicts.filter((v) => v.verdict === verdict);
  const list = (found: readonly { named: string }[]) => {
    const ids = [...new Set(found.map((v) => v.named))];
    return `${ids.slice(0, 20).join(', ')}${ids.length > 20 ? `, and ${ids.length - 20} more` : ''}`;
  };
  const issues: Issue[] = [];
  const applied = of('applied');
  const older = of('older');
  const unordered = of('unordered');
  const otherTest = of('other-test');
  if (applied.length > 0) {
    issues.push({
      severity: 'information', code: 'RECORD_CORRECTED',
      message: `${applied.length} of the records filed before came again with other content in a later message: the corrected versions replace them (the earlier versions are kept): ${list(applied)}`,
    });
  }
  if (older.length > 0) {
    issues.push({
      severity: 'warning', code: 'RECORD_OLDER_NOT_APPLIED',
      message: `${older.length} of the records came with other content than filed, in a message made before the one the filed version came in: the newer version stands: ${list(older)}`,
    });
  }
  if (unordered.length > 0) {
    issues.push({
      severity: 'error', code: 'RECORD_CHANGED_NOT_APPLIED',
      message: `${unordered.length} of the records filed before came again with other content (a correction?), and the message times do not say which version is newer: ${list(unordered)}; the filed version stands: send the correction in a message made later (its creation time, or for a lab the UNB date and time)`,
    });
  }
  if (otherTest.length > 0) {
    issues.push({
      severity: 'error', code: 'RECORD_ID_OF_OTHER_TEST',
      message: `${otherTest.length} of the records came under an id filed before for another test: they were not filed, the filed one stands: ${list(otherTest)}; give each finding an id of its own`,
    });
  }
  return issues;
}
