import { createHash } from 'node:crypto';
import { Document, startInstant, type DocumentInput } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { Scope } from './scope.js';
import { codesMatchSql, storedAt, type StoredWindow } from './record-table.js';
import { recordStamp, type RecordStamp } from './record-stamp.js';
import type { AtClock } from './change-feed.js';
import { isUuid } from './uuid.js';

const token = (c: { system: string; code: string }) => `${c.system}|${c.code}`;

/** Filters of XDS FindDocuments that the store answers with its indexes; codes are written system|code. */
export interface DocumentQuery extends StoredWindow {
  /** Documents with any of these uniqueIds, or any of these entryUUIDs (either matches). */
  readonly uniqueIds?: readonly string[];
  readonly entryUuids?: readonly string[];
  readonly eventCodes?: readonly string[];
  readonly confidentialityCodes?: readonly string[];
  readonly statuses?: readonly ('approved' | 'deprecated')[];
  readonly classCodes?: readonly string[];
  readonly typeCodes?: readonly string[];
  readonly formatCodes?: readonly string[];
  readonly practiceSettingCodes?: readonly string[];
  readonly facilityTypeCodes?: readonly string[];
  readonly creationFrom?: string;
  readonly creationTo?: string;
  readonly serviceStartFrom?: string;
  readonly serviceStartTo?: string;
  readonly serviceStopFrom?: string;
  readonly serviceStopTo?: string;
  /** A service period that reaches this instant or later: it started, and stopped then or later or has not stopped (FHIR Period overlap). */
  readonly serviceEndFrom?: string;
  /** XDS authorPerson patterns: `%` any run of characters, `_` any one; a document matches when one author does. */
  readonly authorPersons?: readonly string[];
  /**
   * FHIR author.family / author.given: an author person whose XCN family name (component 2), or any given name
   * (components 3 and 4), starts with one of these, case-insensitively; written as the XCN carries them (HL7-escaped).
   */
  readonly authorFamilies?: readonly string[];
  readonly authorGivens?: readonly string[];
  /** referenceIdList entries (CXi) with one of these values (component 1), under the OID given with it, if any. */
  readonly referenceIds?: readonly { readonly value: string; readonly authority?: string }[];
  /** Documents registered by any of these submission sets (entryUUID or uniqueId). */
  readonly submissionSets?: readonly string[];
  readonly limit?: number;
  /** Rows to skip (list only): documents are paged by offset into their newest-first list. */
  readonly offset?: number;
}

/** A document as the XDS registry shows it: with the submission set that registered it. */
export interface RegisteredDocument {
  readonly document: Document;
  readonly submissionSet: { readonly entryUuid: string; readonly uniqueId: string };
  readonly storedAt: string;
}

export interface DocumentOwner {
  /** The document's record id. */
  readonly id: string;
  readonly patientId: string;
  readonly uniqueId: string;
  readonly entryUuid: string;
  readonly repositoryUniqueId: string;
  readonly submissionSet: { readonly entryUuid: string; readonly uniqueId: string };
}

