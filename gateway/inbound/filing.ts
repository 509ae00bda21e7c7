import { randomUUID } from 'node:crypto';
import type {
  Identifier, InboundMessage, InboundPart, InboundPartInput, InboundStatus, Issue, Organization, PatientInput, Practitioner,
} from '../../canonical/index.js';
import { CareProgramEnrolment, Condition, DiagnosticReport, InboundPart as InboundPartSchema, Observation, withIds, type AssignedIds } from '../../canonical/index.js';
import { bsnOfSubject, identifierKey, identifiersHeld, resolveSubject } from '../../identity/index.js';
import { StoreError, type ClinicalRecords, type Replacement, type Store } from '../../store/index.js';
import { compareVersions, correctionIssues, PARTY_FIELDS, sentOrder, type RecordKind, type Verdict, type Versioned } from './corrections.js';
import { countRecords, type ParsedMessage, type ParsedPart, type PartRecords } from './parsed.js';

/**
 * Files one parsed message inside the caller's transaction: the message row is locked first (one filing of a
 * message at a time, whichever process or person starts it), each part not yet filed gets its patient or waits
 * or is quarantined, and every record goes in with the parts and the message's new status in one statement.
 * The caller's transaction makes it all or nothing: a failure part-way leaves no record behind.
 */
export type Decision = { readonly patientId: string } | { readonly create: true };

export interface FilingRun {
  readonly inboundId: string;
  readonly parsed: ParsedMessage;
  /** The statuses the message may be in for this run to go ahead; in any other, nothing is done. */
  readonly from: readonly InboundStatus[];
  /** File only these parts (keys); by default every part not filed yet. */
  readonly only?: ReadonlySet<string>;
  /** A person's decisions for waiting parts, by key: a patient to file under, or a new one from the message. */
  readonly decisions?: ReadonlyMap<string, Decision>;
  /** Who files: written as the linker of identifiers and the resolver of decided parts. */
  readonly by: string;
}

export interface RecordCounts {
  readonly observations: number;
  readonly conditions: number;
  readonly enrolments: number;
  readonly reports: number;
}

export interface Filed {
  readonly message: InboundMessage;
  readonly parts: readonly InboundPart[];
  /** False when the message was in no status this run may file from (another delivery filed it meanwhile). */
  readonly ran: boolean;
  /** The patients records were filed under in this run. */
  readonly patients: readonly string[];
  readonly counts: RecordCounts;
  /** The records this run replaced with corrected versions, as the versions they are now (`Observation/<id>/_history/2`). */
  readonly corrected: readonly string[];
}

export const PARTS_QUARANTINED = 'PARTS_QUARANTINED';

export const NO_RECORDS: RecordCounts = { observations: 0, conditions: 0, enrolments: 0, reports: 0 };

interface Placed {
  readonly part: ParsedPart;
  readonly patientId: string;
  readonly decided: boolean;
  readonly issues: Issue[];
}

