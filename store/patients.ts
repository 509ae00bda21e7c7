import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { familyKey, Identifier, Patient, type PatientInput } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { AtClock } from './change-feed.js';
import { isUuid } from './uuid.js';
import { batches, type Scope } from './scope.js';
import type { Queryable } from './database.js';
import { patientConsentFactsColumns, patientConsentFactsOf, type PatientConsentFacts, type PatientConsentFactsRow, type PolicyRecord } from './consent.js';

export interface PatientRecord {
  readonly patient: Patient;
  /** Incremented on every change; updates name the version they read, so a concurrent edit is refused. */
  readonly version: number;
  /** When the version was made. */
  readonly updatedAt: string;
}

export interface PatientMerge {
  readonly id: string;
  readonly survivorId: string;
  readonly mergedId: string;
  readonly reason: string;
  readonly mergedBy: string;
  readonly mergedAt: string;
  /** What moved from the merged record to the survivor, so the merge can be traced and undone by hand. */
  readonly moved: { identifiers: Identifier[]; records: Record<string, string[]> };
  /** The survivor's consent choice as the merge changed it (consent carryChoiceOnMerge), when it did. */
  readonly consentChoice?: PolicyRecord;
  /** How many access requests held for review moved from the merged record to the survivor (identity.merge). */
  readonly accessRequestsMoved?: number;
}

export interface DuplicateGroup {
  readonly familyKey: string;
  readonly birthDate: string;
  readonly patientIds: string[];
}

/** What a patient search may filter on; each given filter must hold. */
export interface PatientFilter {
  readonly ids?: readonly string[];
  /** Family-name key prefixes, any of which matches (canonical/names familyKey). */
  readonly familyKeys?: readonly string[];
  /** Lower-case given-name prefixes, any of which matches. */
  readonly givens?: readonly string[];
  /** The record's last change (its version's time) in [storedFrom, storedTo). */
  readonly storedFrom?: string;
  readonly storedTo?: string;
  /** With `ids`: records merged into another match too (a search by id finds what a read by id finds). */
  readonly withMerged?: boolean;
  /** Names, any of which matches as a family-name key prefix or a given-name prefix (FHIR `name`). */
  readonly names?: readonly { readonly familyKey: string; readonly given: string }[];
  readonly birthDate?: string;
  readonly gender?: string;
}

export type Demographics = Pick<PatientInput, 'names' | 'birthDate' | 'gender' | 'deceased' | 'addresses' | 'telecom' | 'managingOrganizationId'>;

/** The tables whose rows belong to a patient and follow the survivor in a merge. */
const PATIENT_RECORD_TABLES = ['observations', 'conditions', 'care_program_enrolments', 'diagnostic_reports', 'documents'] as const;

/** The identifiers linked to the patient row `p` now, in the order they were linked. */
const IDENTIFIERS_OF_P = `COALESCE((SELECT jsonb_agg(i.detail ORDER BY i.seq) FROM patient_identifiers i WHERE i.patient_id = p.id), '[]'::jsonb)`;

const SELECT_PATIENT = `SELECT p.id, p.version, p.updated_at, p.resource, ${IDENTIFIERS_OF_P} AS identifiers FROM patients p`;

/**
 * Keeps the current version of each patient named before a change replaces it, identifiers included (read the
 * audit trail's `Patient/{id}/_history/{n}` by). Runs in the changing transaction, after the rows are locked.
 */
async function keepVersions(tx: Queryable, ids: readonly string[]): Promise<void> {
  await tx.query(
    `INSERT INTO patient_versions (id, version, resource, stored_at)
     SELECT p.id, p.version, p.resource || jsonb_build_object('identifiers', ${IDENTIFIERS_OF_P}), p.updated_at FROM patients p WHERE p.id = ANY($1::uuid[])`,
    [ids],
  );
}

type PatientRow = { id: string; version: number; updated_at: string; resource: Record<string, unknown>; identifiers: unknown[] };

function fromRow(row: PatientRow): PatientRecord {
  return { patient: Patient.parse({ ...row.resource, identifiers: row.identifiers }), version: row.version, updatedAt: row.updated_at };
}