export function documentRepository(scope: Scope) {
  const select = async (where: string, params: unknown[]): Promise<Document[]> => {
    const rows = await scope.q.query<{ resource: unknown }>(`SELECT resource FROM documents WHERE ${where}`, params);
    return rows.map((r) => Document.parse(r.resource));
  };

  return {
    /** Stores a document and its content; the metadata's hash and size must describe the content exactly. */
    async insert(input: DocumentInput, content: Uint8Array): Promise<Document> {
      const doc = checkedDocument(input, content);
      try {
        await scope.atomic(async (tx) => {
          await tx.query(`INSERT INTO documents (${DOCUMENT_COLUMNS}) VALUES (${DOCUMENT_VALUES})`, documentRow(doc));
          await tx.query('INSERT INTO document_content (document_id, content) VALUES ($1, $2)', [doc.id, content]);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreError('duplicate', 'a document with this uniqueId or entryUUID exists', { uniqueId: doc.uniqueId });
        throw error;
      }
      return doc;
    },

    /**
     * What a newer version of a document made from the record (the summary) does, in one statement: stores it with
     * its content, or, when it is stored already (another process made the same one: ids follow the content),
     * makes it approved again if a race had deprecated it; and marks the patient's other approved documents from
     * its provenance source deprecated. Whichever version is made last is the one left approved.
     */
    async replaceFromSource(input: DocumentInput, content: Uint8Array): Promise<{ stored: boolean; restored: boolean; deprecated: string[] }> {
      const doc = checkedDocument(input, content);
      const row = documentRow(doc);
      const rows = await scope.q.query<{ stored: number; restored: number; deprecated: string[] }>(
        `WITH kept AS (
           INSERT INTO documents (${DOCUMENT_COLUMNS}) VALUES (${DOCUMENT_VALUES})
           ON CONFLICT (id) DO UPDATE SET status = 'approved', resource = jsonb_set(documents.resource, '{availabilityStatus}', '"approved"')
             WHERE documents.status <> 'approved'
           RETURNING id, xmax = 0 AS inserted
         ), content AS (
           INSERT INTO document_content (document_id, content) SELECT id, $${row.length + 1} FROM kept WHERE inserted
         ), deprecated AS (
           UPDATE documents SET status = 'deprecated', resource = jsonb_set(resource, '{availabilityStatus}', '"deprecated"')
           WHERE patient_id = $2 AND resource->'provenance'->>'source' = $${row.length + 2} AND id <> $1 AND status = 'approved' RETURNING id
         )
         SELECT (SELECT count(*) FROM kept WHERE inserted)::int AS stored, (SELECT count(*) FROM kept WHERE NOT inserted)::int AS restored,
           COALESCE((SELECT array_agg(id::text ORDER BY id) FROM deprecated), '{}') AS deprecated`,
        [...row, content, doc.provenance.source],
      );
      const r = rows[0]!;
      return { stored: r.stored > 0, restored: r.restored > 0, deprecated: r.deprecated };
    },

    async get(id: string): Promise<Document | undefined> {
      return (await select('id = $1', [id]))[0];
    },
    async getByUniqueId(uniqueId: string): Promise<Document | undefined> {
      return (await select('unique_id = $1', [uniqueId]))[0];
    },
    async getByEntryUuid(entryUuid: string): Promise<Document | undefined> {
      return (await select('entry_uuid = $1', [entryUuid.toLowerCase()]))[0];
    },

    storedAt: (ids: readonly string[]) => storedAt(scope, 'documents', ids),

    async getContent(id: string): Promise<Uint8Array | undefined> {
      const rows = await scope.q.query<{ content: Uint8Array }>('SELECT content FROM document_content WHERE document_id = $1', [id]);
      return rows[0] ? new Uint8Array(rows[0].content) : undefined;
    },

    /** One patient's documents matching every given filter (a list filter matches any of its values), newest first. */
    list(patientId: string, query: DocumentQuery = {}): Promise<Document[]> {
      const { where, params } = documentFilters(patientId, query);
      params.push(Math.min(query.limit ?? 1000, 1000), Math.max(query.offset ?? 0, 0));
      return select(`${where} ORDER BY creation_time DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`, params);
    },

    /**
     * The registry's view of one patient's documents (ITI-38): each with the submission set that registered it and
     * the time it was stored (the set's submissionTime), newest first, at most `limit` (default 1000).
     */
    async registered(patientId: string, query: DocumentQuery = {}): Promise<RegisteredDocument[]> {
      const { where, params } = documentFilters(patientId, query);
      params.push(Math.min(query.limit ?? 1000, 1000));
      const rows = await scope.q.query<RegisteredRow>(
        `SELECT ${REGISTERED_COLUMNS} FROM documents WHERE ${where} ORDER BY creation_time DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(registeredOf);
    },

    /**
     * `registered` and the record stamp (RECORD_STAMP) of each of several patients, read in one statement, so that
     * each listing and its stamp describe the same moment; undefined for an unknown patient. One statement for the
     * queries of many requests at once (store/coalesced-reads.ts), each item in the order given.
     */
    async registeredWithStampMany(patientIds: readonly string[], query: DocumentQuery = {}): Promise<({ stamp: RecordStamp; documents: RegisteredDocument[] } | undefined)[]> {
      const known = patientIds.map((id) => (isUuid(id) ? id : null));
      const { where, params } = documentFilters(known, query, 'k.patient_id');
      params.push(Math.min(query.limit ?? 1000, 1000));
      const rows = await scope.q.query<{ n: number; stamp: string; changed_at: string } & Partial<RegisteredRow>>(
        `SELECT k.n::int AS n, s.stamp, s.changed_at, d.*
         FROM unnest($1::uuid[]) WITH ORDINALITY AS k (patient_id, n)
         CROSS JOIN LATERAL (${recordStamp('k.patient_id')}) s
         LEFT JOIN LATERAL (
           SELECT ${REGISTERED_COLUMNS}, creation_time, id FROM documents WHERE ${where} ORDER BY creation_time DESC, id DESC LIMIT $${params.length}
         ) d ON true
         ORDER BY k.n, d.creation_time DESC, d.id DESC`,
        params,
      );
      const found: ({ stamp: RecordStamp; documents: RegisteredDocument[] } | undefined)[] = patientIds.map(() => undefined);
      for (const row of rows) {
        const entry = (found[row.n - 1] ??= { stamp: { stamp: row.stamp, changedAt: row.changed_at }, documents: [] });
        if (row.resource !== undefined && row.resource !== null) entry.documents.push(registeredOf(row as RegisteredRow));
      }
      return found;
    },

    /** registeredWithStampMany for one patient. */
    async registeredWithStamp(patientId: string, query: DocumentQuery = {}): Promise<{ stamp: RecordStamp; documents: RegisteredDocument[] } | undefined> {
      return (await this.registeredWithStampMany([patientId], query))[0];
    },

    /**
     * Whose documents these are, found by any of their ids or their submission sets' ids, without reading the
     * documents: what a query by id must know before consent decides.
     */
    async owners(ids: readonly string[]): Promise<AtClock<DocumentOwner[]>> {
      type Row = { clock: number; id: string | null; patient_id: string; unique_id: string; entry_uuid: string; repository_unique_id: string; submission_set_uuid: string; submission_set_unique_id: string };
      const rows = await scope.q.query<Row>(
        `SELECT c.version AS clock, d.id, d.patient_id, d.unique_id, d.entry_uuid, d.repository_unique_id, d.submission_set_uuid, d.submission_set_unique_id
         FROM change_clock c LEFT JOIN documents d
           ON d.unique_id = ANY($1::text[]) OR d.entry_uuid = ANY($2::text[]) OR d.submission_set_uuid = ANY($2::text[]) OR d.submission_set_unique_id = ANY($1::text[])`,
        [ids, ids.map((i) => i.toLowerCase())],
      );
      const found = rows.filter((r): r is Row & { id: string } => r.id !== null);
      return {
        changeClock: rows[0]!.clock,
        value: found.map((r) => ({
          id: r.id, patientId: r.patient_id, uniqueId: r.unique_id, entryUuid: r.entry_uuid, repositoryUniqueId: r.repository_unique_id,
          submissionSet: { entryUuid: r.submission_set_uuid, uniqueId: r.submission_set_unique_id },
        })),
      };
    },

    /** The patient's newest approved document from one source (e.g. the summary made from the record). */
    async latestFromSource(patientId: string, source: string): Promise<Document | undefined> {
      return (await select(`patient_id = $1 AND status = 'approved' AND resource->'provenance'->>'source' = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, [patientId, source]))[0];
    },

    /** How many documents list would find (without its limit). */
    async count(patientId: string, query: DocumentQuery = {}): Promise<number> {
      const { where, params } = documentFilters(patientId, query);
      const rows = await scope.q.query<{ n: number }>(`SELECT count(*) AS n FROM documents WHERE ${where}`, params);
      return Number(rows[0]?.n ?? 0);
    },
  };
}

const REGISTERED_COLUMNS = 'resource, submission_set_uuid, submission_set_unique_id, created_at';
type RegisteredRow = { resource: unknown; submission_set_uuid: string; submission_set_unique_id: string; created_at: string };

function registeredOf(r: RegisteredRow): RegisteredDocument {
  return {
    document: Document.parse(r.resource),
    submissionSet: { entryUuid: r.submission_set_uuid, uniqueId: r.submission_set_unique_id },
    storedAt: r.created_at,
  };
}

/**
 * The WHERE clause and parameters of a document query; `$1` is `patient` (a patient id, or with `patientColumn` an
 * array of them whose element the outer query joins as that column).
 */
function documentFilters(patient: unknown, query: DocumentQuery, patientColumn = '$1'): { where: string; params: unknown[] } {
  const params: unknown[] = [patient];
  const where = [`patient_id = ${patientColumn}`];
  const any = (column: string, values?: readonly string[]) => {
    if (!values || values.length === 0) return;
    params.push(values);
    where.push(`${column} = ANY($${params.length}::text[])`);
  };
  const codes = (column: string, values: readonly string[] | undefined, array = false) => {
    if (!values || values.length === 0) return;
    params.push(values);
    where.push(codesMatchSql(column, `$${params.length}`, array));
  };
  const range = (column: string, op: '>=' | '<', value?: string) => {
    if (!value) return;
    params.push(startInstant(value));
    where.push(`${column} ${op} $${params.length}::timestamptz`);
  };
  if (query.uniqueIds || query.entryUuids) {
    params.push(query.uniqueIds ?? [], (query.entryUuids ?? []).map((u) => u.toLowerCase()));
    where.push(`(unique_id = ANY($${params.length - 1}::text[]) OR entry_uuid = ANY($${params.length}::text[]))`);
  }
  any('status', query.statuses);
  codes('class_code', query.classCodes);
  codes('type_code', query.typeCodes);
  codes('format_code', query.formatCodes);
  codes('practice_setting_code', query.practiceSettingCodes);
  codes('facility_type_code', query.facilityTypeCodes);
  codes('event_codes', query.eventCodes, true);
  codes('confidentiality_codes', query.confidentialityCodes, true);
  range('creation_time', '>=', query.creationFrom);
  range('creation_time', '<', query.creationTo);
  range('service_start_time', '>=', query.serviceStartFrom);
  range('service_start_time', '<', query.serviceStartTo);
  range('service_stop_time', '>=', query.serviceStopFrom);
  range('service_stop_time', '<', query.serviceStopTo);
  if (query.serviceEndFrom) {
    params.push(startInstant(query.serviceEndFrom));
    where.push(`service_start_time IS NOT NULL AND (service_stop_time IS NULL OR service_stop_time >= $${params.length}::timestamptz)`);
  }
  if (query.authorPersons && query.authorPersons.length > 0) {
    params.push(query.authorPersons);
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'authors') AS a WHERE a->>'person' LIKE ANY($${params.length}::text[]))`);
  }
  if (query.authorFamilies && query.authorFamilies.length > 0) {
    params.push(query.authorFamilies.map((f) => f.toLowerCase()));
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'authors') AS a, unnest($${params.length}::text[]) AS p
      WHERE starts_with(lower(split_part(a->>'person', '^', 2)), p))`);
  }
  if (query.authorGivens && query.authorGivens.length > 0) {
    params.push(query.authorGivens.map((g) => g.toLowerCase()));
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resource->'authors') AS a, unnest($${params.length}::text[]) AS p
      WHERE starts_with(lower(split_part(a->>'person', '^', 3)), p) OR strpos(' ' || lower(split_part(a->>'person', '^', 4)), ' ' || p) > 0)`);
  }
  if (query.referenceIds && query.referenceIds.length > 0) {
    params.push(query.referenceIds.map((r) => r.value), query.referenceIds.map((r) => r.authority ?? ''));
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(resource->'referenceIds') AS r, unnest($${params.length - 1}::text[], $${params.length}::text[]) AS q(value, authority)
      WHERE split_part(r, '^', 1) = q.value AND (q.authority = '' OR split_part(split_part(r, '^', 4), '&', 2) = q.authority))`);
  }
  if (query.submissionSets && query.submissionSets.length > 0) {
    params.push(query.submissionSets, query.submissionSets.map((s) => s.toLowerCase()));
    where.push(`(submission_set_unique_id = ANY($${params.length - 1}::text[]) OR submission_set_uuid = ANY($${params.length}::text[]))`);
  }
  range('created_at', '>=', query.storedFrom);
  range('created_at', '<', query.storedTo);
  if (query.ids) {
    params.push(query.ids.filter(isUuid));
    where.push(`id = ANY($${params.length}::uuid[])`);
  }
  return { where: where.join(' AND '), params };
}