export async function fileMessage(tx: Store, run: FilingRun): Promise<Filed> {
  const lockedWith = await tx.inbound.lock(run.inboundId, run.parsed.parts.flatMap((p) => recordIds(p.records)));
  if (!lockedWith) throw new StoreError('not-found', 'inbound message not found', { id: run.inboundId });
  const { message: locked, storedRecords: stored } = lockedWith;
  // A message that was never filed has no parts yet: skip the read on the common path.
  const existing = locked.attempts === 0 ? [] : await tx.filing.parts(run.inboundId);
  if (!run.from.includes(locked.status)) return { message: locked, parts: existing, ran: false, patients: [], counts: NO_RECORDS, corrected: [] };
  if (run.parsed.refused) {
    const message = await tx.inbound.markQuarantined(run.inboundId, run.parsed.issues);
    return { message, parts: existing, ran: true, patients: [], counts: NO_RECORDS, corrected: [] };
  }

  const before = new Map(existing.map((p) => [p.key, p]));
  for (const key of run.decisions?.keys() ?? []) {
    if (before.get(key)?.status !== 'waiting') throw new StoreError('invalid-state', 'the part is no longer waiting for a decision');
  }
  const todo = run.parsed.parts.filter((p) => before.get(p.key)?.status !== 'filed' && (!run.only || run.only.has(p.key)));
  const open = todo.filter((p) => !p.quarantined && p.subject);
  const held = await identifiersHeld(tx, open.map((p) => p.subject!));

  const rows: InboundPartInput[] = [];
  const row = (part: ParsedPart, fields: Pick<InboundPartInput, 'status' | 'issues'> & Partial<InboundPartInput>): InboundPartInput => ({
    id: before.get(part.key)?.id ?? randomUUID(), inboundId: run.inboundId, key: part.key, refs: [...part.refs],
    // Who a part is about is kept only while a person has to decide it; once filed, the patient record says it.
    ...(fields.status === 'waiting' && part.subject ? { subject: part.subject } : {}), records: countRecords(part.records), ...fields,
  });
  for (const part of todo.filter((p) => p.quarantined || !p.subject)) {
    rows.push(row(part, { status: 'quarantined', issues: [...part.issues] }));
  }

  const created = new Map<string, PatientInput>();
  const placed: Placed[] = [];
  for (const part of open) {
    // A person's decision stands in for resolution: it is why the part waited.
    const decision = run.decisions?.get(part.key);
    const resolution = decision ? undefined : await resolveSubject(tx, part.subject!, held);
    if (resolution?.outcome === 'waiting') {
      rows.push(row(part, { status: 'waiting', candidates: resolution.candidates, issues: [...part.issues, waitingIssue(resolution.reason)] }));
      continue;
    }
    const issues = [...part.issues];
    const known = decision && 'patientId' in decision ? decision.patientId : resolution?.outcome === 'found' ? resolution.patientId : undefined;
    let patientId: string;
    if (known) patientId = known;
    else {
      // Every record of it filed already for other patients: the message names the wrong person (a mistyped BSN), and
      // a patient made for it would hold nothing but that mistake.
      const ids = recordIds(part.records);
      if (ids.length > 0 && ids.every((id) => stored.has(id))) {
        rows.push(row(part, { status: 'quarantined', issues: [...issues, otherPatientsIssue(part.records, ids)] }));
        continue;
      }
      // Parts about the same BSN in one message become one new patient.
      const bsn = bsnOfSubject(part.subject!);
      const input = (bsn && created.get(bsn)) || newPatient(part, held, issues);
      if (!input) {
        rows.push(row(part, { status: 'quarantined', issues: [...issues, noNameIssue()] }));
        continue;
      }
      created.set(bsn ?? input.id!, input);
      patientId = input.id!;
    }
    placed.push({ part, patientId, decided: decision !== undefined, issues });
  }

  if (created.size > 0) await tx.patients.insertMany([...created.values()], run.by);
  const newIds = new Set([...created.values()].map((p) => p.id!));
  await linkIdentifiers(tx, placed.filter((p) => !newIds.has(p.patientId)), held, run.by);
  const all = await recordsOf(tx, run, placed);
  const { corrections, verdicts, leftOut } = await sortCorrections(tx, placed, all, stored);
  for (const p of placed) {
    const judged = recordIds(p.part.records).flatMap((id) => verdicts.get(id) ?? []);
    p.issues.push(...storedBeforeIssues(p, stored, judged), ...correctionIssues(judged));
    p.issues.push(...p.part.records.reports.flatMap((r) => { const left = leftOut.get(r.id); return left ? leftOutIssues(left) : []; }));
  }
  await applyCorrections(tx, corrections);
  const records = await withoutEnrolled(tx, placed, withoutRecords(all, stored));
  for (const p of placed) {
    rows.push(row(p.part, { status: 'filed', patientId: p.patientId, issues: p.issues, ...(p.decided ? { resolvedBy: run.by } : {}) }));
  }

  const after = new Map(existing.map((p) => [p.key, p]));
  for (const r of rows) after.set(r.key, InboundPartSchema.parse(r));
  const parts = [...after.values()].sort((a, b) => a.key.localeCompare(b.key));
  const quarantined = parts.filter((p) => p.status === 'quarantined');
  const issues = quarantined.length > 0 ? [...run.parsed.issues, partsQuarantinedIssue(quarantined, parts.length)] : [...run.parsed.issues];
  // One statement for the records, the parts and the status: a round trip costs both processes more than these rows do.
  const message = await tx.inbound.finish(run.inboundId, { status: quarantined.length > 0 ? 'quarantined' : 'processed', issues, parts: rows, records });
  const counts = {
    observations: records.observations.length, conditions: records.conditions.length, enrolments: records.enrolments.length, reports: records.reports.length,
  };
  return { message, parts, ran: true, patients: [...new Set(placed.map((p) => p.patientId))], counts, corrected: correctedVersions(corrections) };
}

