import { randomUUID } from 'node:crypto';
import { PURPOSES, type Purpose } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { Queryable } from './database.js';
import type { Scope } from './scope.js';
import { isUuid } from './uuid.js';

export interface PolicyRecord {
  readonly version: number;
  /** null for a patient who withdrew their own choice (the defaults apply again). */
  readonly purposes: readonly Purpose[] | null;
  readonly setBy: string;
  readonly setByKind?: 'staff' | 'patient';
  readonly setAt: string;
  readonly sourceAddress?: string;
}

/** What the partner asked when a request was held (its latest asking). */
export interface RequestContext {
  /** The action, e.g. `Patient?family` or `ITI-55`. */
  readonly action: string;
  /** How many patients that one request concerned: many means a search that swept this patient up. */
  readonly patientsInRequest: number;
  /** Finds the exchange on the audit trail (its query there). */
  readonly requestId: string;
}

export interface AccessRequest {
  readonly id: string;
  readonly patientId: string;
  readonly organizationId: string;
  readonly connectionId?: string;
  readonly requesterPerson?: string;
  readonly purpose: Purpose;
  readonly surface: string;
  readonly receivedAt: string;
  readonly timesAsked: number;
  readonly lastAskedAt: string;
  readonly status: 'pending' | 'approved' | 'denied';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly approvalExpiresAt?: string;
  readonly lastAsked?: RequestContext;
}

/** What a decision about one patient and one organization needs, read in one round trip. */
export interface ConsentFactsRow {
  readonly clinicDefaults?: { version: number; purposes: Purpose[] };
  readonly patientChoice?: { version: number; purposes: Purpose[] };
  readonly approvals: { id: string; organizationId: string; purpose: Purpose; expiresAt: string; decidedAt?: string }[];
}

/** What a decision needs of one patient: their own choice, if any, and the approvals they have been granted. */
export type PatientConsentFacts = Pick<ConsentFactsRow, 'patientChoice' | 'approvals'>;

/**
 * An approval holds until it expires or the patient's choice is next set (by them or by staff, or withdrawn): a
 * choice made after an approval is the patient's word on it, and "a revocation above all holds for the very next
 * request" (consent-and-audit.md §3).
 *
 * The columns `choice` and `approvals` that `patientConsentFactsOf` reads, for the patient `patientId` (an SQL
 * expression) names: so any statement that finds a patient can bring what consent needs in the same round trip.
 */
export const patientConsentFactsColumns = (patientId: string) => `
  (SELECT jsonb_build_object('version', version, 'purposes', purposes) FROM consent_patient_choices WHERE patient_id = ${patientId} ORDER BY version DESC LIMIT 1) AS choice,
  COALESCE((SELECT jsonb_agg(jsonb_build_object('id', id, 'organizationId', organization_id, 'purpose', purpose,
             'expiresAt', to_char(approval_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'decidedAt', to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
            FROM access_requests WHERE patient_id = ${patientId} AND status = 'approved' AND approval_expires_at > now()
              AND decided_at > COALESCE((SELECT max(set_at) FROM consent_patient_choices WHERE patient_id = ${patientId}), '-infinity')), '[]'::jsonb) AS approvals`;

export interface PatientConsentFactsRow {
  readonly choice: { version: number; purposes: string[] | null } | null;
  readonly approvals: ConsentFactsRow['approvals'];
}

/** A withdrawn choice (purposes null) is no choice: the clinic defaults apply again. */
export function patientConsentFactsOf(row: PatientConsentFactsRow): PatientConsentFacts {
  const choice = row.choice && row.choice.purposes !== null ? { version: row.choice.version, purposes: purposesOf(row.choice.purposes)! } : undefined;
  return { ...(choice ? { patientChoice: choice } : {}), approvals: row.approvals };
}

const purposesOf = (values: readonly string[] | null): Purpose[] | null =>
  values === null ? null : values.filter((v): v is Purpose => (PURPOSES as readonly string[]).includes(v));

type PolicyRow = { version: number; purposes: string[] | null; set_by: string; set_by_kind?: 'staff' | 'patient'; set_at: string; source_address: string | null };
const policy = (r: PolicyRow): PolicyRecord => ({
  version: r.version, purposes: purposesOf(r.purposes), setBy: r.set_by, ...(r.set_by_kind ? { setByKind: r.set_by_kind } : {}),
  setAt: r.set_at, ...(r.source_address ? { sourceAddress: r.source_address } : {}),
});