/** The family keys a patient is found by: the own name and the partner's name of every name it carries. */
function nameKeys(p: Patient): string[] {
  const keys = new Set<string>();
  for (const n of p.names) {
    keys.add(familyKey(n.family, n.familyPrefix));
    if (n.partnerFamily) keys.add(familyKey(n.partnerFamily, n.partnerPrefix));
  }
  keys.delete('');
  return [...keys];
}

function stored(p: Patient): Record<string, unknown> {
  const { identifiers: _identifiers, ...rest } = p;
  return rest;
}

async function writeNameKeys(q: Queryable, patients: readonly Patient[]): Promise<void> {
  const rows = patients.flatMap((p) => nameKeys(p).map((k) => ({ patient_id: p.id, family_key: k, birth_date: p.birthDate ?? null })));
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO patient_name_keys (patient_id, family_key, birth_date)
     SELECT x.patient_id, x.family_key, x.birth_date FROM jsonb_to_recordset($1::jsonb) AS x(patient_id uuid, family_key text, birth_date text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

async function refuseTakenIdentifiers(q: Queryable, rows: readonly { system: string; value: string; patient_id: string }[]): Promise<void> {
  if (rows.length === 0) return;
  const taken = await q.query<{ system: string; value: string; patient_id: string }>(
    `SELECT i.system, i.value, i.patient_id FROM patient_identifiers i
     JOIN jsonb_to_recordset($1::jsonb) AS x(system text, value text, patient_id uuid)
       ON i.system = x.system AND i.value = x.value AND i.patient_id <> x.patient_id`,
    [JSON.stringify(rows)],
  );
  const first = taken[0];
  if (first) {
    throw new StoreError('identifier-taken', `identifier in system ${first.system} already belongs to another patient`, {
      system: first.system,
      patientId: first.patient_id,
    });
  }
}

async function insertIdentifiers(q: Queryable, rows: readonly { system: string; value: string; patient_id: string; detail: Identifier }[], linkedBy: string): Promise<number> {
  if (rows.length === 0) return 0;
  await refuseTakenIdentifiers(q, rows);
  try {
    const inserted = await q.query(
      `INSERT INTO patient_identifiers (system, value, patient_id, detail, linked_by)
       SELECT e.v->>'system', e.v->>'value', (e.v->>'patient_id')::uuid, e.v->'detail', $2
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n
       ON CONFLICT (system, value) DO NOTHING RETURNING system`,
      [JSON.stringify(rows), linkedBy],
    );
    return inserted.length;
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreError('identifier-taken', 'an identifier already belongs to another patient');
    throw error;
  }
}

/**
 * The active patient each lookup names (following merges), with the change clock the statement read and, for each
 * patient found, their consent facts as of that clock.
 */
export interface Resolved extends AtClock<(string | undefined)[]> {
  readonly consent: readonly (PatientConsentFacts | undefined)[];
  /** Each patient's record, when asked for (`withRecords`). */
  readonly records?: readonly (PatientRecord | undefined)[];
}

/** One lookup's patient, clock and consent facts (none when no one was found), and record when asked for. */
export interface ResolvedOne extends AtClock<string | undefined> {
  readonly consent?: PatientConsentFacts;
  readonly record?: PatientRecord;
}

/** The `i`th lookup of a statement's answer, on its own. */
export function resolvedAt(r: Resolved, i: number): ResolvedOne {
  const [consent, record] = [r.consent[i], r.records?.[i]];
  return { value: r.value[i], changeClock: r.changeClock, ...(consent ? { consent } : {}), ...(record ? { record } : {}) };
}

/** What a lookup reads besides the patient's id, clock and consent facts. */
export interface ResolveOptions {
  /** The patient's record too, for a request that will answer with it once consent permits. */
  readonly withRecords?: boolean;
}

export function patientRepository(scope: Scope) {
  const { q } = scope;

  /**
   * Follows merges from each patient `start` selects (n, id, status, merged_into, 0), n numbering what was asked
   * from 1, to the active one, if any; with the change clock the same statement read, and what consent needs to
   * know of each patient found, so that a request about a patient decides without a second round trip.
   */
  async function activeAtEndOfMerges(start: string, params: unknown[], asked: number, options: ResolveOptions): Promise<Resolved> {
    type Row = { clock: number; n: number | null; id: string | null } & PatientConsentFactsRow & {
      record_version?: number; record_updated_at?: string; record_resource?: PatientRow['resource'] | null; record_identifiers?: unknown[];
    };
    const record = options.withRecords
      ? { columns: ', r.version AS record_version, r.updated_at AS record_updated_at, r.resource AS record_resource, r.identifiers AS record_identifiers',
          join: `LEFT JOIN LATERAL (${SELECT_PATIENT} WHERE p.id = a.id) r ON true` }
      : { columns: '', join: '' };
    const rows = await q.query<Row>(
      `WITH RECURSIVE chain (n, id, status, merged_into, hops) AS (
         ${start}
         UNION ALL
         SELECT c.n, p.id, p.status, p.merged_into, c.hops + 1 FROM patients p JOIN chain c ON p.id = c.merged_into WHERE c.hops < 20)
       SELECT k.version AS clock, a.n, a.id, ${patientConsentFactsColumns('a.id')}${record.columns} FROM change_clock k
       LEFT JOIN (SELECT DISTINCT ON (n) n::int AS n, id FROM chain WHERE status = 'active' ORDER BY n, hops) a ON true
       ${record.join}`,
      params,
    );
    const value: (string | undefined)[] = Array.from({ length: asked }, () => undefined);
    const consent: (PatientConsentFacts | undefined)[] = Array.from({ length: asked }, () => undefined);
    const records: (PatientRecord | undefined)[] | undefined = options.withRecords ? Array.from({ length: asked }, () => undefined) : undefined;
    for (const row of rows) {
      if (row.n === null || row.id === null) continue;
      value[row.n - 1] = row.id;
      consent[row.n - 1] = patientConsentFactsOf(row);
      if (records && row.record_resource) {
        records[row.n - 1] = fromRow({
          id: row.id, version: row.record_version!, updated_at: row.record_updated_at!, resource: row.record_resource, identifiers: row.record_identifiers ?? [],
        });
      }
    }
    return { value, changeClock: rows[0]!.clock, consent, ...(records ? { records } : {}) };
  }

  async function getMany(ids: readonly string[]): Promise<PatientRecord[]> {
    if (ids.length === 0) return [];
    const rows = await q.query<PatientRow>(`${SELECT_PATIENT} WHERE p.id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], p.id)`, [ids]);
    return rows.map(fromRow);
  }

  /** The kept versions of a patient and its current one, oldest first, or only the one numbered `only`. */
  async function versions(id: string, only?: number): Promise<PatientRecord[]> {
    if (!isUuid(id)) return [];
    const rows = await q.query<{ version: number; updated_at: string; resource: Record<string, unknown> }>(
      `SELECT version, stored_at AS updated_at, resource FROM patient_versions WHERE id = $1 AND ($2::int IS NULL OR version = $2)
       UNION ALL SELECT p.version, p.updated_at, p.resource || jsonb_build_object('identifiers', ${IDENTIFIERS_OF_P}) FROM patients p
       WHERE p.id = $1 AND ($2::int IS NULL OR p.version = $2)
       ORDER BY version`,
      [id, only ?? null],
    );
    return rows.map((row) => ({ patient: Patient.parse(row.resource), version: row.version, updatedAt: row.updated_at }));
  }

  return {
    /** Validates and stores new patients with their identifiers; an identifier held by another patient refuses all. */
    async insertMany(inputs: readonly PatientInput[], linkedBy = 'import'): Promise<Patient[]> {
      const patients = inputs.map((i) => Patient.parse(i));
      await scope.atomic(async (tx) => {
        for (const batch of batches(patients, 1000)) {
          await tx.query(
            `INSERT INTO patients (id, status, merged_into, birth_date, gender, resource)
             SELECT x.id, x.status, x.merged_into, x.birth_date, x.gender, x.resource
             FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, merged_into uuid, birth_date text, gender text, resource jsonb)`,
            [JSON.stringify(batch.map((p) => ({ id: p.id, status: p.status, merged_into: p.mergedInto ?? null, birth_date: p.birthDate ?? null, gender: p.gender, resource: stored(p) })))],
          );
          const identifiers = batch.flatMap((p) => p.identifiers.map((i) => ({ system: i.system, value: i.value, patient_id: p.id, detail: i })));
          const inserted = await insertIdentifiers(tx, identifiers, linkedBy);
          if (inserted !== identifiers.length) {
            throw new StoreError('identifier-taken', 'an identifier is given twice in the same import');
          }
          await writeNameKeys(tx, batch);
        }
      });
      return patients;
    },

    async insert(input: PatientInput, linkedBy = 'import'): Promise<Patient> {
      const [p] = await this.insertMany([input], linkedBy);
      return p!;
    },

    async get(id: string): Promise<PatientRecord | undefined> {
      return (await getMany([id]))[0];
    },

    getMany,

    /**
     * The active patient each id names now, following merges, without reading the records: what a request about a
     * patient needs before consent has decided whether anything of it may be read. With the change clock the same
     * statement read, which tells the consent cache whether it is current for the requests these were asked for.
     * An id that cannot be ours names no one.
     */
    async resolveIds(ids: readonly string[], options: ResolveOptions = {}): Promise<Resolved> {
      return activeAtEndOfMerges(
        `SELECT k.n, p.id, p.status, p.merged_into, 0 FROM unnest($1::uuid[]) WITH ORDINALITY AS k (id, n) JOIN patients p ON p.id = k.id`,
        [ids.map((id) => (isUuid(id) ? id : null))], ids.length, options,
      );
    },

    /** The active patient each identifier names now, likewise; an identifier that is not valid names no one. */
    async resolveIdentifiers(identifiers: readonly { readonly system: string; readonly value: string }[], options: ResolveOptions = {}): Promise<Resolved> {
      const valid = identifiers.map((i) => Identifier.safeParse(i).data);
      return activeAtEndOfMerges(
        `SELECT k.n, p.id, p.status, p.merged_into, 0 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (system, value, n)
         JOIN patient_identifiers i ON i.system = k.system AND i.value = k.value JOIN patients p ON p.id = i.patient_id`,
        [valid.map((i) => i?.system ?? null), valid.map((i) => i?.value ?? null)], identifiers.length, options,
      );
    },

    async resolveId(id: string, options: ResolveOptions = {}): Promise<ResolvedOne> {
      return resolvedAt(await this.resolveIds([id], options), 0);
    },

    async resolveIdentifier(system: string, value: string, options: ResolveOptions = {}): Promise<ResolvedOne> {
      return resolvedAt(await this.resolveIdentifiers([{ system, value }], options), 0);
    },

    /** One version of a patient, the current one or one kept when it was replaced (none when not kept). */
    async version(id: string, version: number): Promise<PatientRecord | undefined> {
      return (await versions(id, version))[0];
    },

    /** Every version of a patient that is kept, the current one last (none for an unknown id). */
    async history(id: string): Promise<PatientRecord[]> {
      return versions(id);
    },

    /** The version and last change of each patient, for FHIR meta and ETags. */
    async stamps(ids: readonly string[]): Promise<Map<string, { version: number; updatedAt: string }>> {
      if (ids.length === 0) return new Map();
      const rows = await q.query<{ id: string; version: number; updated_at: string }>('SELECT id, version, updated_at FROM patients WHERE id = ANY($1::uuid[])', [ids]);
      return new Map(rows.map((r) => [r.id, { version: r.version, updatedAt: r.updated_at }]));
    },

    /** The patient an identifier is linked to (the survivor, after a merge moved the identifier). */
    async findByIdentifier(system: string, value: string): Promise<PatientRecord | undefined> {
      const ident = Identifier.parse({ system, value });
      const rows = await q.query<PatientRow>(
        `${SELECT_PATIENT} WHERE p.id = (SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2)`,
        [ident.system, ident.value],
      );
      return rows[0] ? fromRow(rows[0]) : undefined;
    },

    /**
     * Links another system's identifier to a patient. Linking the same pair again is a no-op ('already-linked');
     * an identifier that names a different patient is refused, never moved silently.
     */
    async linkIdentifier(patientId: string, input: z.input<typeof Identifier>, linkedBy: string): Promise<'linked' | 'already-linked'> {
      const identifier = Identifier.parse(input);
      return scope.atomic(async (tx) => {
        const owner = await tx.query<{ status: string }>('SELECT status FROM patients WHERE id = $1 FOR UPDATE', [patientId]);
        if (!owner[0]) throw new StoreError('not-found', 'patient not found', { patientId });
        if (owner[0].status !== 'active') throw new StoreError('invalid-state', 'identifiers are linked to active patients only', { patientId });
        const existing = await tx.query<{ patient_id: string }>(
          'SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2',
          [identifier.system, identifier.value],
        );
        if (existing[0]?.patient_id === patientId) return 'already-linked';
        await keepVersions(tx, [patientId]);
        const inserted = await insertIdentifiers(tx, [{ system: identifier.system, value: identifier.value, patient_id: patientId, detail: identifier }], linkedBy);
        if (inserted === 0) throw new StoreError('identifier-taken', 'identifier already belongs to another patient', { system: identifier.system });
        await tx.query('UPDATE patients SET version = version + 1, updated_at = now() WHERE id = $1', [patientId]);
        return 'linked';
      });
    },

    /** Replaces a patient's demographics if nobody changed the record since `expectedVersion` was read. */
    async updateDemographics(id: string, expectedVersion: number, demographics: Demographics): Promise<PatientRecord> {
      return scope.atomic(async (tx) => {
        const current = (await tx.query<PatientRow>(`${SELECT_PATIENT} WHERE p.id = $1 FOR UPDATE OF p`, [id]))[0];
        if (!current) throw new StoreError('not-found', 'patient not found', { patientId: id });
        if (current.version !== expectedVersion) {
          throw new StoreError('version-conflict', 'patient was changed by someone else', { patientId: id, version: current.version });
        }
        const { patient: before } = fromRow(current);
        if (before.status !== 'active') throw new StoreError('invalid-state', 'a merged patient cannot be changed', { patientId: id });
        await keepVersions(tx, [id]);
        const next = Patient.parse({ ...before, ...demographics, id, identifiers: before.identifiers });
        const [updated] = await tx.query<{ updated_at: string }>(
          `UPDATE patients SET resource = $2, birth_date = $3, gender = $4, version = version + 1, updated_at = now() WHERE id = $1 RETURNING updated_at`,
          [id, JSON.stringify(stored(next)), next.birthDate ?? null, next.gender],
        );
        await tx.query('DELETE FROM patient_name_keys WHERE patient_id = $1', [id]);
        await writeNameKeys(tx, [next]);
        return { patient: next, version: expectedVersion + 1, updatedAt: updated!.updated_at };
      });
    },

    /** Active patients known by this family key (own or partner name), optionally with this birth date. */
    async findByFamilyKey(key: string, birthDate?: string, limit = 50): Promise<PatientRecord[]> {
      const rows = await q.query<PatientRow>(
        `${SELECT_PATIENT} WHERE p.status = 'active' AND p.id IN (
           SELECT k.patient_id FROM patient_name_keys k WHERE k.family_key = $1 AND ($2::text IS NULL OR k.birth_date = $2))
         ORDER BY p.id LIMIT $3`,
        [key, birthDate ?? null, limit],
      );
      return rows.map(fromRow);
    },

    /**
     * The ids of active patients matching every given filter, in id order from `afterId` (keyset pages): which
     * patients a search concerns, before consent decides whether anything of them may be read. `familyKeys` are
     * prefixes of the folded family name without its prefix words (canonical/names familyKey); `givens` lower-case
     * prefixes of a given name; within each, any one matches.
     */
    async searchIds(f: PatientFilter, afterId: string | undefined, limit: number): Promise<string[]> {
      // Each key prefix is the range [key, key with its last character raised by one), which the index scans.
      const above = (key: string) => key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1);
      const rows = await q.query<{ id: string }>(
        `SELECT p.id FROM patients p WHERE (p.status = 'active' OR ($11::boolean AND $1::uuid[] IS NOT NULL AND p.status = 'merged'))
           AND ($1::uuid[] IS NULL OR p.id = ANY($1::uuid[]))
           AND ($2::text[] IS NULL OR p.id IN (
             SELECT k.patient_id FROM unnest($2::text[], $3::text[]) AS b (low, high) JOIN patient_name_keys k ON k.family_key >= b.low AND k.family_key < b.high))
           AND ($4::text IS NULL OR p.birth_date = $4)
           AND ($5::text IS NULL OR p.gender = $5)
           AND ($6::text[] IS NULL OR EXISTS (
             SELECT 1 FROM jsonb_array_elements(p.resource->'names') n, jsonb_array_elements_text(COALESCE(n->'given', '[]'::jsonb)) g
             WHERE lower(g) LIKE ANY ($6::text[])))
           AND ($7::uuid IS NULL OR p.id > $7)
           AND ($9::timestamptz IS NULL OR p.updated_at >= $9) AND ($10::timestamptz IS NULL OR p.updated_at < $10)
           AND ($12::text[] IS NULL OR EXISTS (
             SELECT 1 FROM unnest($12::text[], $13::text[], $14::text[]) AS q (low, high, given_like)
             WHERE EXISTS (SELECT 1 FROM patient_name_keys k WHERE k.patient_id = p.id AND k.family_key >= q.low AND k.family_key < q.high)
                OR EXISTS (SELECT 1 FROM jsonb_array_elements(p.resource->'names') n, jsonb_array_elements_text(COALESCE(n->'given', '[]'::jsonb)) g
                           WHERE lower(g) LIKE q.given_like)))
         ORDER BY p.id LIMIT $8`,
        [
          f.ids ?? null, f.familyKeys ?? null, f.familyKeys?.map(above) ?? null, f.birthDate ?? null, f.gender ?? null,
          f.givens?.map((g) => `${g.replace(/[%_\\]/g, '')}%`) ?? null, afterId ?? null, limit, f.storedFrom ?? null, f.storedTo ?? null,
          f.withMerged === true, f.names?.map((n) => n.familyKey) ?? null, f.names?.map((n) => above(n.familyKey)) ?? null,
          f.names?.map((n) => `${n.given.replace(/[%_\\]/g, '')}%`) ?? null,
        ],
      );
      return rows.map((r) => r.id);
    },

    async findByBirthDate(birthDate: string, limit = 200): Promise<PatientRecord[]> {
      const rows = await q.query<{ id: string }>(
        `SELECT id FROM patients WHERE birth_date = $1 AND status = 'active' ORDER BY id LIMIT $2`,
        [birthDate, limit],
      );
      return getMany(rows.map((r) => r.id));
    },

    /** Groups of active patients sharing a folded family name and a birth date: likely the same person. */
    async duplicateGroups(limit = 100): Promise<DuplicateGroup[]> {
      const rows = await q.query<{ family_key: string; birth_date: string; ids: string[] }>(
        `SELECT k.family_key, k.birth_date, array_agg(DISTINCT k.patient_id ORDER BY k.patient_id) AS ids
         FROM patient_name_keys k JOIN patients p ON p.id = k.patient_id AND p.status = 'active'
         WHERE k.birth_date IS NOT NULL
         GROUP BY k.family_key, k.birth_date HAVING count(DISTINCT k.patient_id) > 1
         ORDER BY k.family_key, k.birth_date LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({ familyKey: r.family_key, birthDate: r.birth_date, patientIds: r.ids }));
    },

    /**
     * Merges one record into another: identifiers and clinical records move to the survivor, the merged record
     * stays (status merged, pointing at the survivor) and the merge row lists everything that moved.
     */
    async merge(survivorId: string, mergedId: string, by: { mergedBy: string; reason: string }): Promise<PatientMerge> {
      if (survivorId === mergedId) throw new StoreError('invalid-state', 'a patient cannot be merged into itself');
      return scope.atomic(async (tx) => {
        const locked = await tx.query<{ id: string; status: string }>(
          'SELECT id, status FROM patients WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
          [[survivorId, mergedId]],
        );
        for (const id of [survivorId, mergedId]) {
          const row = locked.find((r) => r.id === id);
          if (!row) throw new StoreError('not-found', 'patient not found', { patientId: id });
          if (row.status !== 'active') throw new StoreError('invalid-state', 'only active patients can be merged', { patientId: id });
        }
        await keepVersions(tx, [survivorId, mergedId]);
        const identifiers = await tx.query<{ detail: Identifier }>(
          'UPDATE patient_identifiers SET patient_id = $1 WHERE patient_id = $2 RETURNING detail',
          [survivorId, mergedId],
        );
        const records: Record<string, string[]> = {};
        for (const table of PATIENT_RECORD_TABLES) {
          // The canonical record names its patient too: both move, so a record read by id belongs to the survivor. A
          // clinical record that keeps versions gets a new one (a partner holding the one before sees it changed),
          // and the one naming the merged patient is kept.
          const versioned = table !== 'documents';
          const moved = await tx.query<{ id: string }>(
            `${versioned ? `WITH kept AS (
               INSERT INTO clinical_record_versions (record_table, id, version, message_id, resource, stored_at)
               SELECT '${table}', id, version, message_id, resource, coalesce(updated_at, created_at) FROM ${table} WHERE patient_id = $2) ` : ''}
             UPDATE ${table} SET patient_id = $1::uuid, resource = jsonb_set(resource, '{patientId}', to_jsonb($1::uuid::text))
               ${versioned ? ', version = version + 1, updated_at = now()' : ''}
             WHERE patient_id = $2 RETURNING id`,
            [survivorId, mergedId],
          );
          if (moved.length > 0) records[table] = moved.map((r) => r.id).sort();
        }
        await tx.query(
          `INSERT INTO patient_name_keys (patient_id, family_key, birth_date)
           SELECT $1, family_key, birth_date FROM patient_name_keys WHERE patient_id = $2 ON CONFLICT DO NOTHING`,
          [survivorId, mergedId],
        );
        await tx.query(
          `UPDATE patients SET status = 'merged', merged_into = $1::uuid, version = version + 1, updated_at = now(),
             resource = resource || jsonb_build_object('status', 'merged', 'mergedInto', $1::uuid) WHERE id = $2`,
          [survivorId, mergedId],
        );
        await tx.query('UPDATE patients SET version = version + 1, updated_at = now() WHERE id = $1', [survivorId]);
        const moved = { identifiers: identifiers.map((r) => r.detail), records };
        const row = (
          await tx.query<{ id: string; merged_at: string }>(
            `INSERT INTO patient_merges (id, survivor_id, merged_id, reason, merged_by, moved) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, merged_at`,
            [randomUUID(), survivorId, mergedId, by.reason, by.mergedBy, JSON.stringify(moved)],
          )
        )[0]!;
        return { id: row.id, survivorId, mergedId, reason: by.reason, mergedBy: by.mergedBy, mergedAt: row.merged_at, moved };
      });
    },

    /** Every merge a patient took part in, as survivor or as the merged record, oldest first. */
    async mergeHistory(patientId: string): Promise<PatientMerge[]> {
      const rows = await q.query<{ id: string; survivor_id: string; merged_id: string; reason: string; merged_by: string; merged_at: string; moved: PatientMerge['moved'] }>(
        `SELECT id, survivor_id, merged_id, reason, merged_by, merged_at, moved FROM patient_merges
         WHERE survivor_id = $1 OR merged_id = $1 ORDER BY merged_at, id`,
        [patientId],
      );
      return rows.map((r) => ({ id: r.id, survivorId: r.survivor_id, mergedId: r.merged_id, reason: r.reason, mergedBy: r.merged_by, mergedAt: r.merged_at, moved: r.moved }));
    },

    /** True when no patient is stored (a cheap check, unlike counting). */
    async isEmpty(): Promise<boolean> {
      return (await q.query('SELECT 1 FROM patients LIMIT 1')).length === 0;
    },

    /** Active patients in id order, for exports and batch jobs. */
    async listIds(options: { limit?: number; afterId?: string } = {}): Promise<string[]> {
      const rows = await q.query<{ id: string }>(
        `SELECT id FROM patients WHERE status = 'active' AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
        [options.afterId ?? null, Math.min(options.limit ?? 100, 10000)],
      );
      return rows.map((r) => r.id);
    },
  };
}

export type PatientRepository = ReturnType<typeof patientRepository>;