/** A new patient from what the message says; identifiers another patient holds are left off, with a warning. */
function newPatient(part: ParsedPart, held: ReadonlyMap<string, string>, issues: Issue[]): PatientInput | undefined {
  const subject = part.subject!;
  if (subject.names.length === 0) return undefined;
  const identifiers = subject.identifiers.filter((i) => {
    if (!held.has(identifierKey(i))) return true;
    issues.push(heldElsewhereIssue(i));
    return false;
  });
  return {
    id: randomUUID(), identifiers, names: subject.names, gender: subject.gender, ...(subject.birthDate ? { birthDate: subject.birthDate } : {}),
    addresses: [...(part.contact?.addresses ?? [])], telecom: [...(part.contact?.telecom ?? [])],
  };
}

/**
 * The sender's other identifiers for a patient found another way (a lab's patient number beside the BSN, or
 * after a person linked the part) are linked to them, so the next message with that number finds them. One
 * another patient holds already is left where it is, with a warning: moving it would be a merge nobody decided.
 */
async function linkIdentifiers(tx: Store, placed: readonly Placed[], held: ReadonlyMap<string, string>, by: string): Promise<void> {
  const done = new Set<string>();
  for (const p of placed) {
    for (const identifier of p.part.subject!.identifiers) {
      const holder = held.get(identifierKey(identifier));
      if (holder === p.patientId) continue;
      if (holder) {
        p.issues.push(heldElsewhereIssue(identifier));
        continue;
      }
      const key = identifierKey(identifier);
      if (done.has(key)) continue;
      done.add(key);
      await tx.patients.linkIdentifier(p.patientId, identifier, by);
    }
  }
}

/** The placed parts' records under their patients, the stored ids of the parties they name, and this message. */
async function recordsOf(tx: Store, run: FilingRun, placed: readonly Placed[]): Promise<ClinicalRecords> {
  if (placed.length === 0) return { observations: [], conditions: [], enrolments: [], reports: [] };
  const ids = await fileParties(tx, run.parsed.organizations, run.parsed.practitioners);
  const own = <T extends { provenance: object }>(patientId: string, record: T) => withIds(record, { patientId, ...storedParties(record, ids) }, run.inboundId, run.parsed.sentAt);
  return {
    observations: placed.flatMap((p) => p.part.records.observations.map((r) => own(p.patientId, r))),
    conditions: placed.flatMap((p) => p.part.records.conditions.map((r) => own(p.patientId, r))),
    enrolments: placed.flatMap((p) => p.part.records.enrolments.map((r) => own(p.patientId, r))),
    reports: placed.flatMap((p) => p.part.records.reports.map((r) => own(p.patientId, r))),
  };
}

function recordIds(records: PartRecords): string[] {
  return [...records.observations, ...records.conditions, ...records.enrolments, ...records.reports].map((r) => r.id);
}

/**
 * Records stored before under the same ids come again when a sender resends a finding in a later message, or the
 * same lab interchange arrives from the lab and through ZorgMail: they are the same records, filed once (one with
 * other content is a correction: sortCorrections). One stored under another patient means the sender used one id
 * for two people: it is not filed, and the sender is told.
 */
function storedBeforeIssues(placed: Placed, stored: ReadonlyMap<string, string>, judged: readonly Judged[]): Issue[] {
  const ids = recordIds(placed.part.records).filter((id) => stored.has(id));
  const elsewhere = ids.filter((id) => stored.get(id) !== placed.patientId);
  const same = judged.filter((j) => j.verdict === 'same').length;
  return [
    ...(same > 0 ? [{ severity: 'information' as const, code: 'RECORDS_FILED_BEFORE', message: `${same} of the records were filed before under the same ids (an earlier message or another route): not filed twice` }] : []),
    ...(elsewhere.length > 0 ? [otherPatientsIssue(placed.part.records, elsewhere)] : []),
  ];
}

