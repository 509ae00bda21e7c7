import type { z } from 'zod';
import {
  CodeSystems, DiagnosticReport, hasErrors, issuesFromZod, Observation, Organization, Practitioner, safeParseRecord, type DiagnosticReportInput, type Id,
  type Issue, type ObservationInput,
} from '../../canonical/index.js';
import { amsterdamDateTime, calendarDate, later, partialDate, timeOfDay, yearFromTwoDigits, type CalendarDate } from './dates.js';
import type { TextEncoding } from './decode.js';
import { readEnvelope, type Envelope, type MessageView } from './envelope.js';
import { orderRecordId, recordId, type MessageScope } from './ids.js';
import { issueAt, locate, valueOf } from './issues.js';
import { addressOf, doctorName, identifier, MAILBOX_SYSTEM, phoneOf, senderScoped } from './parties.js';
import { describePatient, type PatientDescription } from './patient.js';
import { readPending, readResult, type ResultReading } from './results.js';
import { readInterchange, type Segment } from './syntax.js';

export type { PatientDescription } from './patient.js';

export interface MedlabOptions {
  /** Two-digit years up to this are 20YY, above it 19YY. Default 99: always 20YY, as §8.1 reads them. */
  readonly twoDigitYearPivot?: number;
  /** The stored raw message these records come from, for their provenance. */
  readonly inboundMessageId?: Id;
}

/** One MEDLAB message: one patient, the lab and requester, a report per order with its observations. */
export interface MedlabMessage {
  readonly messageRef: string;
  /** Position in the interchange, from 0. */
  readonly position: number;
  readonly messageType: string;
  /** An error about who the patient is, or a message we cannot read: file nothing of it, keep it for a person. */
  readonly quarantine: boolean;
  readonly patient?: PatientDescription;
  readonly lab?: Organization;
  /** AFD: the lab department; ARA: the lab doctors, as free text (names without structure, §8.3). */
  readonly department?: string;
  readonly labDoctors: readonly string[];
  readonly requester?: Practitioner;
  readonly reports: readonly DiagnosticReport[];
  readonly observations: readonly Observation[];
  readonly issues: readonly Issue[];
}

export interface MedlabInterchange {
  readonly interchangeRef?: string;
  /** UNB sender and recipient: mailbox / participant numbers. */
  readonly sender?: string;
  readonly recipient?: string;
  readonly preparedAt?: string;
  readonly encoding: TextEncoding;
  /** Incomplete or unreadable as a whole (no UNB, UNT or UNZ, a cut segment): no message is mapped. */
  readonly rejected: boolean;
  readonly messages: readonly MedlabMessage[];
  /** Interchange-level issues: syntax and envelope. */
  readonly issues: readonly Issue[];
}

const LAB_REPORT_CODE = { system: CodeSystems.loinc.uri, code: '26436-6', display: 'Laboratory studies (set)' };

/** The MEDLAB segments §8.2 lists; anything else (but service segments) is kept by the syntax layer and reported, not read. */
const KNOWN = new Set(['UNH', 'UNT', 'ZKH', 'PID', 'PAD', 'BLG', 'ART', 'AFD', 'ARA', 'KOP', 'DET', 'IDE', 'OPM', 'SEC', 'BEP', 'OPB', 'NUB', 'OPU', 'COM']);

export function parseMedlab(bytes: Uint8Array, options: MedlabOptions = {}): MedlabInterchange {
  const interchange = readInterchange(bytes);
  const envelope = readEnvelope(interchange);
  const issues = [...interchange.issues, ...envelope.issues];
  const pivot = options.twoDigitYearPivot ?? 99;
  const prepared = preparedDate(envelope, pivot);
  const base = {
    ...(envelope.reference ? { interchangeRef: envelope.reference } : {}),
    ...(envelope.sender ? { sender: envelope.sender } : {}),
    ...(envelope.recipient ? { recipient: envelope.recipient } : {}),
    ...(prepared?.dateTime ? { preparedAt: prepared.dateTime } : {}),
    encoding: interchange.encoding,
  };
  if (hasErrors(issues) || !envelope.sender || !envelope.reference) return { ...base, rejected: true, messages: [], issues };
  const context: InterchangeContext = {
    sender: envelope.sender, interchangeRef: envelope.reference, recipient: envelope.recipient, prepared, pivot, inboundMessageId: options.inboundMessageId,
  };
  return { ...base, rejected: false, messages: envelope.messages.map((m) => mapMessage(m, context)), issues };
}