type RequestRow = {
  id: string; patient_id: string; organization_id: string; connection_id: string | null; requester_person: string | null; purpose: Purpose;
  surface: string; received_at: string; times_asked: number; last_asked_at: string; status: AccessRequest['status']; decided_by: string | null;
  decided_at: string | null; approval_expires_at: string | null; last_action: string | null; last_patients_in_request: number | null; last_request_id: string | null;
};
const REQUEST_COLUMNS = `id, patient_id, organization_id, connection_id, requester_person, purpose, surface, received_at, times_asked, last_asked_at,
  status, decided_by, decided_at, approval_expires_at, last_action, last_patients_in_request, last_request_id`;
const request = (r: RequestRow): AccessRequest => ({
  id: r.id, patientId: r.patient_id, organizationId: r.organization_id, ...(r.connection_id ? { connectionId: r.connection_id } : {}),
  ...(r.requester_person ? { requesterPerson: r.requester_person } : {}), purpose: r.purpose, surface: r.surface, receivedAt: r.received_at,
  timesAsked: r.times_asked, lastAskedAt: r.last_asked_at, status: r.status, ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
  ...(r.decided_at ? { decidedAt: r.decided_at } : {}), ...(r.approval_expires_at ? { approvalExpiresAt: r.approval_expires_at } : {}),
  ...(r.last_action !== null && r.last_patients_in_request !== null && r.last_request_id !== null
    ? { lastAsked: { action: r.last_action, patientsInRequest: r.last_patients_in_request, requestId: r.last_request_id } } : {}),
});

/**
 * Announces a consent change in the changing transaction (store/change-feed.ts): scope `consent:<patient id>`, or
 * `consent:*` for everyone; delivered once it commits.
 */
async function announce(tx: Queryable, changed: string): Promise<void> {
  await tx.query('SELECT crossgate_announce($1)', [`consent:${changed}`]);
}

/**
 * Writes a patient's next choice version and announces it, in the caller's transaction. Another version written
 * since the caller read the latest takes the same number: refused as a stale edit (version-conflict).
 */