/** What became of a record sent again, and the sender's own id for it. */
interface Judged {
  readonly verdict: Verdict;
  readonly named: string;
}

/** Corrected versions of stored records, each with the version it replaces, by table. */
type Corrections = { -readonly [K in keyof ClinicalRecords]: Replacement<ClinicalRecords[K][number]>[] };

/**
 * A record sent again with other content than it was filed with is the sender's correction (a changed lab result,
 * a corrected value, a programme ended): it replaces the filed version when the message bringing it was made later
 * than the one that brought the filed version, by the sender's own clock (`sentAt`), and the version replaced is
 * kept (store/record-table.ts). One made earlier arrived late (a retry, a queue): the newer filed version stands,
 * and the sender is warned. Where the order cannot be told, nothing is changed and the sender is told with an
 * error (the acknowledgement is AE), so that no correction is lost unnoticed (corrections.ts says what counts as
 * other content and as later). Returns the corrections and, by record id, what became of each record sent again.
 */
async function sortCorrections(
  tx: Store, placed: readonly Placed[], records: ClinicalRecords, stored: ReadonlyMap<string, string>,
): Promise<{ corrections: Corrections; verdicts: ReadonlyMap<string, Judged>; leftOut: ReadonlyMap<string, LeftOut> }> {
  const corrections: Corrections = { observations: [], conditions: [], enrolments: [], reports: [] };
  const verdicts = new Map<string, Judged>();
  if (stored.size === 0) return { corrections, verdicts, leftOut: new Map() };
  type Sent = Versioned & { readonly provenance: { readonly sourceRecordId?: string | undefined } };
  const sort = async <T extends Sent & { readonly id: string; readonly patientId?: string }, F extends Sent & { id: string }>(
    kind: RecordKind, list: readonly T[], schema: { parse(value: unknown): unknown },
    repository: { getStamped(ids: readonly string[]): Promise<readonly { record: F; stamp: { version: number } }[]> },
    into: Replacement<T>[], applied?: (before: F, after: T) => void,
  ) => {
    const again = list.filter((r) => stored.get(r.id) === r.patientId);
    if (again.length === 0) return;
    const filed = new Map((await repository.getStamped(again.map((r) => r.id))).map((f) => [f.record.id, f]));
    for (const r of again) {
      const first = filed.get(r.id);
      if (!first) continue;
      // Compared as the store holds it (defaults filled in, systems in their canonical spelling), as the filed one is.
      const { same, record, otherTest } = compareVersions(kind, first.record, schema.parse(r) as T);
      const order = same || otherTest ? undefined : sentOrder(r.provenance.sentAt, first.record.provenance.sentAt);
      const verdict: Verdict = otherTest ? 'other-test' : !order ? 'same' : order === 'later' ? 'applied' : order === 'earlier' ? 'older' : 'unordered';
      if (verdict === 'applied') {
        into.push({ record, replaces: first.stamp.version });
        applied?.(first.record, record);
      }
      verdicts.set(r.id, { verdict, named: r.provenance.sourceRecordId ?? r.id });
    }
  };
  const reportsChanged: { before: DiagnosticReport; after: ClinicalRecords['reports'][number] }[] = [];
  await sort('observations', records.observations, Observation, tx.observations, corrections.observations);
  await sort('conditions', records.conditions, Condition, tx.conditions, corrections.conditions);
  await sort('enrolments', records.enrolments, CareProgramEnrolment, tx.carePrograms, corrections.enrolments);
  await sort('reports', records.reports, DiagnosticReport, tx.reports, corrections.reports, (before, after) => reportsChanged.push({ before, after }));
  return { corrections, verdicts, leftOut: await leftOutOfReports(tx, reportsChanged, records, corrections, verdicts) };
}

/** What became of the results a lab report listed and its corrected version does not: by report id. */
interface LeftOut {
  /** The report, by the sender's id (the order number). */
  readonly named: string;
  /** Tests the report had as pending that now have their result (as records of their own), or are gone. */
  readonly resulted: number;
  readonly dropped: number;
  /** Results filed before that the new version leaves out, by the sender's ids: kept as they are. */
  readonly results: readonly string[];
}

