import type { RootStore } from '../store/index.js';
import { CONSENT_CHANNEL } from '../store/index.js';
import { decide, type ConsentDecision, type ConsentFacts, type ConsentRequest, type PolicyVersion } from './decide.js';

/**
 * Decisions from a cached policy. The clinic defaults and each patient's choice and approvals are cached;
 * every committed change is announced on a NOTIFY channel, and every process drops what it names (its own
 * changes at once, others' as the notification arrives, typically within a millisecond of the commit). When
 * the listening connection breaks, the whole cache is dropped and bypassed until it listens again, so a lost
 * notification can never leave a permit in place.
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

  const listening = store
    .listen(
      CONSENT_CHANNEL,
      (payload) => {
        // Any notification proves the listener is connected again (a re-established one announces '*').
        trusted = true;
        invalidate(payload || '*');
      },
      () => {
        trusted = false;
        invalidate('*');
      },
    )
    .then((stop) => {
      trusted = true;
      return stop;
    });
  // Without a listener nothing is cached, so decisions stay right; ready() still reports the failure.
  listening.catch(() => undefined);

  async function loadDefaults(): Promise<PolicyVersion | undefined> {
    if (trusted && defaults) return defaults.value;
    const seen = generation;
    const current = await store.consent.currentDefaults();
    const value = current ? { version: current.version, purposes: current.purposes ?? [] } : undefined;
    if (trusted && seen === generation) defaults = { value };
    return value;
  }

  async function loadPatient(patientId: string): Promise<PatientEntry> {
    const cached = trusted ? patients.get(patientId) : undefined;
    if (cached) return cached;
    const seen = generation;
    const entry = await store.consent.patientFacts(patientId);
    if (trusted && seen === generation) {
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
      const [clinicDefaults, patient] = await Promise.all([loadDefaults(), loadPatient(request.patientId)]);
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
