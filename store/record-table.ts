import type { z } from 'zod';
import { parsedBy, type Parsed } from '../canonical/index.js';
import { dbJson } from './db-json.js';
import { StoreError } from './errors.js';
import { batches, type Scope } from './scope.js';
import { isUuid } from './uuid.js';

/**
 * A table of patient-scoped clinical records: the canonical record as jsonb plus the columns that indexes need.
 * Table and column names come from the code below, never from input, so building SQL from them is safe;
 * every value travels as a parameter (one jsonb array per batch, unpacked by jsonb_to_recordset).
 */
export interface ColumnSpec<T> {
  readonly name: string;
  readonly type: 'uuid' | 'text' | 'text[]' | 'timestamptz' | 'numeric' | 'jsonb';
  readonly value: (record: T) => unknown;
}

/**
 * When records last changed: were stored, or replaced by a version their sender corrected: [from, to). A record's
 * last change is `updated_at` once it has been replaced, else when it was stored. With `ids`, only those records.
 */
export interface StoredWindow {
  readonly storedFrom?: string;
  readonly storedTo?: string;
  /** Record ids, any of which matches; an empty list matches none. */
  readonly ids?: readonly string[];
}

/** Whose page a list asks for, and from where. */
export interface PageAsk {
  readonly patientId: string;
  readonly after?: ListOptions['after'];
}

export interface ListOptions extends StoredWindow {
  readonly limit?: number;
  /** Keyset cursor: the last row of the previous page (its order time, null when it had none, and id). */
  readonly after?: { readonly at: string | null; readonly id: string };
}

/**
 * A condition on a table's columns, written by our code for the placeholder it is given (`$7`); its value always
 * travels as that parameter.
 */
export interface ColumnFilter {
  readonly sql: (placeholder: string) => string;
  readonly value: unknown;
}

const CHANGED_AT = 'coalesce(updated_at, created_at)';

/** Filters on the last change, as ListOptions and StoredWindow give it. */
function storedFilters(window: StoredWindow): ColumnFilter[] {
  return [
    ...(window.storedFrom ? [{ sql: (p: string) => `${CHANGED_AT} >= ${p}::timestamptz`, value: window.storedFrom }] : []),
    ...(window.storedTo ? [{ sql: (p: string) => `${CHANGED_AT} < ${p}::timestamptz`, value: window.storedTo }] : []),
    ...(window.ids ? [{ sql: (p: string) => `id = ANY(${p}::uuid[])`, value: window.ids.filter(isUuid) }] : []),
  ];
}

/** `AND`-joined filters numbered from `$first`, and their values in that order. */
function whereOf(filters: readonly ColumnFilter[], first: number): { sql: string; params: unknown[] } {
  return { sql: filters.map((f, i) => ` AND ${f.sql(`$${first + i}`)}`).join(''), params: filters.map((f) => f.value) };
}

/**
 * Coded columns hold `system|code` tokens. The condition that a `system|code` value, a code alone (no `|`: of any
 * system, as a FHIR token search without one) or a system alone (`system|`: any of its codes) matches the single
 * token in `column` or, with `array`, one of its tokens; `values` is the placeholder of a text[] parameter.
 */
export function codesMatchSql(column: string, values: string, array: boolean): string {
  return array
    ? `(${column} && ${values}::text[] OR EXISTS (SELECT 1 FROM unnest(${column}) AS t WHERE substr(t, strpos(t, '|') + 1) = ANY(${values}::text[]) OR substr(t, 1, strpos(t, '|')) = ANY(${values}::text[])))`
    : `(${column} = ANY(${values}::text[]) OR substr(${column}, strpos(${column}, '|') + 1) = ANY(${values}::text[]) OR substr(${column}, 1, strpos(${column}, '|')) = ANY(${values}::text[]))`;
}

/** A stored record's version (1 until its sender corrects it) and when that version was stored. */
export interface VersionStamp {
  readonly version: number;
  readonly updatedAt: string;
}