/**
 * A lab report's newer version may leave out results its filed version listed. When it leaves out a result with a
 * value, it is a partial update (one sample of the order sent again, or a result not sent again): nothing is
 * taken away but the pending tests whose results it brings, the report keeps every other result it listed (and
 * its time), and the sender is warned. Otherwise the
 * tests it had as pending (placeholders without a value, `registered`) and no longer lists are no longer pending:
 * withdrawn (`entered-in-error`) when the new version has a result of that test's name (the result is a record of
 * its own, under the test's code), else given up (`cancelled`).
 */
async function leftOutOfReports(
  tx: Store, changed: readonly { before: DiagnosticReport; after: ClinicalRecords['reports'][number] }[], records: ClinicalRecords,
  corrections: Corrections, verdicts: Map<string, Judged>,
): Promise<Map<string, LeftOut>> {
  const leftOut = new Map<string, LeftOut>();
  const correcting = new Set(corrections.observations.map((c) => c.record.id));
  for (const { before, after } of changed) {
    const kept = new Set(after.observationIds);
    const gone = before.observationIds.filter((id) => !kept.has(id) && !correcting.has(id));
    if (gone.length === 0) continue;
    const found = (await tx.observations.getStamped(gone)).filter((f) => f.record.patientId === after.patientId);
    const results = found.filter((f) => f.record.status !== 'registered');
    const named = after.provenance.sourceRecordId ?? after.id;
    const names = new Set(records.observations.filter((o) => kept.has(o.id)).flatMap((o) => (o.text ? [testName(o.text)] : [])));
    const resulted = (f: (typeof found)[number]) => f.record.text !== undefined && names.has(testName(f.record.text));
    const close = (f: (typeof found)[number], status: 'entered-in-error' | 'cancelled') => corrections.observations.push({
      record: { ...f.record, status, provenance: { ...f.record.provenance, ...pick(after.provenance, ['messageId', 'sentAt']) } },
      replaces: f.stamp.version,
    });
    const pending = found.filter((f) => f.record.status === 'registered');
    if (results.length > 0) {
      // A part of the order: a pending test whose result it brings is closed all the same; the others stay pending.
      const done = pending.filter(resulted);
      for (const f of done) close(f, 'entered-in-error');
      keepListed(before, after, corrections, verdicts, pending.length > done.length, new Set(done.map((f) => f.record.id)));
      leftOut.set(after.id, { named, resulted: done.length, dropped: 0, results: results.map((f) => f.record.provenance.sourceRecordId ?? f.record.id) });
      continue;
    }
    for (const f of pending) close(f, resulted(f) ? 'entered-in-error' : 'cancelled');
    const done = pending.filter(resulted).length;
    leftOut.set(after.id, { named, resulted: done, dropped: pending.length - done, results: [] });
  }
  return leftOut;
}

/** A test's name as labs vary it: case, spaces and punctuation aside (`HbA1c (IFCC)`, `HBA1C IFCC`). */
function testName(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * A partial update of a report: its correction lists every result the filed version did (in that order, but the
 * pending tests it closed) and the new ones, keeps the filed time and conclusion (unless it brings one), and stays
 * partial while a pending test is still listed. When that says nothing
 * the filed version does not, there is no correction of the report at all.
 */
function keepListed(
  before: DiagnosticReport, after: ClinicalRecords['reports'][number], corrections: Corrections, verdicts: Map<string, Judged>, pending: boolean,
  closed: ReadonlySet<string>,
): void {
  const at = corrections.reports.findIndex((c) => c.record.id === after.id);
  if (at < 0) return;
  const added = (after.observationIds ?? []).filter((id) => !before.observationIds.includes(id));
  const merged = {
    ...after, observationIds: [...before.observationIds.filter((id) => !closed.has(id)), ...added],
    ...(before.effective ? { effective: before.effective } : {}), ...(pending ? { status: 'partial' as const } : {}),
    ...(after.conclusion === undefined && before.conclusion !== undefined ? { conclusion: before.conclusion } : {}),
  };
  const { same, record } = compareVersions('reports', before as unknown as Versioned, merged as unknown as Versioned);
  if (same) {
    corrections.reports.splice(at, 1);
    const judged = verdicts.get(after.id);
    if (judged) verdicts.set(after.id, { ...judged, verdict: 'same' });
  } else corrections.reports[at] = { ...corrections.reports[at]!, record: record as unknown as typeof after };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.flatMap((k) => (value[k] === undefined ? [] : [[k, value[k]]]))) as Partial<Pick<T, K>>;
}

