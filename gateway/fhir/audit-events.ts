import type { AuditEvent, Coding } from 'fhir/r4.js';
import { z } from 'zod';
import { recordOf } from '../../audit/index.js';
import type { AuditOutcome, AuditTransaction } from '../../canonical/index.js';
import { renderAuditEvents, type AuditEventContext } from '../../mappers/fhir/audit-event.js';
import type { AuditFilter, AuditRow } from '../../store/index.js';
import { FhirError } from './outcome.js';
import { alternatives, isOurId, parseToken, referenceId, single, type SearchParams } from './params.js';
import { dateWindow } from './search/request.js';

/**
 * AuditEvent search for compliance officers: the trail rendered as BALP AuditEvents (mappers/fhir/audit-event.ts).
 * Not a disclosure about patients but a use of the audit log, so it is not consent-gated; the route records it
 * as an audit-access of its own. Records are paged newest first by their chain number; the record-level filters
 * narrow the query in SQL, and of each record's events (one per patient, plus consent decisions) only those that
 * match the event-level filters are shown.
 */
export interface AuditTrail {
  search(filter: AuditFilter): Promise<AuditRow[]>;
}

const REST = 'http://hl7.org/fhir/restful-interaction';
const IHE = 'urn:ihe:event-type-code';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

/** Each subtype our events carry, and the one transaction that renders it. */
const SUBTYPES: readonly (readonly [string, string, AuditTransaction])[] = [
  [REST, 'search-type', 'fhir-search'], [REST, 'read', 'fhir-read'], [REST, 'vread', 'fhir-read'], [REST, 'history-instance', 'fhir-read'], [REST, 'operation', 'fhir-operation'],
  [IHE, 'ITI-55', 'ITI-55'], [IHE, 'ITI-38', 'ITI-38'], [IHE, 'ITI-39', 'ITI-39'],
  [DCM, '110122', 'sign-in'], [DCM, '110123', 'sign-in'],
];

/** Event types that one transaction alone renders; the others (rest, query, import, security alert) span several. */
const TYPES: readonly (readonly [string, string, AuditTransaction])[] = [
  [DCM, '110106', 'ITI-39'], [DCM, '110114', 'sign-in'], [DCM, '110101', 'audit-access'], [DCM, '110137', 'admin-change'],
  [DCM, '110110', 'staff-read'],
];

const OUTCOMES: Readonly<Record<string, AuditOutcome>> = { 0: 'success', 4: 'denied', 8: 'failure' };

interface Criterion {
  readonly transaction?: AuditTransaction;
  readonly event: (e: AuditEvent) => boolean;
}

const codingIs = (c: Coding | undefined, system: string, code: string) => c?.system === system && c.code === code;

function codedCriterion(params: SearchParams, name: 'type' | 'subtype', table: typeof SUBTYPES): Criterion | undefined {
  const value = single(params, name);
  if (value === undefined) return undefined;
  if (alternatives(value).length > 1) throw new FhirError(400, 'not-supported', `${name} takes one code per search`, name);
  const t = parseToken(value, name);
  const row = table.find(([system, code]) => code === t.code && (!t.system || t.system === system));
  if (!row) {
    throw new FhirError(400, 'not-supported', `${name} ${value} is not searchable here (see the CapabilityStatement)`, name);
  }
  const [system, code, transaction] = row;
  return { transaction, event: (e) => (name === 'type' ? codingIs(e.type, system, code) : (e.subtype ?? []).some((s) => codingIs(s, system, code))) };
}

export interface AuditQuery {
  readonly filter: AuditFilter;
  readonly keep: (e: AuditEvent) => boolean;
}

/** The parameters as a store filter and an event filter; a contradiction (two transactions) matches nothing. */
export function auditQuery(params: SearchParams, baseUrl: string): AuditQuery | undefined {
  const { from, to } = dateWindow(params, 'date');
  const patient = single(params, 'patient');
  const patientId = patient ? referenceId(patient, 'Patient', 'patient', baseUrl) : undefined;
  const agent = single(params, 'agent');
  const organizationId = agent ? referenceId(agent, 'Organization', 'agent', baseUrl) : undefined;
  const outcomeValue = single(params, 'outcome');
  const outcomeCode = outcomeValue === undefined ? undefined : parseToken(outcomeValue, 'outcome').code;
  const outcome = outcomeCode === undefined ? undefined : OUTCOMES[outcomeCode];
  if (outcomeValue !== undefined && !outcome) throw new FhirError(400, 'invalid', 'outcome is 0, 4 or 8', 'outcome');
  const coded = [codedCriterion(params, 'type', TYPES), codedCriterion(params, 'subtype', SUBTYPES)].filter((c): c is Criterion => c !== undefined);
  const transactions = new Set(coded.map((c) => c.transaction));
  if (transactions.size > 1) return undefined;
  if ((patientId && !isOurId(patientId)) || (organizationId && !isOurId(organizationId))) return undefined;
  const [transaction] = transactions;
  return {
    filter: {
      ...(from ? { from } : {}), ...(to ? { to } : {}), ...(patientId ? { patientId } : {}), ...(organizationId ? { organizationId } : {}),
      ...(transaction ? { transaction } : {}), ...(outcome ? { outcome } : {}),
    },
    keep: (e) => coded.every((c) => c.event(e))
      && (!patientId || (e.entity ?? []).some((x) => x.what?.reference === `Patient/${patientId}`))
      && (!outcomeCode || e.outcome === outcomeCode),
  };
}

/** Where the next page starts: at the record numbered `s` in the chain, after the first `k` of its events. */
const Cursor = z.object({ s: z.number().int().min(1), k: z.number().int().min(0) }).strict();
type Cursor = z.infer<typeof Cursor>;

/** Records read at once while a page fills; a page whose filter keeps few events stops after this many reads. */
const MAX_READS = 10;

/**
 * One page of `count` events, newest record first. A record renders as several events (one per patient, and
 * the consent decisions), so a page may end inside one; `next` says where the following page starts.
 */
export async function auditEventPage(
  trail: AuditTrail, query: AuditQuery | undefined, after: unknown, count: number, context: AuditEventContext,
): Promise<{ events: AuditEvent[]; next?: Cursor }> {
  if (!query) return { events: [] };
  const start = Cursor.safeParse(after).data;
  let beforeSeq = start ? start.s + 1 : undefined;
  const events: AuditEvent[] = [];
  for (let reads = 0; reads < MAX_READS; reads++) {
    const rows = await trail.search({ ...query.filter, ...(beforeSeq !== undefined ? { beforeSeq } : {}), limit: count + 1 });
    for (const row of rows) {
      const rendered = renderAuditEvents(recordOf(row), context);
      for (let i = row.seq === start?.s ? start.k : 0; i < rendered.length; i++) {
        if (!query.keep(rendered[i]!)) continue;
        if (events.length === count) return { events, next: { s: row.seq, k: i } };
        events.push(rendered[i]!);
      }
    }
    if (rows.length <= count) return { events };
    beforeSeq = rows.at(-1)!.seq;
  }
  // The filter kept little of many records: a short page, and the next continues below the records read.
  return { events, next: { s: beforeSeq!, k: Number.MAX_SAFE_INTEGER } };
}
