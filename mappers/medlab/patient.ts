import {
  checkBsn, describeBsnProblem, IdentifierSystems, issuesFromZod, Patient, type Gender, type HumanName, type Id, type Identifier, type Issue,
} from '../../canonical/index.js';
import { calendarDate, later, partialDate, yearNotAfter, type CalendarDate } from './dates.js';
import { issueAt, valueOf } from './issues.js';
import { addressOf, familyWithPrefix, identifier, phoneOf, senderScoped } from './parties.js';
import type { Segment } from './syntax.js';

/**
 * The patient as one message describes it: not a stored patient. Identity resolution at the edge decides which
 * record this is (by BSN, or by name, birth date, sex and the lab's number when there is no BSN) and replaces
 * `subjectId`, which the message's observations and reports carry as their patientId until then.
 */
export type PatientDescription = Omit<Patient, 'id' | 'status' | 'mergedInto' | 'deceased' | 'managingOrganizationId'> & { subjectId: Id };

export interface PatientContext {
  readonly subjectId: Id;
  readonly sender: string;
  readonly recipient: string | undefined;
  /** The year the interchange was prepared: a two-digit birth year is placed on or before it. */
  /** The day the interchange was prepared (UNB), when it says: no birth date can be after it. */
  readonly prepared?: CalendarDate;
}

export interface PatientReading {
  readonly patient?: PatientDescription;
  readonly issues: Issue[];
  /** A problem with who the patient is: nothing of the message may be filed under anyone. */
  readonly quarantine: boolean;
}

const SEX: Record<string, Gender> = { M: 'male', V: 'female', U: 'unknown' };

export function describePatient(pid: Segment, pad: Segment | undefined, context: PatientContext): PatientReading {
  const issues: Issue[] = [];
  let quarantine = false;
  const identifiers: Identifier[] = [...identifier(senderScoped(context.sender, 'patient'), valueOf(pid, 4))];
  const receiverRef = valueOf(pid, 5);
  const bsn = /^BSN\s*(.*)$/i.exec(receiverRef);
  if (bsn) {
    const check = checkBsn(bsn[1]!);
    if (check.ok) identifiers.unshift({ system: IdentifierSystems.bsn.uri, value: check.bsn! });
    else {
      issues.push(issueAt('error', 'INVALID_BSN', `PID element 5: ${describeBsnProblem(check.problem!)}`, pid, 5));
      quarantine = true;
    }
  } else if (receiverRef && context.recipient) {
    identifiers.push({ system: senderScoped(context.recipient, 'patient'), value: receiverRef });
  }

  const names = patientName(pid, issues);
  if (names.length === 0) {
    return { issues: [...issues, issueAt('error', 'MISSING_PATIENT_NAME', 'PID element 3 carries no family name', pid, 3)], quarantine: true };
  }
  const sexWritten = valueOf(pid, 2).toUpperCase();
  const gender = SEX[sexWritten] ?? 'unknown';
  if (sexWritten && !(sexWritten in SEX)) issues.push(issueAt('warning', 'INVALID_SEX', 'PID element 2 is not M, V or U', pid, 2));
  const birthDate = readBirthDate(pid, context.prepared, issues);

  const parsed = Patient.safeParse({
    id: context.subjectId,
    identifiers,
    names,
    ...(birthDate ? { birthDate } : {}),
    gender,
    addresses: pad ? addressOf(pad, 1) : [],
    telecom: pad ? phoneOf(pad, 2) : [],
  });
  if (!parsed.success) {
    // Reached only by values our own checks let through (e.g. a name longer than the model allows).
    return { issues: [...issues, ...issuesFromZod(parsed.error, 'INVALID_PATIENT').map((i) => ({ ...i, where: { segment: 'PID', ...pidLine(pid), ...i.where } }))], quarantine: true };
  }
  const { id, status: _status, ...rest } = parsed.data;
  return { patient: { subjectId: id, ...rest }, issues, quarantine };
}

function pidLine(pid: Segment): { line?: number } {
  return pid.position ? { line: pid.position.line } : {};
}

/**
 * PID element 3: married name : prefix : own name : prefix : first name : initials. The own (birth) name is the
 * family name and the married name the partner's. Which slot a sender fills when there is no married name is
 * unconfirmed (§8.4): a name found only in the married slot is taken as the family name, with a warning.
 */
function patientName(pid: Segment, issues: Issue[]): HumanName[] {
  const married = valueOf(pid, 3, 1);
  const own = valueOf(pid, 3, 3);
  const first = valueOf(pid, 3, 5);
  const initials = valueOf(pid, 3, 6);
  const base = { use: 'official' as const, given: first ? first.split(/\s+/) : [], ...(initials ? { initials } : {}) };
  if (own) {
    const ownName = familyWithPrefix(own, valueOf(pid, 3, 4));
    const partner = married ? familyWithPrefix(married, valueOf(pid, 3, 2)) : undefined;
    return [{
      ...base,
      family: ownName.family,
      ...(ownName.prefix ? { familyPrefix: ownName.prefix } : {}),
      ...(partner ? { partnerFamily: partner.family, ...(partner.prefix ? { partnerPrefix: partner.prefix } : {}) } : {}),
    }];
  }
  if (married) {
    issues.push(issueAt('warning', 'NAME_SLOT_ASSUMED', 'PID element 3 has a name only in the married-name slot; it was taken as the family name', pid, 3, 1));
    const name = familyWithPrefix(married, valueOf(pid, 3, 2));
    return [{ ...base, family: name.family, ...(name.prefix ? { familyPrefix: name.prefix } : {}) }];
  }
  return [];
}

function readBirthDate(pid: Segment, prepared: CalendarDate | undefined, issues: Issue[]): string | undefined {
  const referenceYear = prepared?.year;
  const written = pid.elements[0] ?? [];
  const parts = written.length === 1 && /^\d{8}$/.test(written[0]!.trim())
    ? [written[0]!.slice(0, 4), written[0]!.slice(4, 6), written[0]!.slice(6, 8)]
    : written.map((p) => p.trim());
  const [yearText = '', month = '', day = ''] = parts;
  if (!yearText && !month && !day) return undefined;
  let year: number | undefined;
  if (/^\d{4}$/.test(yearText)) year = Number(yearText);
  else if (/^\d{2}$/.test(yearText)) {
    if (referenceYear === undefined) {
      issues.push(issueAt('warning', 'TWO_DIGIT_BIRTH_YEAR', 'PID element 1 has a two-digit year and the interchange has no date to place it by; the birth date was left out', pid, 1));
      return undefined;
    }
    year = yearNotAfter(Number(yearText), referenceYear);
    issues.push(issueAt('warning', 'TWO_DIGIT_BIRTH_YEAR', 'PID element 1 has a two-digit year; it was placed in the century that keeps it before the interchange date', pid, 1));
  }
  const date = year === undefined ? undefined : calendarDate(year, month || '00', day || '00');
  if (!date) {
    issues.push(issueAt('warning', 'INVALID_DATE', 'PID element 1 is not a valid date; the birth date was left out', pid, 1));
    return undefined;
  }
  if (prepared && later(date, prepared)) {
    issues.push(issueAt('warning', 'BIRTHDATE_AFTER_INTERCHANGE', 'PID element 1 is later than the interchange was prepared; the birth date was left out', pid, 1));
    return undefined;
  }
  return partialDate(date);
}
