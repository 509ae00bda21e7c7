import {
  CareProgramEnrolment,
  Condition,
  DiagnosticReport,
  Observation,
  startInstant,
  type CareProgramCode,
  type Parsed,
  type CareProgramEnrolmentInput,
  type ConditionInput,
  type DiagnosticReportInput,
  type ObservationInput,
} from '../canonical/index.js';
import { codesMatchSql, RecordTable, type ColumnFilter, type Replacement, type ListOptions, type Page, type PageAsk, type RowsInsert, type StoredWindow } from './record-table.js';
import type { Scope } from './scope.js';

const at = (value: string | undefined) => (value ? startInstant(value) : null);
const token = (c: { system: string; code: string }) => `${c.system}|${c.code}`;

const observations = new RecordTable('observations', Observation, [
  { name: 'code', type: 'text', value: (o) => token(o.codings[0]!) },
  { name: 'codes', type: 'text[]', value: (o) => o.codings.map(token) },
  { name: 'status', type: 'text', value: (o) => o.status },
  { name: 'category', type: 'text', value: (o) => o.category },
  { name: 'effective_at', type: 'timestamptz', value: (o) => at(o.effective) },
  { name: 'value_num', type: 'numeric', value: (o) => (o.value?.kind === 'quantity' ? o.value.quantity.value : null) },
  { name: 'report_id', type: 'uuid', value: (o) => o.reportId },
  { name: 'message_id', type: 'uuid', value: (o) => o.provenance.messageId },
], 'effective_at');

const conditions = new RecordTable('conditions', Condition, [
  { name: 'code', type: 'text', value: (c) => token(c.codings[0]!) },
  { name: 'codes', type: 'text[]', value: (c) => c.codings.map(token) },
  // A condition recorded in error has no clinical status (R4 con-5): no clinical-status filter may find it.
  { name: 'clinical_status', type: 'text', value: (c) => (c.verificationStatus === 'entered-in-error' ? null : c.clinicalStatus) },
  { name: 'onset_at', type: 'timestamptz', value: (c) => at(c.onset) },
  { name: 'message_id', type: 'uuid', value: (c) => c.provenance.messageId },
], 'onset_at');

const enrolments = new RecordTable('care_program_enrolments', CareProgramEnrolment, [
  { name: 'program', type: 'text', value: (e) => e.program },
  { name: 'status', type: 'text', value: (e) => e.status },
  { name: 'message_id', type: 'uuid', value: (e) => e.provenance.messageId },
], 'created_at');

const reports = new RecordTable('diagnostic_reports', DiagnosticReport, [
  { name: 'code', type: 'text', value: (r) => token(r.codings[0]!) },
  { name: 'effective_at', type: 'timestamptz', value: (r) => at(r.effective) },
  { name: 'message_id', type: 'uuid', value: (r) => r.provenance.messageId },
], 'effective_at');

/** Records of every clinical table, as one inbound filing writes them. */
export interface ClinicalRecords {
  readonly observations: readonly (ObservationInput | Parsed<Observation>)[];
  readonly conditions: readonly (ConditionInput | Parsed<Condition>)[];
  readonly enrolments: readonly (CareProgramEnrolmentInput | Parsed<CareProgramEnrolment>)[];
  readonly reports: readonly (DiagnosticReportInput | Parsed<DiagnosticReport>)[];
}

/** Every record validated first (a bad one throws before anything is written), then the INSERTs that write them. */
export function clinicalInserts(records: ClinicalRecords): RowsInsert[] {
  const parsed = {
    reports: reports.parseAll(records.reports), observations: observations.parseAll(records.observations),
    conditions: conditions.parseAll(records.conditions), enrolments: enrolments.parseAll(records.enrolments),
  };
  return [
    ...reports.inserts(parsed.reports), ...observations.inserts(parsed.observations),
    ...conditions.inserts(parsed.conditions), ...enrolments.inserts(parsed.enrolments),
  ];
}

