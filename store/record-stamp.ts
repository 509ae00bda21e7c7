/**
 * The record stamp of the patient the SQL expression `patient` names (a parameter, or a column of an outer query
 * the statement is joined LATERAL to): one row of `stamp`, a short text that changes whenever anything in the
 * patient's record does (the patient's version, identifiers, and the count and newest arrival of each kind of
 * clinical record: a record is stored once and replaced only by a corrected version, which is its newest change,
 * and a merge moves records, which changes the counts), and
 * `changed_at`, when the record last changed; no row for an unknown patient. Documents made from the record on
 * demand are named by it. Over the patient indexes; a part of the statement that also lists the patients'
 * documents (documents.registeredWithStampMany).
 */
export function recordStamp(patient: string): string {
  return `SELECT concat_ws('|', version, updated_at, ids, o, o_at, cn, cn_at, e, e_at, r, r_at) AS stamp,
  greatest(updated_at, ids_at, o_at, cn_at, e_at, r_at) AS changed_at
FROM (SELECT p.version, p.updated_at,
    (SELECT count(*) || '@' || coalesce(max(linked_at)::text, '') FROM patient_identifiers WHERE patient_id = p.id) AS ids,
    (SELECT max(linked_at) FROM patient_identifiers WHERE patient_id = p.id) AS ids_at,
    (SELECT count(*) FROM observations WHERE patient_id = p.id) AS o, (SELECT max(coalesce(updated_at, created_at)) FROM observations WHERE patient_id = p.id) AS o_at,
    (SELECT count(*) FROM conditions WHERE patient_id = p.id) AS cn, (SELECT max(coalesce(updated_at, created_at)) FROM conditions WHERE patient_id = p.id) AS cn_at,
    (SELECT count(*) FROM care_program_enrolments WHERE patient_id = p.id) AS e, (SELECT max(coalesce(updated_at, created_at)) FROM care_program_enrolments WHERE patient_id = p.id) AS e_at,
    (SELECT count(*) FROM diagnostic_reports WHERE patient_id = p.id) AS r, (SELECT max(coalesce(updated_at, created_at)) FROM diagnostic_reports WHERE patient_id = p.id) AS r_at
  FROM patients p WHERE p.id = ${patient}) c`;
}

/** The record stamp of the patient `$1`. */
export const RECORD_STAMP = recordStamp('$1');

/** What a record stamp reads as. */
export interface RecordStamp {
  readonly stamp: string;
  readonly changedAt: string;
}