interface InterchangeContext {
  readonly sender: string;
  readonly interchangeRef: string;
  readonly recipient: string | undefined;
  readonly prepared: { date: CalendarDate; dateTime?: string } | undefined;
  readonly pivot: number;
  readonly inboundMessageId: Id | undefined;
}

function preparedDate(envelope: Envelope, pivot: number): { date: CalendarDate; dateTime?: string } | undefined {
  const written = envelope.prepared;
  const m = written && /^(\d{2}|\d{4})(\d{2})(\d{2})$/.exec(written.date);
  if (!written || !m) return undefined;
  const year = m[1]!.length === 2 ? yearFromTwoDigits(Number(m[1]), pivot) : Number(m[1]);
  const date = calendarDate(year, m[2]!, m[3]!);
  if (!date) return undefined;
  const time = /^(\d{2})(\d{2})$/.exec(written.time);
  const clock = time ? timeOfDay(time[1]!, time[2]!) : undefined;
  const dateTime = clock ? amsterdamDateTime(date, clock) : undefined;
  return { date, dateTime: dateTime ?? partialDate(date) };
}

/** A DET/IDE group: one specimen (material) of an order, with its time. */
interface Group {
  det?: Segment;
  ide?: Segment;
  effective?: string;
  /** The DET's date could not be read: its results are not filed (a result needs its date). */
  undated?: true;
  report?: ReportDraft;
}

interface ReportDraft {
  readonly id: Id;
  readonly orderNumber: string;
  /** How many results of each test (code, or pending name) the order has had so far in this message. */
  readonly tests: Map<string, number>;
  readonly group: Group;
  readonly observationIds: Id[];
  readonly conclusion: string[];
  pending: boolean;
  incomplete: boolean;
}

interface Drafted {
  readonly observation: ObservationInput & { notes: string[] };
  readonly segment: Segment;
}