export type DocumentRepository = ReturnType<typeof documentRepository>;

const DOCUMENT_COLUMNS = `id, patient_id, unique_id, entry_uuid, repository_unique_id, status, class_code, type_code, format_code,
  practice_setting_code, facility_type_code, creation_time, service_start_time, resource, event_codes, confidentiality_codes, service_stop_time`;
const DOCUMENT_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text[], $16::text[], $17';

/** The document as stored, once its metadata is known to describe the content exactly (hash and size). */
function checkedDocument(input: DocumentInput, content: Uint8Array): Document {
  const doc = Document.parse(input);
  const sha1 = createHash('sha1').update(content).digest('hex');
  if (sha1 !== doc.hash || content.byteLength !== doc.size) {
    throw new StoreError('content-mismatch', 'document hash or size does not match its content', { uniqueId: doc.uniqueId });
  }
  return doc;
}

/** The values of DOCUMENT_COLUMNS for a document. */
function documentRow(doc: Document): unknown[] {
  return [
    doc.id, doc.patientId, doc.uniqueId, doc.entryUuid, doc.repositoryUniqueId, doc.availabilityStatus,
    token(doc.classCode), token(doc.typeCode), token(doc.formatCode), token(doc.practiceSettingCode),
    token(doc.healthcareFacilityTypeCode), startInstant(doc.creationTime),
    doc.serviceStartTime ? startInstant(doc.serviceStartTime) : null, JSON.stringify(doc),
    doc.eventCodes.map(token), doc.confidentialityCodes.map(token),
    doc.serviceStopTime ? startInstant(doc.serviceStopTime) : null,
  ];
}