async function writeChoice(
  tx: Queryable, patientId: string, version: number, purposes: readonly string[] | null,
  by: { setBy: string; kind: 'staff' | 'patient'; sourceAddress?: string },
): Promise<PolicyRecord> {
  try {
    const row = (await tx.query<PolicyRow>(
      `INSERT INTO consent_patient_choices (patient_id, version, purposes, set_by, set_by_kind, source_address) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING version, purposes, set_by, set_by_kind, set_at, source_address`,
      [patientId, version, purposes, by.setBy, by.kind, by.sourceAddress ?? null],
    ))[0]!;
    await announce(tx, patientId);
    return policy(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
}

/** A policy edit made from a version someone else has since replaced; the version in force, when known, is said. */
const conflict = (current?: number) => new StoreError('version-conflict', current === undefined
  ? 'the policy was changed by someone else since you read it'
  : `the policy was changed by someone else since you read it: it is at version ${current} now; read it again before changing it`);

export function consentRepository(scope: Scope) {
  const { q } = scope;
  return {
    async currentDefaults(): Promise<PolicyRecord | undefined> {
      const rows = await q.query<PolicyRow>('SELECT version, purposes, set_by, set_at, source_address FROM consent_clinic_defaults ORDER BY version DESC LIMIT 1');
      return rows[0] ? policy(rows[0]) : undefined;
    },
    async defaultsHistory(): Promise<PolicyRecord[]> {
      const rows = await q.query<PolicyRow>('SELECT version, purposes, set_by, set_at, source_address FROM consent_clinic_defaults ORDER BY version DESC');
      return rows.map(policy);
    },
    /** Adds the next version of the defaults; `expectedVersion` is the one the editor saw (0 for none yet). */
    async setDefaults(expectedVersion: number, purposes: readonly Purpose[], setBy: string, sourceAddress?: string): Promise<PolicyRecord> {
      return scope.atomic(async (tx) => {
        const current = (await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM consent_clinic_defaults'))[0]!.v ?? 0;
        if (current !== expectedVersion) throw conflict(current);
        try {
          const row = (await tx.query<PolicyRow>(
            `INSERT INTO consent_clinic_defaults (version, purposes, set_by, source_address) VALUES ($1, $2, $3, $4)
             RETURNING version, purposes, set_by, set_at, source_address`,
            [expectedVersion + 1, [...new Set(purposes)], setBy, sourceAddress ?? null],
          ))[0]!;
          await announce(tx, '*');
          return policy(row);
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict();
          throw error;
        }
      });
    },
    async currentChoice(patientId: string): Promise<PolicyRecord | undefined> {
      const rows = await q.query<PolicyRow>(
        'SELECT version, purposes, set_by, set_by_kind, set_at, source_address FROM consent_patient_choices WHERE patient_id = $1 ORDER BY version DESC LIMIT 1',
        [patientId],
      );
      return rows[0] ? policy(rows[0]) : undefined;
    },
    async choiceHistory(patientId: string): Promise<PolicyRecord[]> {
      const rows = await q.query<PolicyRow>(
        'SELECT version, purposes, set_by, set_by_kind, set_at, source_address FROM consent_patient_choices WHERE patient_id = $1 ORDER BY version DESC',
        [patientId],
      );
      return rows.map(policy);
    },
    /**
     * What a merge does to the survivor's choice: the merged record's own choice is the same person's word, so it
     * is not dropped. A survivor without a choice of its own takes it; one with a choice keeps only the purposes
     * both choices allow, since the stricter word is the one the person cannot have meant to widen. Written as the
     * survivor's next version (staff, by whoever merged) in the merge's transaction, and announced, so no cache
     * decides on the survivor's old choice once the merge commits. Undefined when nothing changed.
     */
    async carryChoiceOnMerge(survivorId: string, mergedId: string, mergedBy: string): Promise<PolicyRecord | undefined> {
      return scope.atomic(async (tx) => {
        const latest = async (patientId: string) =>
          (await tx.query<{ version: number; purposes: string[] | null }>(
            'SELECT version, purposes FROM consent_patient_choices WHERE patient_id = $1 ORDER BY version DESC LIMIT 1', [patientId],
          ))[0];
        const [survivor, merged] = [await latest(survivorId), await latest(mergedId)];
        const carried = merged ? purposesOf(merged.purposes) : null;
        if (carried === null) return undefined;
        const own = survivor ? purposesOf(survivor.purposes) : null;
        const next = own === null ? carried : own.filter((p) => carried.includes(p));
        if (own !== null && next.length === own.length) return undefined;
        // The survivor's choice changed while the merge read it: the merge is refused as a stale edit would be.
        return writeChoice(tx, survivorId, (survivor?.version ?? 0) + 1, next, { setBy: mergedBy, kind: 'staff' });
      });
    },
    /**
     * Moves the requests held for review under a merged record to the survivor, where decisions are made: approving
     * one left on the merged record would permit nothing, since no decision reads a merged record. A request the
     * survivor already holds for the same organization and purpose takes the other's count and first-asked time,
     * and the other is removed. Approvals stay where they were given: they are not widened to the survivor's data.
     * @returns how many requests the survivor holds that were the merged record's (moved or folded in).
     */
    async moveRequestsOnMerge(survivorId: string, mergedId: string): Promise<number> {
      return scope.atomic(async (tx) => {
        const folded = await tx.query<{ id: string }>(
          `WITH pairs AS (
             SELECT m.id AS merged_request, s.id AS survivor_request, m.times_asked, m.received_at, m.last_asked_at
             FROM access_requests m JOIN access_requests s
               ON s.patient_id = $1 AND s.status = 'pending' AND s.organization_id = m.organization_id AND s.purpose = m.purpose
             WHERE m.patient_id = $2 AND m.status = 'pending'
           ), kept AS (
             UPDATE access_requests s SET times_asked = s.times_asked + p.times_asked,
               received_at = least(s.received_at, p.received_at), last_asked_at = greatest(s.last_asked_at, p.last_asked_at)
             FROM pairs p WHERE s.id = p.survivor_request
             RETURNING p.merged_request
           )
           DELETE FROM access_requests WHERE id IN (SELECT merged_request FROM kept) RETURNING id`,
          [survivorId, mergedId],
        );
        const moved = await tx.query<{ id: string }>(
          `UPDATE access_requests SET patient_id = $1 WHERE patient_id = $2 AND status = 'pending' RETURNING id`, [survivorId, mergedId],
        );
        return folded.length + moved.length;
      });
    },
    /** Adds the next version of a patient's choice (null purposes: withdraw it, the defaults apply again). */
    async setChoice(
      patientId: string, expectedVersion: number, purposes: readonly Purpose[] | null,
      by: { setBy: string; kind: 'staff' | 'patient'; sourceAddress?: string },
    ): Promise<PolicyRecord> {
      return scope.atomic(async (tx) => {
        const exists = await tx.query('SELECT 1 FROM patients WHERE id = $1 AND status = $2', [patientId, 'active']);
        if (exists.length === 0) throw new StoreError('not-found', 'patient not found', { patientId });
        const current = (await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM consent_patient_choices WHERE patient_id = $1', [patientId]))[0]!.v ?? 0;
        if (current !== expectedVersion) throw conflict(current);
        return writeChoice(tx, patientId, expectedVersion + 1, purposes === null ? null : [...new Set(purposes)], by);
      });
    },
    /** The facts a decision needs for one patient and organization, read together in one statement. */
    async facts(patientId: string, organizationId: string): Promise<ConsentFactsRow> {
      const row = (await q.query<PatientConsentFactsRow & { d: { version: number; purposes: string[] } | null }>(
        `SELECT (SELECT jsonb_build_object('version', version, 'purposes', purposes) FROM consent_clinic_defaults ORDER BY version DESC LIMIT 1) AS d,
           ${patientConsentFactsColumns('$1::uuid')}`,
        [patientId],
      ))[0]!;
      const { patientChoice, approvals } = patientConsentFactsOf(row);
      const organization = organizationId.toLowerCase();
      return {
        ...(row.d ? { clinicDefaults: { version: row.d.version, purposes: purposesOf(row.d.purposes)! } } : {}),
        ...(patientChoice ? { patientChoice } : {}),
        approvals: approvals.filter((a) => a.organizationId === organization),
      };
    },
    /**
     * Each patient's current choice and unexpired approvals (all organizations), for a cache keyed by patient: one
     * statement for the patients of many requests at once, each item in the order given (an id that cannot be ours
     * has none).
     */
    async patientFactsMany(patientIds: readonly string[]): Promise<PatientConsentFacts[]> {
      const rows = await q.query<PatientConsentFactsRow>(
        `SELECT ${patientConsentFactsColumns('k.id')} FROM unnest($1::uuid[]) WITH ORDINALITY AS k (id, n) ORDER BY k.n`,
        [patientIds.map((id) => (isUuid(id) ? id : null))],
      );
      return rows.map(patientConsentFactsOf);
    },
    async patientFacts(patientId: string): Promise<PatientConsentFacts> {
      return (await this.patientFactsMany([patientId]))[0]!;
    },
    /** Holds a declined request for review; asking again while it is pending counts instead of adding one. */
    async holdRequest(r: { patientId: string; organizationId: string; connectionId?: string; requesterPerson?: string; purpose: Purpose; surface: string; asked?: RequestContext }): Promise<AccessRequest> {
      const rows = await q.query<RequestRow>(
        `INSERT INTO access_requests (id, patient_id, organization_id, connection_id, requester_person, purpose, surface, status, last_action, last_patients_in_request, last_request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10)
         ON CONFLICT (patient_id, organization_id, purpose) WHERE status = 'pending'
         DO UPDATE SET times_asked = access_requests.times_asked + 1, last_asked_at = now(),
           requester_person = COALESCE(EXCLUDED.requester_person, access_requests.requester_person),
           last_action = COALESCE(EXCLUDED.last_action, access_requests.last_action),
           last_patients_in_request = COALESCE(EXCLUDED.last_patients_in_request, access_requests.last_patients_in_request),
           last_request_id = COALESCE(EXCLUDED.last_request_id, access_requests.last_request_id)
         RETURNING ${REQUEST_COLUMNS}`,
        [randomUUID(), r.patientId, r.organizationId, r.connectionId ?? null, r.requesterPerson ?? null, r.purpose, r.surface,
          r.asked?.action ?? null, r.asked?.patientsInRequest ?? null, r.asked?.requestId ?? null],
      );
      return request(rows[0]!);
    },
    async listRequests(filter: { status?: AccessRequest['status']; patientId?: string; limit?: number } = {}): Promise<AccessRequest[]> {
      const rows = await q.query<RequestRow>(
        `SELECT ${REQUEST_COLUMNS} FROM access_requests WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR patient_id = $2)
         ORDER BY last_asked_at DESC, id LIMIT $3`,
        [filter.status ?? null, filter.patientId ?? null, Math.min(filter.limit ?? 100, 1000)],
      );
      return rows.map(request);
    },
    /** Approves (for `days`) or denies a pending request; deciding one twice is refused. */
    async decideRequest(id: string, decision: { approve: true; days: number } | { approve: false }, decidedBy: string): Promise<AccessRequest> {
      return scope.atomic(async (tx) => {
        const rows = await tx.query<RequestRow>(
          `UPDATE access_requests SET status = $2, decided_by = $3, decided_at = now(),
             approval_expires_at = CASE WHEN $2 = 'approved' THEN now() + make_interval(days => $4) END
           WHERE id = $1 AND status = 'pending' RETURNING ${REQUEST_COLUMNS}`,
          [id, decision.approve ? 'approved' : 'denied', decidedBy, decision.approve ? decision.days : 0],
        );
        if (!rows[0]) {
          const exists = await tx.query('SELECT 1 FROM access_requests WHERE id = $1', [id]);
          throw exists.length > 0 ? new StoreError('invalid-state', 'this request was already decided') : new StoreError('not-found', 'access request not found');
        }
        await announce(tx, rows[0].patient_id);
        return request(rows[0]);
      });
    },
  };
}

export type ConsentRepository = ReturnType<typeof consentRepository>;