/** A record as stored, with its version stamp. */
export interface Stamped<T> {
  readonly record: T;
  readonly stamp: VersionStamp;
}

/** A corrected record and the version of it that it replaces. */
export interface Replacement<T> {
  readonly record: T;
  readonly replaces: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly next?: { at: string | null; id: string };
  /** Each item's version stamp, read with the page. */
  readonly stamps?: ReadonlyMap<string, VersionStamp>;
}

export const MAX_PAGE = 1000;

/** `created_at` of the rows with these ids in a table whose name comes from our code, never from input. */
export async function storedAt(scope: Scope, table: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await scope.q.query<{ id: string; created_at: string }>(`SELECT id, created_at FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.created_at]));
}
const BATCH = 2000;

/**
 * One INSERT … SELECT FROM jsonb_to_recordset of a batch of rows: its text for the placeholder its parameter gets,
 * and that parameter. Several of them can run as one statement (data-modifying WITH queries), one round trip.
 */
export interface RowsInsert {
  readonly sql: (placeholder: string) => string;
  readonly rows: string;
}

export class RecordTable<S extends z.ZodType<{ id: string; patientId: string }>> {
  private readonly insertSql: (placeholder: string) => string;
  private readonly replaceSql: string;

  constructor(
    readonly table: string,
    private readonly schema: S,
    private readonly columns: readonly ColumnSpec<z.infer<S>>[],
    /** The time column pages are ordered by, newest first. */
    private readonly orderColumn: string,
  ) {
    const all = [
      { name: 'id', type: 'uuid' },
      { name: 'patient_id', type: 'uuid' },
      ...columns,
      { name: 'resource', type: 'jsonb' },
    ];
    const names = all.map((c) => c.name).join(', ');
    const defs = all.map((c) => `${c.name} ${c.type === 'text[]' ? 'jsonb' : c.type}`).join(', ');
    const select = all
      .map((c) => (c.type === 'text[]' ? `ARRAY(SELECT jsonb_array_elements_text(x.${c.name}))` : `x.${c.name}`))
      .join(', ');
    this.insertSql = (p) => `INSERT INTO ${table} (${names}) SELECT ${select} FROM jsonb_to_recordset(${p}::jsonb) AS x(${defs})`;
    // The version replaced is kept first; a row whose version is no longer the one the filing compared with (another
    // filing replaced it meanwhile) is neither kept nor updated, and the caller sees it missing from what returns.
    const set = all.filter((c) => c.name !== 'id' && c.name !== 'patient_id')
      .map((c) => `${c.name} = ${c.type === 'text[]' ? `ARRAY(SELECT jsonb_array_elements_text(x.${c.name}))` : `x.${c.name}`}`).join(', ');
    this.replaceSql = `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${defs}, replaces integer)),
      kept AS (
        INSERT INTO clinical_record_versions (record_table, id, version, message_id, resource, stored_at)
        SELECT '${table}', t.id, t.version, t.message_id, t.resource, coalesce(t.updated_at, t.created_at)
        FROM ${table} t JOIN x ON t.id = x.id AND t.patient_id = x.patient_id AND t.version = x.replaces)
      UPDATE ${table} t SET ${set}, version = t.version + 1, updated_at = now()
      FROM x WHERE t.id = x.id AND t.patient_id = x.patient_id AND t.version = x.replaces
      RETURNING t.id`;
  }

  /**
   * Validates every record first, so a bad one is reported before anything is written. A record this table's
   * schema has parsed already (canonical/parsed.ts remembers which) is taken as it is: parsing it again would
   * change nothing; anything else, whatever its type claims, is parsed.
   */
  parseAll(inputs: readonly (z.input<S> | Parsed<z.infer<S>>)[]): z.infer<S>[] {
    return inputs.map((input) => (parsedBy(this.schema, input) ? input : this.schema.parse(input)));
  }

  /** The INSERTs that write parsed records, a batch of rows each; none for none. */
  inserts(records: readonly z.infer<S>[]): RowsInsert[] {
    return [...batches(this.rows(records), BATCH)].map((batch) => ({ sql: this.insertSql, rows: dbJson(batch) }));
  }

  /** The rows of parsed records as the INSERT and UPDATE statements unpack them. */
  private rows(records: readonly z.infer<S>[]): Record<string, unknown>[] {
    return records.map((r) => {
      const row: Record<string, unknown> = { id: r.id, patient_id: r.patientId, resource: r };
      for (const c of this.columns) row[c.name] = c.value(r) ?? null;
      return row;
    });
  }

  /**
   * Replaces stored records with corrected versions of them, keeping each replaced version. Each must still be at
   * the version it says it replaces, under the same patient: if another filing replaced one meanwhile, nothing is
   * written and a version-conflict is thrown (the caller's transaction then leaves it all undone, to be tried again).
   */
  async replace(scope: Scope, replacements: readonly Replacement<z.input<S> | Parsed<z.infer<S>>>[]): Promise<void> {
    const records = this.parseAll(replacements.map((r) => r.record));
    const rows = this.rows(records).map((row, i): Record<string, unknown> => ({ ...row, replaces: replacements[i]!.replaces }));
    for (const batch of batches(rows, BATCH)) {
      const done = await scope.q.query<{ id: string }>(this.replaceSql, [dbJson(batch)]);
      if (done.length !== batch.length) {
        const replaced = new Set(done.map((d) => d.id));
        throw new StoreError('version-conflict', `a ${this.table} record changed while its correction was filed`, { ids: batch.filter((b) => !replaced.has(b.id as string)).map((b) => b.id) });
      }
    }
  }

  async insertMany(scope: Scope, records: readonly z.infer<S>[]): Promise<void> {
    const statements = this.inserts(records);
    if (statements.length === 0) return;
    await scope.atomic(async (q) => {
      for (const s of statements) await q.query(s.sql('$1'), [s.rows]);
    });
  }

  async get(scope: Scope, id: string): Promise<z.infer<S> | undefined> {
    const rows = await scope.q.query<{ resource: unknown }>(`SELECT resource FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] ? this.schema.parse(rows[0].resource) : undefined;
  }

  async getMany(scope: Scope, ids: readonly string[]): Promise<z.infer<S>[]> {
    if (ids.length === 0) return [];
    const rows = await scope.q.query<{ resource: unknown }>(
      `SELECT resource FROM ${this.table} WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`,
      [ids],
    );
    return rows.map((r) => this.schema.parse(r.resource));
  }

  /** Records with their version stamps, in the order of `ids`; an id not stored (or not an id of ours) is left out. */
  async getStamped(scope: Scope, ids: readonly string[]): Promise<Stamped<z.infer<S>>[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    const rows = await scope.q.query<{ version: number; changed_at: string; resource: unknown }>(
      `SELECT version, ${CHANGED_AT} AS changed_at, resource FROM ${this.table} WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`,
      [valid],
    );
    return rows.map((r) => ({ record: this.schema.parse(r.resource), stamp: { version: r.version, updatedAt: r.changed_at } }));
  }

  /** Each record's version and when it was stored. */
  async stamps(scope: Scope, ids: readonly string[]): Promise<Map<string, VersionStamp>> {
    if (ids.length === 0) return new Map();
    const rows = await scope.q.query<{ id: string; version: number; changed_at: string }>(
      `SELECT id, version, ${CHANGED_AT} AS changed_at FROM ${this.table} WHERE id = ANY($1::uuid[])`, [ids],
    );
    return new Map(rows.map((r) => [r.id, { version: r.version, updatedAt: r.changed_at }]));
  }

  /** Every version of a record, the current one last, each with when it was stored (none for an unknown id). */
  async history(scope: Scope, id: string): Promise<Stamped<z.infer<S>>[]> {
    if (!isUuid(id)) return [];
    const rows = await scope.q.query<{ version: number; changed_at: string; resource: unknown }>(
      `SELECT version, stored_at AS changed_at, resource FROM clinical_record_versions WHERE record_table = '${this.table}' AND id = $1
       UNION ALL SELECT version, ${CHANGED_AT}, resource FROM ${this.table} WHERE id = $1
       ORDER BY version`, [id],
    );
    return rows.map((r) => ({ record: this.schema.parse(r.resource), stamp: { version: r.version, updatedAt: r.changed_at } }));
  }

  /** One patient's records, newest first (records without a time last), in pages, matching every filter. */
  async listByPatient(scope: Scope, patientId: string, options: ListOptions = {}, filters: readonly ColumnFilter[] = []): Promise<Page<z.infer<S>>> {
    return (await this.listByPatients(scope, [{ patientId, ...(options.after ? { after: options.after } : {}) }], options, filters))[0]!;
  }

  /**
   * A page for each of several patients (each from its own cursor), all with the same options and filters, read
   * in one statement for those with a cursor and one for those without: what the list searches of many requests
   * asked at once cost (store/coalesced-reads.ts). `options.after` is not read. An ask whose patient or cursor
   * cannot be ours gets an empty page.
   */
  async listByPatients(scope: Scope, asks: readonly PageAsk[], options: ListOptions = {}, filters: readonly ColumnFilter[] = []): Promise<Page<z.infer<S>>[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_PAGE);
    const col = this.orderColumn;
    const pages: Page<z.infer<S>>[] = asks.map(() => ({ items: [], stamps: new Map() }));
    const valid = asks.flatMap((ask, i) => (isUuid(ask.patientId) && (!ask.after || isUuid(ask.after.id)) ? [{ ask, i }] : []));
    const where = whereOf([...filters, ...storedFilters(options)], 5);
    for (const group of [valid.filter((v) => !v.ask.after), valid.filter((v) => v.ask.after)]) {
      if (group.length === 0) continue;
      const cursor = group[0]!.ask.after
        ? `AND (CASE WHEN k.after_at IS NULL THEN ${col} IS NULL AND id < k.after_id
                ELSE ${col} < k.after_at OR (${col} = k.after_at AND id < k.after_id) OR ${col} IS NULL END)`
        : '';
      const rows = await scope.q.query<{ n: number; id: string; at: string | null; version: number; changed_at: string; resource: unknown }>(
        `SELECT k.n::int AS n, r.id, r.at, r.version, r.changed_at, r.resource
         FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[]) WITH ORDINALITY AS k (patient_id, after_at, after_id, n)
         CROSS JOIN LATERAL (
           SELECT id, ${col} AS at, version, ${CHANGED_AT} AS changed_at, resource FROM ${this.table}
           WHERE patient_id = k.patient_id ${cursor} ${where.sql}
           ORDER BY ${col} DESC NULLS LAST, id DESC LIMIT $4) r
         ORDER BY k.n, r.at DESC NULLS LAST, r.id DESC`,
        [group.map((v) => v.ask.patientId), group.map((v) => v.ask.after?.at ?? null), group.map((v) => v.ask.after?.id ?? null), limit + 1, ...where.params],
      );
      const byAsk = new Map<number, typeof rows>();
      for (const row of rows) {
        const list = byAsk.get(row.n);
        if (list) list.push(row);
        else byAsk.set(row.n, [row]);
      }
      for (const [n, found] of byAsk) {
        const page = found.slice(0, limit);
        const last = found.length > limit ? found[limit - 1] : undefined;
        const items = page.map((r) => this.schema.parse(r.resource));
        const stamps = new Map(page.map((r) => [r.id, { version: r.version, updatedAt: r.changed_at }]));
        pages[group[n - 1]!.i] = last ? { items, next: { at: last.at, id: last.id }, stamps } : { items, stamps };
      }
    }
    return pages;
  }

  /** How many of one patient's records match every filter (what listByPatient would page through). */
  async countByPatient(scope: Scope, patientId: string, window: StoredWindow = {}, filters: readonly ColumnFilter[] = []): Promise<number> {
    const where = whereOf([...filters, ...storedFilters(window)], 2);
    const rows = await scope.q.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${this.table} WHERE patient_id = $1 ${where.sql}`,
      [patientId, ...where.params],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