function leftOutIssues(left: LeftOut): Issue[] {
  const pending = left.resulted + left.dropped;
  return [
    ...(pending > 0 ? [{
      severity: 'information' as const, code: 'PENDING_TESTS_CLOSED',
      message: `${pending} of the tests report ${left.named} had as pending are no longer pending: ${left.resulted} with a result (filed as a record of its own; the pending entry is withdrawn), ${left.dropped} without one (cancelled)`,
    }] : []),
    ...(left.results.length > 0 ? [{
      severity: 'warning' as const, code: 'RESULTS_LEFT_OUT',
      message: `${left.results.length} of the results filed before for report ${left.named} are not in its new version (a part of the order sent again?): they are kept as filed and in the report, and its pending tests stay pending: ${left.results.slice(0, 20).join(', ')}${left.results.length > 20 ? ', …' : ''}`,
    }] : []),
  ];
}

const FHIR_TYPE: Readonly<Record<keyof Corrections, string>> = {
  observations: 'Observation', conditions: 'Condition', enrolments: 'EpisodeOfCare', reports: 'DiagnosticReport',
};

function correctedVersions(corrections: Corrections): string[] {
  return (Object.keys(FHIR_TYPE) as (keyof Corrections)[])
    .flatMap((kind) => corrections[kind].map((c) => `${FHIR_TYPE[kind]}/${c.record.id}/_history/${c.replaces + 1}`));
}

async function applyCorrections(tx: Store, corrections: Corrections): Promise<void> {
  if (corrections.observations.length > 0) await tx.observations.replace(corrections.observations);
  if (corrections.conditions.length > 0) await tx.conditions.replace(corrections.conditions);
  if (corrections.enrolments.length > 0) await tx.carePrograms.replace(corrections.enrolments);
  if (corrections.reports.length > 0) await tx.reports.replace(corrections.reports);
}

function withoutRecords(records: ClinicalRecords, stored: ReadonlyMap<string, string>): ClinicalRecords {
  if (stored.size === 0) return records;
  const fresh = <T extends { readonly id: string }>(list: readonly T[]) => list.filter((r) => !stored.has(r.id));
  return { observations: fresh(records.observations), conditions: fresh(records.conditions), enrolments: fresh(records.enrolments), reports: fresh(records.reports) };
}

/**
 * A patient is in a programme with a care organization once: an enrolment a message brings for a programme and
 * organization the patient is already actively enrolled in (another concern id for the same programme, or a second
 * concern in one message) is not filed again, and the sender is told. The earliest start stands.
 */
async function withoutEnrolled(tx: Store, placed: readonly Placed[], records: ClinicalRecords): Promise<ClinicalRecords> {
  if (records.enrolments.length === 0) return records;
  const key = (e: { patientId: string; program: string; organizationId?: string | undefined }) => `${e.patientId}|${e.program}|${e.organizationId ?? ''}`;
  const enrolled = new Set<string>();
  for (const patientId of new Set(records.enrolments.map((e) => e.patientId))) {
    for (const e of (await tx.carePrograms.list(patientId, { limit: 100 })).items) {
      if (e.status === 'active') enrolled.add(key(e));
    }
  }
  const byStart = [...records.enrolments].sort((a, b) => (a.period.start ?? '').localeCompare(b.period.start ?? ''));
  const kept = new Set<string>();
  for (const e of byStart) {
    const k = key(e);
    if (e.status === 'active' && enrolled.has(k)) continue;
    if (e.status === 'active') enrolled.add(k);
    kept.add(e.id);
  }
  for (const p of placed) {
    const dropped = records.enrolments.filter((e) => e.patientId === p.patientId && !kept.has(e.id) && p.part.records.enrolments.some((r) => r.id === e.id));
    for (const e of dropped) {
      p.issues.push({
        severity: 'information', code: 'ALREADY_ENROLLED',
        message: `the patient is already enrolled in ${e.program} with this care organization: the message's enrolment was not filed again`,
      });
    }
  }
  return { ...records, enrolments: records.enrolments.filter((e) => kept.has(e.id)) };
}


