import {
  CareProgramEnrolment,
  Condition,
  DiagnosticReport,
  Observation,
  startInstant,
  type CareProgramCode,
  type CareProgramEnrolmentInput,
  type ConditionInput,
  type DiagnosticReportInput,
  type ObservationInput,
} from '../canonical/index.js';
import { RecordTable, type ListOptions, type Page } from './record-table.js';
import type { Scope } from './scope.js';

const at = (value: string | undefined) => (value ? startInstant(value) : null);
const token = (c: { system: string; code: string }) => `${c.system}|${c.code}`;

const observations = new RecordTable('observations', Observation, [
  { name: 'code', type: 'text', value: (o) => token(o.codings[0]!) },
  { name: 'codes', type: 'text[]', value: (o) => o.codings.map(token) },
  { name: 'status', type: 'text', value: (o) => o.status },
  { name: 'effective_at', type: 'timestamptz', value: (o) => at(o.effective) },
  { name: 'value_num', type: 'numeric', value: (o) => (o.value?.kind === 'quantity' ? o.value.quantity.value : null) },
  { name: 'report_id', type: 'uuid', value: (o) => o.reportId },
  { name: 'message_id', type: 'uuid', value: (o) => o.provenance.messageId },
], 'effective_at');

const conditions = new RecordTable('conditions', Condition, [
  { name: 'code', type: 'text', value: (c) => token(c.codings[0]!) },
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

export interface ObservationQuery extends ListOptions {
  /** Any of these codings, each written system|code (a mapped LOINC finds the NHG-coded original too). */
  readonly codes?: readonly string[];
  readonly from?: string;
  readonly to?: string;
}

export function observationRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly ObservationInput[]): Promise<Observation[]> {
      const parsed = observations.parseAll(inputs);
      await observations.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => observations.get(scope, id),
    storedAt: (ids: readonly string[]) => observations.storedAt(scope, ids),
    getMany: (ids: readonly string[]) => observations.getMany(scope, ids),
    /** A patient's observations, newest first; `from`/`to` bound the effective time (inclusive, exclusive). */
    list(patientId: string, query: ObservationQuery = {}): Promise<Page<Observation>> {
      const params: unknown[] = [];
      const conditionsSql: string[] = [];
      if (query.codes && query.codes.length > 0) {
        params.push(query.codes);
        conditionsSql.push(`AND codes && $${4 + params.length}::text[]`);
      }
      if (query.from) {
        params.push(startInstant(query.from));
        conditionsSql.push(`AND effective_at >= $${4 + params.length}::timestamptz`);
      }
      if (query.to) {
        params.push(startInstant(query.to));
        conditionsSql.push(`AND effective_at < $${4 + params.length}::timestamptz`);
      }
      return observations.listByPatient(scope, patientId, query, { sql: conditionsSql.join(' '), params });
    },
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
    async insertMany(inputs: readonly ConditionInput[]): Promise<Condition[]> {
      const parsed = conditions.parseAll(inputs);
      await conditions.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => conditions.get(scope, id),
    storedAt: (ids: readonly string[]) => conditions.storedAt(scope, ids),
    list: (patientId: string, options?: ListOptions) => conditions.listByPatient(scope, patientId, options),
  };
}

export function careProgramRepository(scope: Scope) {
  return {
    async insertMany(inputs: readonly CareProgramEnrolmentInput[]): Promise<CareProgramEnrolment[]> {
      const parsed = enrolments.parseAll(inputs);
      await enrolments.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => enrolments.get(scope, id),
    list: (patientId: string, options?: ListOptions) => enrolments.listByPatient(scope, patientId, options),
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
    async insertMany(inputs: readonly DiagnosticReportInput[]): Promise<DiagnosticReport[]> {
      const parsed = reports.parseAll(inputs);
      await reports.insertMany(scope, parsed);
      return parsed;
    },
    get: (id: string) => reports.get(scope, id),
    storedAt: (ids: readonly string[]) => reports.storedAt(scope, ids),
    list: (patientId: string, options?: ListOptions) => reports.listByPatient(scope, patientId, options),
  };
}

export type ObservationRepository = ReturnType<typeof observationRepository>;
