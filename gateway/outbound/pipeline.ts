import type { AuditAppender } from '../../audit/index.js';
import type { AuditRecordInput, AuditTransaction } from '../../canonical/index.js';
import type { ConsentDecision } from '../../consent/decide.js';
import type { ConsentService } from '../../consent/service.js';
import { coalescedReads, type Store } from '../../store/index.js';
import { consentedReader, type ConsentedReader } from './consented-reader.js';
import type { Requester } from './requester.js';
import { subjectFinder, type SubjectFinder } from './subject-finder.js';

/** One outbound exchange as the surface received it: enough to decide, and to reproduce the query later. */
export interface Exchange {
  readonly surface: 'fhir' | 'xcpd' | 'xca';
  readonly transaction: AuditTransaction;
  /** What was asked, e.g. `Observation?patient` or `Patient/$everything`. */
  readonly action: string;
  readonly requester: Requester;
  /** The request as received (method, path and query, or the SOAP body), for the audit trail. */
  readonly query: string;
  readonly requestId: string;
  readonly sourceAddress?: string;
  /** What ties the exchange to the requester's own records (e.g. its wsa:MessageID), on each of its audit records. */
  readonly detail?: AuditDetail;
}

/** The consent decisions for the patients an exchange concerns. */
export interface Verdict {
  readonly permitted: readonly string[];
  readonly denied: readonly string[];
  readonly decisions: ReadonlyMap<string, Decision>;
}

export type Decision = Pick<ConsentDecision, 'result' | 'reason' | 'policyVersion'> & { readonly rule: string };

/**
 * What a surface supplies for one exchange: how to find the patients it concerns (lookups that disclose
 * nothing), and how to answer for the permitted ones (reads through the consented reader only).
 */
export interface Disclosure<R> {
  subjects(find: SubjectFinder): Promise<readonly string[]>;
  respond(read: ConsentedReader, verdict: Verdict): Promise<R>;
  /**
   * What the trail should say of the answer beyond what left, read once it is made: e.g. which of the documents
   * asked for were not returned, and the error each got. Never clinical data.
   */
  detail?(): AuditDetail;
  /** Whether the answer, once made, is the transaction's failure (nothing asked for was returned): so on the trail. */
  failed?(): boolean;
}

export type AuditDetail = NonNullable<AuditRecordInput['detail']>;

export interface OutboundPipeline {
  /**
   * Decides consent for each patient the exchange concerns, lets the surface read and render what may leave,
   * and resolves only once the audit records of the exchange are committed. If the audit write fails, this
   * rejects and nothing is answered.
   */
  run<R>(exchange: Exchange, disclosure: Disclosure<R>): Promise<R>;
  /** Records an exchange refused before it reached `run` (a malformed request, an expired page token, ...). */
  refused(exchange: Exchange, reason: string): Promise<void>;
  /** Whether this exchange is on the trail already. */
  audited(exchange: Exchange): boolean;
}

export interface PipelineDeps {
  readonly store: Store;
  readonly consent: ConsentService;
  readonly audit: AuditAppender;
  readonly now?: () => Date;
}

/** Staff of the clinic read their own records: consent governs disclosure to other organizations. */
const STAFF_DECISION: Decision = { result: 'permit', rule: 'staff', reason: 'clinic staff reading their own records; consent governs disclosure to other organizations' };