/** The ids those parties are stored under, for the party ids the record uses. */
function storedParties(record: object, ids: ReadonlyMap<string, string>): Omit<AssignedIds, 'patientId'> {
  const stored: Partial<Record<(typeof PARTY_FIELDS)[number], string>> = {};
  for (const field of PARTY_FIELDS) {
    const id = (record as Record<string, unknown>)[field];
    if (typeof id === 'string') stored[field] = ids.get(id) ?? id;
  }
  return stored;
}

/**
 * The parties a message names, found by any of their identifiers (the same lab or doctor in every message) or
 * stored when new. A party without identifiers is stored under the id the message gave it. Returns message id →
 * stored id.
 */
async function fileParties(tx: Store, organizations: readonly Organization[], practitioners: readonly Practitioner[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const place = async <P extends { id: string; identifiers: readonly Identifier[] }>(
    parties: readonly P[], find: (i: Identifier) => Promise<{ id: string } | undefined>, save: (p: P) => Promise<unknown>,
  ) => {
    const known = new Map<string, string>();
    for (const party of parties) {
      const keys = party.identifiers.map(identifierKey);
      let id = keys.map((k) => known.get(k)).find((k) => k !== undefined);
      for (const identifier of id ? [] : party.identifiers) {
        id = (await find(identifier))?.id;
        if (id) break;
      }
      if (!id) {
        await save(party);
        id = party.id;
      }
      for (const k of keys) known.set(k, id);
      ids.set(party.id, id);
    }
  };
  await place(organizations, (i) => tx.organizations.findByIdentifier(i.system, i.value), (o) => tx.organizations.save(o));
  await place(practitioners, (i) => tx.practitioners.findByIdentifier(i.system, i.value), (p) => tx.practitioners.save(p));
  return ids;
}

/** The records with these ids, named as the sender names them. */
function senderNames(records: PartRecords, ids: readonly string[]): string {
  const wanted = new Set(ids);
  const named = [...records.observations, ...records.conditions, ...records.enrolments, ...records.reports]
    .filter((r) => wanted.has(r.id)).map((r) => r.provenance.sourceRecordId ?? r.id);
  const unique = [...new Set(named)];
  return `${unique.slice(0, 20).join(', ')}${unique.length > 20 ? `, and ${unique.length - 20} more` : ''}`;
}

function otherPatientsIssue(records: PartRecords, ids: readonly string[]): Issue {
  return {
    severity: 'error', code: 'RECORD_ID_OF_OTHER_PATIENT',
    message: `${ids.length} of the records carry ids already filed for another patient: they were not filed: ${senderNames(records, ids)}`,
  };
}

function waitingIssue(reason: string): Issue {
  return { severity: 'information', code: 'PATIENT_TO_MATCH', message: `waits in the matching queue for staff to say whose it is: ${reason}` };
}

function noNameIssue(): Issue {
  return { severity: 'error', code: 'PATIENT_NAME_MISSING', message: 'a new patient needs a family name and the message gives none: nothing of it was filed' };
}

function heldElsewhereIssue(identifier: Pick<Identifier, 'system'>): Issue {
  return { severity: 'warning', code: 'IDENTIFIER_HELD_ELSEWHERE', message: `an identifier in system ${identifier.system} already names another patient: it was not linked` };
}

function partsQuarantinedIssue(quarantined: readonly InboundPart[], total: number): Issue {
  const named = quarantined.slice(0, 10).map((p) => `${p.refs.join(', ') || p.key} (${[...new Set(p.issues.filter((i) => i.severity !== 'warning' && i.severity !== 'information').map((i) => i.code))].join(', ')})`);
  return {
    severity: 'error', code: PARTS_QUARANTINED,
    message: `${quarantined.length} of ${total} parts quarantined, nothing of them filed: ${named.join('; ')}${quarantined.length > 10 ? '; …' : ''}`,
  };
}
