import type { RootStore } from '../store/index.js';
import { CONSENT_CHANNEL } from '../store/index.js';
import { decide, type ConsentDecision, type ConsentFacts, type ConsentRequest, type PolicyVersion } from './decide.js';

/**
 * Decisions from a cached policy. The clinic defaults and each patient's choice and approvals are cached;
 * every committed change moves the consent clock and is announced on a NOTIFY channel with it, and every process
 * drops what a notification names (its own changes at once, others' as the notification arrives, typically within
 * a millisecond of the commit). The cache is used only when it is known to be current: each decision reads the
 * clock once after it was asked (callers in the same turn of the event loop share that read), and when a change
 * has been committed whose notification has not yet arrived, it decides from the database instead. So a revocation
 * committed in any process is never answered with a cached permit, not even in the moment before its notification
 * arrives. The embedded engine needs no clock read: it has delivered a notification by the time the commit returns,
 * and no other process writes. When the listening connection breaks, the whole cache is dropped and bypassed until it
 * listens again.
 */
/** An outbound request as a surface sees it: who asks, through which connection and surface. */
export interface SurfaceRequest extends ConsentRequest {
  readonly connectionActive: boolean;
  readonly surface: string;
  readonly connectionId?: string;
  readonly requesterPerson?: string;
}

/** Policy rules whose denial a person can review: the purpose was understood, only not permitted. */
const REVIEWABLE: readonly ConsentDecision['rule'][] = ['patient-choice', 'clinic-default', 'no-policy'];

export interface ConsentService {
  decide(request: ConsentRequest & { readonly connectionActive: boolean }): Promise<ConsentDecision>;
  /**
   * Decides, and when a known purpose was not permitted, holds the request for an admin to review (asked
   * again while pending, it is counted, not repeated). Every outbound surface decides through this.
   */
  decideAndHold(request: SurfaceRequest): Promise<ConsentDecision & { readonly heldRequestId?: string }>;
  /** Drops the cache for one patient ('*': all); called on our own changes and on every notification. */
  invalidate(scope: string): void;
  /** Resolves once the listener is in place and decisions may be served from the cache. */
  ready(): Promise<void>;
  /** Resolves when a notification naming `scope` has arrived (for measuring propagation). */
  nextInvalidation(scope: string): Promise<void>;
  close(): Promise<void>;
}

const MAX_PATIENTS = 200_000;

type PatientEntry = Pick<ConsentFacts, 'patientChoice' | 'approvals'>;

export function createConsentService(store: RootStore): ConsentService {
  let defaults: { value: PolicyVersion | undefined } | undefined;
  const patients = new Map<string, PatientEntry>();
  // Nothing is cached until the listener is in place: before that a change could go unnoticed.
  let trusted = false;
  // Bumped by every invalidation: a read that started before one must not be cached after it.
  let generation = 0;
  // The newest consent clock whose change this cache has taken in (from notifications, or a full drop).
  let seen = -1;
  const waiting = new Map<string, (() => void)[]>();

  const invalidate = (scope: string) => {
    generation += 1;
    if (scope === '*') {
      defaults = undefined;
      patients.clear();
    } else {
      patients.delete(scope);
    }
    for (const key of [scope, '*']) {
      const resolvers = waiting.get(key);
      if (resolvers) {
        waiting.delete(key);
        resolvers.forEach((r) => r());
      }
    }
  };

  /**
   * After listening (again), everything cached may have missed changes: drop it all and take the clock read
   * after that as seen, since whatever commits later is announced to us.
   */
  const resynchronize = async () => {
    const clock = await store.consent.clock();
    invalidate('*');
    seen = Math.max(seen, clock);
  };

  const listening = store
    .listen(
      CONSENT_CHANNEL,
      (payload) => {
        // Any notification proves the listener is connected again (a re-established one announces '').
        trusted = true;
        if (payload === '') {
          invalidate('*');
          resynchronize().catch(() => undefined);
          return;
        }
        const at = payload.lastIndexOf('@');
        invalidate(at > 0 ? payload.slice(0, at) : payload);
        const clock = Number(payload.slice(at + 1));
        if (at > 0 && Number.isFinite(clock)) seen = Math.max(seen, clock);
      },
      () => {
        trusted = false;
        invalidate('*');
      },
    )
    .then(async (stop) => {
      await resynchronize();
      trusted = true;
      return stop;
    });
  // Without a listener nothing is cached, so decisions stay right; ready() still reports the failure.
  listening.catch(() => undefined);

  // One clock read for the callers of one turn: each of them asked before it started, which is what they need.
  let queued: Promise<number> | undefined;
  const clockAfterNow = (): Promise<number> =>
    (queued ??= new Promise<number>((resolve, reject) => {
      setImmediate(() => {
        queued = undefined;
        store.consent.clock().then(resolve, reject);
      });
    }));

  async function loadDefaults(current: boolean): Promise<PolicyVersion | undefined> {
    if (current && defaults) return defaults.value;
    const before = generation;
    const stored = await store.consent.currentDefaults();
    const value = stored ? { version: stored.version, purposes: stored.purposes ?? [] } : undefined;
    if (current && before === generation) defaults = { value };
    return value;
  }

  async function loadPatient(patientId: string, current: boolean): Promise<PatientEntry> {
    const cached = current ? patients.get(patientId) : undefined;
    if (cached) return cached;
    const before = generation;
    const entry = await store.consent.patientFacts(patientId);
    if (current && before === generation) {
      if (patients.size >= MAX_PATIENTS) patients.delete(patients.keys().next().value!);
      patients.set(patientId, entry);
    }
    return entry;
  }

  const service: ConsentService = {
    async decideAndHold(request) {
      const decision = await service.decide(request);
      if (decision.result === 'permit' || !REVIEWABLE.includes(decision.rule) || !decision.purpose) return decision;
      const held = await store.consent.holdRequest({
        patientId: request.patientId, organizationId: request.organizationId, purpose: decision.purpose, surface: request.surface,
        ...(request.connectionId ? { connectionId: request.connectionId } : {}), ...(request.requesterPerson ? { requesterPerson: request.requesterPerson } : {}),
      });
      return { ...decision, heldRequestId: held.id };
    },
    async decide(request) {
      // Only a cache that has taken in every change committed before this decision was asked may answer it.
      const current = trusted && (store.notifiesBeforeCommitReturns || (await clockAfterNow()) <= seen);
      const [clinicDefaults, patient] = await Promise.all([loadDefaults(current), loadPatient(request.patientId, current)]);
      return decide(request, {
        connectionActive: request.connectionActive,
        ...(clinicDefaults ? { clinicDefaults } : {}),
        ...(patient.patientChoice ? { patientChoice: patient.patientChoice } : {}),
        approvals: patient.approvals,
      });
    },
    invalidate,
    async ready() {
      await listening;
    },
    nextInvalidation(scope) {
      return new Promise((resolve) => waiting.set(scope, [...(waiting.get(scope) ?? []), resolve]));
    },
    async close() {
      const stop = await listening.catch(() => undefined);
      await stop?.();
    },
  };
  return service;
}