export interface ObservationQuery extends ListOptions {
  /** Any of these codings, each written system|code, or a code alone for any system (a mapped LOINC finds the NHG-coded original too). */
  readonly codes?: readonly string[];
  /** Effective time: from (inclusive), to (exclusive). */
  readonly from?: string;
  readonly to?: string;
  /** Any of these statuses; an empty list matches nothing. */
  readonly statuses?: readonly string[];
  /** Any of these categories; an empty list matches nothing. */
  readonly categories?: readonly string[];
}

/** A filter on a time column: from (inclusive) and to (exclusive), as instants of the partial dates given. */
function timeFilters(column: string, from: string | undefined, to: string | undefined): ColumnFilter[] {
  return [
    ...(from ? [{ sql: (p: string) => `${column} >= ${p}::timestamptz`, value: startInstant(from) }] : []),
    ...(to ? [{ sql: (p: string) => `${column} < ${p}::timestamptz`, value: startInstant(to) }] : []),
  ];
}

const anyOf = (column: string, values: readonly string[] | undefined): ColumnFilter[] =>
  values ? [{ sql: (p) => `${column} = ANY(${p}::text[])`, value: values }] : [];

const codesMatch = (column: string, values: readonly string[] | undefined): ColumnFilter[] =>
  values && values.length > 0 ? [{ sql: (p) => codesMatchSql(column, p, true), value: values }] : [];

function observationFilters(query: ObservationQuery): ColumnFilter[] {
  return [
    ...codesMatch('codes', query.codes), ...timeFilters('effective_at', query.from, query.to),
    ...anyOf('status', query.statuses), ...anyOf('category', query.categories),
  ];
}

export interface ConditionQuery extends ListOptions {
  /** Any of these codings, each written system|code, or a code alone for any system. */
  readonly codes?: readonly string[];
  /** Any of these clinical statuses; an empty list matches nothing. */
  readonly clinicalStatuses?: readonly string[];
  /** Onset: from (inclusive), to (exclusive). */
  readonly onsetFrom?: string;
  readonly onsetTo?: string;
}

const conditionFilters = (query: ConditionQuery): ColumnFilter[] => [
  ...codesMatch('codes', query.codes), ...anyOf('clinical_status', query.clinicalStatuses), ...timeFilters('onset_at', query.onsetFrom, query.onsetTo),
];

export interface ReportQuery extends ListOptions {
  /** Effective time: from (inclusive), to (exclusive). */
  readonly from?: string;
  readonly to?: string;
}

export function observationRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly (ObservationInput | Parsed<Observation>)[]): Promise<Observation[]> {
      const parsed = observations.parseAll(inputs);
      await observations.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => observations.get(scope, id),
    stamps: (ids: readonly string[]) => observations.stamps(scope, ids),
    /** Records by id with their version stamps, in the order asked. */
    getStamped: (ids: readonly string[]) => observations.getStamped(scope, ids),
    /** Corrected versions of stored records, each replacing the version it names (the one before is kept). */
    replace: (replacements: readonly Replacement<ObservationInput | Parsed<Observation>>[]) => observations.replace(scope, replacements),
    /** Every version of one record, oldest first. */
    history: (id: string) => observations.history(scope, id),
    getMany: (ids: readonly string[]) => observations.getMany(scope, ids),
    /** A patient's observations, newest first, matching every filter given. */
    list: (patientId: string, query: ObservationQuery = {}): Promise<Page<Observation>> =>
      observations.listByPatient(scope, patientId, query, observationFilters(query)),
    /** `list` for several patients, each from its own cursor, all with the same query (its `after` unread). */
    listMany: (asks: readonly PageAsk[], query: ObservationQuery = {}): Promise<Page<Observation>[]> =>
      observations.listByPatients(scope, asks, query, observationFilters(query)),
    count: (patientId: string, query: ObservationQuery = {}): Promise<number> =>
      observations.countByPatient(scope, patientId, query, observationFilters(query)),
    async listByReport(reportId: string): Promise<Observation[]> {
      const rows = await scope.q.query<{ resource: unknown }>(
        'SELECT resource FROM observations WHERE report_id = $1 ORDER BY effective_at, id',
        [reportId],
      );
      return rows.map((r) => Observation.parse(r.resource));
    },
  };
}