export function createOutboundPipeline(deps: PipelineDeps): OutboundPipeline {
  const now = deps.now ?? (() => new Date());
  const store = coalescedReads(deps.store);

  async function decideFor(exchange: Exchange, patientId: string, finder: SubjectFinder, patientsInRequest: number): Promise<Decision> {
    const r = exchange.requester;
    if (r.kind === 'staff') return STAFF_DECISION;
    const changeClock = finder.changeClock;
    const patientFacts = finder.consentFacts(patientId);
    const d = await deps.consent.decideAndHold({
      patientId, organizationId: r.organizationId, purpose: r.purpose, now: now(), connectionActive: r.connectionActive,
      ...(changeClock !== undefined ? { changeClock } : {}), ...(patientFacts ? { patientFacts } : {}),
      surface: exchange.surface, connectionId: r.connectionId, ...(r.person?.name ? { requesterPerson: r.person.name } : {}),
      asked: { action: exchange.action.slice(0, 100), patientsInRequest, requestId: exchange.requestId },
    });
    return { result: d.result, rule: d.rule, reason: d.heldRequestId ? `${d.reason}; held for review as request ${d.heldRequestId}` : d.reason, ...(d.policyVersion ? { policyVersion: d.policyVersion } : {}) };
  }

  const audited = new WeakSet<Exchange>();
  const append = async (records: readonly AuditRecordInput[], exchange: Exchange) => {
    audited.add(exchange);
    await Promise.all(records.map((r) => deps.audit.append(r)));
  };

  return {
    async run(exchange, disclosure) {
      const decisions = new Map<string, Decision>();
      let verdict: Verdict = { permitted: [], denied: [], decisions };
      // Until consent has decided, the reader permits no one; what it hands out is on the trail either way.
      let reader = consentedReader(store, new Set());
      try {
        const withholdBsn = exchange.requester.kind === 'partner' && exchange.requester.withholdBsn;
        const finder = subjectFinder(store, { withholdBsn });
        const subjects = [...new Set(await disclosure.subjects(finder))];
        // A partner credential taken from the cache unconfirmed is confirmed with the clock the lookups just read.
        if (exchange.requester.kind === 'partner') await exchange.requester.confirm?.(finder.changeClock);
        await Promise.all(subjects.map(async (id) => decisions.set(id, await decideFor(exchange, id, finder, subjects.length))));
        const permitted = subjects.filter((id) => decisions.get(id)!.result === 'permit');
        verdict = { permitted, denied: subjects.filter((id) => !permitted.includes(id)), decisions };
        const organizationId = exchange.requester.kind === 'partner' ? exchange.requester.organizationId : undefined;
        reader = consentedReader(store, new Set(permitted), finder.prefetched, { withholdBsn, ...(organizationId ? { organizationId } : {}) });
        const response = await disclosure.respond(reader, verdict);
        await append(auditRecords(exchange, verdict, reader.returned, disclosure.failed?.() ? 'failure' : 'success', undefined, disclosure.detail?.()), exchange);
        return response;
      } catch (error) {
        // Whatever failed, before or after the decisions, the exchange goes on the trail as failed; when it was the
        // audit write itself that failed, it is not tried again, and the caller gets the error with no data.
        if (!audited.has(exchange)) await Promise.allSettled([append(auditRecords(exchange, verdict, reader.returned, 'failure', refusalOf(error)), exchange)]);
        throw error;
      }
    },
    async refused(exchange, reason) {
      if (audited.has(exchange)) return;
      await append(auditRecords(exchange, { permitted: [], denied: [], decisions: new Map() }, new Map(), 'failure', reason), exchange);
    },
    audited: (exchange) => audited.has(exchange),
  };
}

/** What the trail says of a failed exchange: the message of our own errors, never an internal one. */
function refusalOf(error: unknown): string {
  return error instanceof Error && (error.name === 'FhirError' || error.name === 'HttpError') ? error.message : 'failed while answering';
}

/**
 * One record per patient the exchange concerned, each with that patient's decision and what left for them, so a
 * compliance officer's search by patient finds each disclosure; one record when it concerned no patient.
 */
function auditRecords(
  exchange: Exchange, verdict: Verdict, returned: ReadonlyMap<string, readonly string[]>, outcome: 'success' | 'failure', failure?: string, detail?: AuditDetail,
): AuditRecordInput[] {
  const r = exchange.requester;
  const merged = { ...exchange.detail, ...detail };
  const common = {
    transaction: exchange.transaction,
    action: exchange.action.slice(0, 100),
    actor: r.kind === 'staff'
      ? { type: 'user' as const, userId: r.userId, role: r.roles.join(' ') }
      : {
          type: 'partner' as const, organizationId: r.organizationId, connectionId: r.connectionId,
          ...(r.person?.name ? { name: r.person.name } : r.person?.id ? { name: r.person.id } : {}),
          ...(r.person?.role ? { role: r.person.role.slice(0, 100) } : {}),
        },
    surface: exchange.surface,
    ...(r.kind === 'partner'
      ? { purpose: { ...(r.purposeAsReceived ? { asReceived: r.purposeAsReceived.slice(0, 300) } : {}), ...(r.purpose.outcome === 'matched' ? { matched: r.purpose.purpose } : {}) } }
      : {}),
    // The trail keeps up to 150 kB of the request (200 kB in base64); larger requests are kept in part.
    query: Buffer.from(exchange.query).subarray(0, 150_000).toString('base64'),
    requestId: exchange.requestId,
    ...(exchange.sourceAddress ? { sourceAddress: exchange.sourceAddress } : {}),
    ...(Object.keys(merged).length > 0 ? { detail: merged } : {}),
  };
  const directory = returned.get('') ?? [];
  const patients = [...verdict.decisions.keys()];
  if (patients.length === 0) {
    const reason = failure ? `no decision: ${failure}` : 'the request concerned no patient';
    return [{ ...common, outcome, patientIds: [], decision: { result: 'not-applicable', reason: reason.slice(0, 500) }, returned: [...directory] }];
  }
  return patients.map((patientId, i) => {
    const d = verdict.decisions.get(patientId)!;
    const mine = returned.get(patientId) ?? [];
    return {
      ...common,
      outcome: d.result === 'deny' ? 'denied' : outcome,
      patientIds: [patientId],
      decision: { result: d.result, reason: `${d.rule}: ${d.reason}`.slice(0, 500), ...(d.policyVersion ? { policyVersion: d.policyVersion } : {}) },
      returned: i === 0 ? [...mine, ...directory] : [...mine],
    };
  });
}