function mapMessage(view: MessageView, ic: InterchangeContext): MedlabMessage {
  const scope: MessageScope = { sender: ic.sender, interchangeRef: ic.interchangeRef, messageRef: view.reference, messageIndex: view.index };
  const messageType = view.type.join(':');
  const head = { messageRef: view.reference, position: view.index, messageType, labDoctors: [], reports: [], observations: [] };
  if (view.type[0] !== 'MEDLAB') {
    return { ...head, quarantine: true, issues: [issueAt('error', 'UNSUPPORTED_MESSAGE_TYPE', 'UNH names a message type other than MEDLAB', view.segments[0]!, 2)] };
  }
  const issues: Issue[] = [];
  if (view.type[1] !== '1') issues.push(issueAt('warning', 'UNEXPECTED_VERSION', 'UNH names a MEDLAB version other than 1; it was read as version 1', view.segments[0]!, 2));
  const subjectId = recordId(scope, 'patient');
  const labId = recordId(scope, 'lab');
  const requesterId = recordId(scope, 'requester');
  const provenanceOf = (sourceRecordId: string) => ({ source: 'medlab', sourceRecordId, ...(ic.inboundMessageId ? { messageId: ic.inboundMessageId } : {}) });

  let pid: Segment | undefined;
  let pad: Segment | undefined;
  let zkh: Segment | undefined;
  let art: Segment | undefined;
  let afd: Segment | undefined;
  const labDoctors: string[] = [];
  const reports: ReportDraft[] = [];
  const drafted: Drafted[] = [];
  let group: Group | undefined;
  /** Every DET/IDE group, to tell an order that carried nothing at all. */
  const specimens: Group[] = [];
  // What a remark (OPB, OPU) belongs to: the result before it, or a result that was not filed, which takes it along.
  let lastResult: Drafted | 'not-filed' | undefined;
  let lastPending: Drafted | 'not-filed' | undefined;

  // §8.2 allows these once: a second one is reported and the first kept, never silently overwritten.
  const once = (seen: Segment | undefined, segment: Segment): Segment => {
    if (!seen) return segment;
    issues.push(issueAt('warning', 'DUPLICATE_SEGMENT', `A second ${segment.tag} in one message; the first was kept`, segment));
    return seen;
  };
  const currentGroup = (segment: Segment): Group => {
    if (!group) {
      issues.push(issueAt('warning', 'MISSING_SPECIMEN_GROUP', 'A result segment comes before any DET/IDE; it was placed in a report of its own', segment));
      group = {};
    }
    return group;
  };
  const reportOf = (g: Group): ReportDraft => {
    if (!g.report) {
      const orderNumber = g.ide ? valueOf(g.ide, 2) : '';
      const sameOrder = orderNumber ? reports.find((r) => r.orderNumber === orderNumber) : undefined;
      g.report = sameOrder ?? {
        id: orderNumber ? orderRecordId(ic.sender, orderNumber) : recordId(scope, 'report', reports.length),
        orderNumber, tests: new Map(), group: g, observationIds: [], conclusion: [], pending: false, incomplete: false,
      };
      if (!sameOrder) reports.push(g.report);
    }
    return g.report;
  };
  const remark = (target: Drafted | 'not-filed' | undefined, segment: Segment) => {
    const text = valueOf(segment, 1);
    if (!text) return;
    if (target === 'not-filed') issues.push(issueAt('information', 'REMARK_NOT_FILED', `${segment.tag} belongs to a result that was not filed`, segment));
    else if (target) target.observation.notes.push(text);
    else {
      issues.push(issueAt('warning', 'ORPHAN_REMARK', `${segment.tag} follows no result it could belong to; it was added to the report`, segment));
      reportOf(currentGroup(segment)).conclusion.push(text);
    }
  };
  const addObservation = (reading: ResultReading, segment: Segment, index: number): Drafted | 'not-filed' | undefined => {
    issues.push(...reading.issues);
    if (reading.kind === 'header') return undefined;
    if (reading.kind === 'rejected') {
      // The report then lacks a result the lab sent: it is not final as far as we hold it.
      reportOf(currentGroup(segment)).incomplete = true;
      return 'not-filed';
    }
    const g = currentGroup(segment);
    const report = reportOf(g);
    if (g.undated) {
      report.incomplete = true;
      return 'not-filed';
    }
    // Without an order number, a result is known only by its place in this interchange.
    const own = reading.parts.codings.find((c) => c.role === 'original' || c.role === 'local')!;
    const test = `${own.system}|${own.code}`;
    const occurrence = report.tests.get(test) ?? 0;
    report.tests.set(test, occurrence + 1);
    const [id, sourceRecordId] = report.orderNumber
      ? [orderRecordId(ic.sender, report.orderNumber, { test, occurrence }), `${report.orderNumber}/${own.code}${occurrence > 0 ? `#${occurrence + 1}` : ''}`]
      : [recordId(scope, 'observation', index), `${ic.interchangeRef}/${view.reference}/${index}`];
    const draft: Drafted = {
      segment,
      observation: {
        ...reading.parts,
        id, patientId: subjectId, reportId: report.id, notes: [], provenance: provenanceOf(sourceRecordId),
        ...(g.effective ? { effective: g.effective } : {}),
      },
    };
    if (reading.parts.status === 'registered') report.pending = true;
    drafted.push(draft);
    report.observationIds.push(id);
    return draft;
  };

  const body = view.segments.slice(1, view.complete ? -1 : undefined);
  body.forEach((segment, i) => {
    const index = i + 1;
    switch (segment.tag) {
      case 'ZKH': zkh = once(zkh, segment); break;
      case 'PID': pid = once(pid, segment); break;
      case 'PAD': pad = once(pad, segment); break;
      case 'ART': art = once(art, segment); break;
      case 'AFD': afd = once(afd, segment); break;
      case 'ARA': if (valueOf(segment, 1)) labDoctors.push(valueOf(segment, 1)); break;
      case 'BLG':
      case 'KOP':
        issues.push(issueAt('information', 'NOT_MAPPED', `${segment.tag} has no place in the canonical model; it was kept in the raw message only`, segment));
        break;
      case 'DET':
        group = { det: segment, ...specimenTime(segment, ic, issues) };
        lastResult = lastPending = undefined;
        break;
      case 'IDE':
        if (!group || group.ide) group = { ...(group?.det ? { det: group.det, ...(group.effective ? { effective: group.effective } : {}), ...(group.undated ? { undated: true as const } : {}) } : {}) };
        group.ide = segment;
        specimens.push(group);
        if (valueOf(segment, 1).toUpperCase() === 'N') reportOf(group).incomplete = true;
        lastResult = lastPending = undefined;
        break;
      case 'OPM':
      case 'COM':
        if (valueOf(segment, 1)) reportOf(currentGroup(segment)).conclusion.push(valueOf(segment, 1));
        break;
      case 'SEC':
        // A section heading of the lab's print layout: no canonical meaning.
        break;
      case 'BEP': lastResult = addObservation(readResult(segment, ic.sender), segment, index); lastPending = undefined; break;
      case 'OPB': remark(lastResult, segment); break;
      case 'NUB': lastPending = addObservation(readPending(segment, ic.sender), segment, index); lastResult = undefined; break;
      case 'OPU': remark(lastPending, segment); break;
      default:
        issues.push(KNOWN.has(segment.tag) || segment.tag.startsWith('UN')
          ? issueAt('warning', 'UNEXPECTED_SEGMENT', `${segment.tag} is out of place inside a message; it was kept but not read`, segment)
          : issueAt('information', 'UNKNOWN_SEGMENT', 'The segment is not part of MEDLAB; it was kept but not read', segment));
    }
  });

  const department = afd ? valueOf(afd, 1) : '';
  let quarantine = false;
  let patient: PatientDescription | undefined;
  if (pid) {
    const reading = describePatient(pid, pad, { subjectId, sender: ic.sender, recipient: ic.recipient, ...(ic.prepared ? { prepared: ic.prepared.date } : {}) });
    issues.push(...reading.issues);
    quarantine = reading.quarantine;
    patient = reading.patient;
  } else {
    issues.push({ severity: 'error', code: 'MISSING_SEGMENT', message: 'The message has no PID segment: it names no patient', where: { ...locate(view.segments[0]!), segment: 'PID' } });
    quarantine = true;
  }
  if (!zkh) issues.push({ severity: 'warning', code: 'MISSING_SEGMENT', message: 'The message has no ZKH segment: the lab is unnamed', where: { ...locate(view.segments[0]!), segment: 'ZKH' } });

  const lab = zkh ? checked(Organization, labOf(zkh, labId, ic.sender), zkh, 'INVALID_LAB', issues) : undefined;
  const requester = art ? checked(Practitioner, requesterOf(art, requesterId, ic.sender), art, 'INVALID_REQUESTER', issues) : undefined;
  const observations: Observation[] = [];
  const filed = new Set<Id>();
  for (const d of drafted) {
    const input = lab ? { ...d.observation, performerOrganizationId: lab.id } : d.observation;
    const observation = checked(Observation, input, d.segment, 'INVALID_RESULT', issues);
    if (observation) {
      observations.push(observation);
      filed.add(observation.id);
    }
  }
  const reported = new Set(reports.map((r) => r.orderNumber));
  const empty = new Set<string>();
  // A message quarantined for its patient files nothing anyway: no word about what it would have filed.
  for (const g of quarantine ? [] : specimens.filter((s) => !s.report)) {
    const orderNumber = valueOf(g.ide!, 2);
    if ((orderNumber && reported.has(orderNumber)) || empty.has(orderNumber)) continue;
    empty.add(orderNumber);
    issues.push(issueAt('warning', 'ORDER_WITHOUT_RESULTS', `the order ${orderNumber || 'without a number'} carries no result and no pending test: nothing of it was filed`, g.ide!));
  }
  const reportsOut = reports.flatMap((r, i) => {
    const input: DiagnosticReportInput = {
      id: r.id,
      patientId: subjectId,
      status: r.pending || r.incomplete ? 'partial' : 'final',
      category: 'laboratory',
      codings: [LAB_REPORT_CODE],
      identifiers: identifier(senderScoped(ic.sender, 'order'), r.orderNumber),
      ...(r.group.effective ? { effective: r.group.effective } : {}),
      ...(ic.prepared?.dateTime ? { issued: ic.prepared.dateTime } : {}),
      ...(lab ? { performerOrganizationId: lab.id } : {}),
      ...(requester ? { requesterPractitionerId: requester.id } : {}),
      observationIds: r.observationIds.filter((id) => filed.has(id)),
      ...(r.conclusion.length > 0 ? { conclusion: r.conclusion.join('\n') } : {}),
      provenance: provenanceOf(r.orderNumber || `${ic.interchangeRef}/${view.reference}/report/${i}`),
    };
    const report = checked(DiagnosticReport, input, r.group.ide ?? r.group.det ?? view.segments[0]!, 'INVALID_REPORT', issues);
    return report ? [report] : [];
  });

  // A quarantined message files nothing: not even the records that look fine, since whose they are is in doubt.
  if (quarantine) return { ...head, quarantine, issues: issues.sort(byPlace) };
  return {
    ...head,
    quarantine,
    ...(patient ? { patient } : {}),
    ...(lab ? { lab } : {}),
    ...(department ? { department } : {}),
    labDoctors,
    ...(requester ? { requester } : {}),
    reports: reportsOut,
    observations,
    issues: issues.sort(byPlace),
  };
}

/**
 * Our own records pass the canonical schema before they leave; a failure is an issue on the segment, not a throw.
 * The schema's output is remembered as parsed, so the store writes it without parsing it again.
 */
function checked<T extends object>(schema: z.ZodType<T>, input: unknown, segment: Segment, code: string, issues: Issue[]): T | undefined {
  const parsed = safeParseRecord(schema, input);
  if (parsed.success) return parsed.data;
  issues.push(...issuesFromZod(parsed.error, code).map((i) => ({ ...i, where: { ...locate(segment), ...(i.where?.path ? { path: i.where.path } : {}) } })));
  return undefined;
}

function labOf(zkh: Segment, id: Id, sender: string): unknown {
  return {
    id,
    name: valueOf(zkh, 1),
    identifiers: [...identifier(MAILBOX_SYSTEM, sender), ...identifier(senderScoped(sender, 'institution-code'), valueOf(zkh, 4))],
    addresses: addressOf(zkh, 2),
    telecom: phoneOf(zkh, 3),
  };
}

function requesterOf(art: Segment, id: Id, sender: string): unknown {
  return { id, identifiers: identifier(senderScoped(sender, 'doctor-code'), valueOf(art, 2)), names: doctorName(art), telecom: phoneOf(art, 5) };
}

/** DET: specimen date `YY:MM:DD` (two-digit year, §8.1) and time `HH:MM`, local Dutch time. */
function specimenTime(det: Segment, ic: InterchangeContext, issues: Issue[]): { effective?: string; undated?: true } {
  const [yy = '', mm = '', dd = ''] = (det.elements[0] ?? []).map((v) => v.trim());
  if (!yy && !mm && !dd) return {};
  const year = /^\d{2}$/.test(yy) ? yearFromTwoDigits(Number(yy), ic.pivot) : /^\d{4}$/.test(yy) ? Number(yy) : undefined;
  const date = year === undefined ? undefined : calendarDate(year, mm, dd);
  if (!date || date.month === 0 || date.day === 0) {
    issues.push(issueAt('error', 'INVALID_DATE', 'DET element 1 is not a valid date: the results of this specimen were not filed (a result needs its date)', det, 1));
    return { undated: true };
  }
  if (ic.prepared && later(date, ic.prepared.date)) {
    issues.push(issueAt('warning', 'DATE_AFTER_INTERCHANGE', 'DET element 1 is later than the interchange date; check the two-digit year pivot', det, 1));
  }
  const clock = timeOfDay(valueOf(det, 2, 1), valueOf(det, 2, 2));
  if (!clock && (valueOf(det, 2, 1) || valueOf(det, 2, 2))) issues.push(issueAt('warning', 'INVALID_TIME', 'DET element 2 is not a valid time; only the date was kept', det, 2));
  return { effective: (clock && amsterdamDateTime(date, clock)) ?? partialDate(date) };
}

/** Issues in the order of the segments they point at (the patient's are found last but belong to PID). */
function byPlace(a: Issue, b: Issue): number {
  return (a.where?.line ?? 0) - (b.where?.line ?? 0) || (a.where?.column ?? 0) - (b.where?.column ?? 0);
}