export function conditionRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly (ConditionInput | Parsed<Condition>)[]): Promise<Condition[]> {
      const parsed = conditions.parseAll(inputs);
      await conditions.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => conditions.get(scope, id),
    stamps: (ids: readonly string[]) => conditions.stamps(scope, ids),
    /** Records by id with their version stamps, in the order asked. */
    getStamped: (ids: readonly string[]) => conditions.getStamped(scope, ids),
    /** Corrected versions of stored records, each replacing the version it names (the one before is kept). */
    replace: (replacements: readonly Replacement<ConditionInput | Parsed<Condition>>[]) => conditions.replace(scope, replacements),
    /** Every version of one record, oldest first. */
    history: (id: string) => conditions.history(scope, id),
    list: (patientId: string, query: ConditionQuery = {}) => conditions.listByPatient(scope, patientId, query, conditionFilters(query)),
    listMany: (asks: readonly PageAsk[], query: ConditionQuery = {}) => conditions.listByPatients(scope, asks, query, conditionFilters(query)),
    count: (patientId: string, query: ConditionQuery = {}) => conditions.countByPatient(scope, patientId, query, conditionFilters(query)),
  };
}

export function careProgramRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly (CareProgramEnrolmentInput | Parsed<CareProgramEnrolment>)[]): Promise<CareProgramEnrolment[]> {
      const parsed = enrolments.parseAll(inputs);
      await enrolments.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => enrolments.get(scope, id),
    stamps: (ids: readonly string[]) => enrolments.stamps(scope, ids),
    /** Records by id with their version stamps, in the order asked. */
    getStamped: (ids: readonly string[]) => enrolments.getStamped(scope, ids),
    /** Corrected versions of stored records, each replacing the version it names (the one before is kept). */
    replace: (replacements: readonly Replacement<CareProgramEnrolmentInput | Parsed<CareProgramEnrolment>>[]) => enrolments.replace(scope, replacements),
    /** Every version of one record, oldest first. */
    history: (id: string) => enrolments.history(scope, id),
    list: (patientId: string, options?: ListOptions) => enrolments.listByPatient(scope, patientId, options),
    listMany: (asks: readonly PageAsk[], options?: ListOptions) => enrolments.listByPatients(scope, asks, options),
    count: (patientId: string, window: StoredWindow = {}) => enrolments.countByPatient(scope, patientId, window),
    async countByProgram(): Promise<Record<CareProgramCode, number>> {
      const rows = await scope.q.query<{ program: CareProgramCode; n: number }>(
        `SELECT program, count(*) AS n FROM care_program_enrolments WHERE status = 'active' GROUP BY program`,
      );
      const counts: Record<CareProgramCode, number> = { DM2: 0, COPD: 0, CVRM: 0 };
      for (const r of rows) counts[r.program] = r.n;
      return counts;
    },
  };
}

export function reportRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly (DiagnosticReportInput | Parsed<DiagnosticReport>)[]): Promise<DiagnosticReport[]> {
      const parsed = reports.parseAll(inputs);
      await reports.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => reports.get(scope, id),
    stamps: (ids: readonly string[]) => reports.stamps(scope, ids),
    /** Records by id with their version stamps, in the order asked. */
    getStamped: (ids: readonly string[]) => reports.getStamped(scope, ids),
    /** Corrected versions of stored records, each replacing the version it names (the one before is kept). */
    replace: (replacements: readonly Replacement<DiagnosticReportInput | Parsed<DiagnosticReport>>[]) => reports.replace(scope, replacements),
    /** Every version of one record, oldest first. */
    history: (id: string) => reports.history(scope, id),
    list: (patientId: string, query: ReportQuery = {}) => reports.listByPatient(scope, patientId, query, timeFilters('effective_at', query.from, query.to)),
    listMany: (asks: readonly PageAsk[], query: ReportQuery = {}) => reports.listByPatients(scope, asks, query, timeFilters('effective_at', query.from, query.to)),
    count: (patientId: string, query: ReportQuery = {}) => reports.countByPatient(scope, patientId, query, timeFilters('effective_at', query.from, query.to)),
  };
}

export type ObservationRepository = ReturnType<typeof observationRepository>;
