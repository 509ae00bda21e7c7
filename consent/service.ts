import type { RequestContext, RootStore } from '../store/index.js';
import { coalesce, createChangeFeed, type ChangeFeed } from '../store/index.js';
import { decide, type ConsentDecision, type ConsentFacts, type ConsentRequest, type PolicyVersion } from './decide.js';

/**
 * Decisions from a cached policy. The clinic defaults and each patient's choice and approvals are cached; every
 * committed change is announced to every process (store/change-feed.ts), which drops what it names (its own changes
 * at once, others' as the announcement arrives, typically within a millisecond of the commit). The cache answers
 * only when the feed says every change committed before the decision was asked has reached it; otherwise the
 * decision is made from the database. So a revocation committed in any process is never answered with a cached
 * permit, not even in the moment before its announcement arrives.
 */
/** An outbound request as a surface sees it: who asks, through which connection and surface. */
export interface SurfaceRequest extends ClockedRequest {
  readonly connectionActive: boolean;
  readonly surface: string;
  readonly connectionId?: string;
  readonly requesterPerson?: string;
  /** What was asked, for a request held for review: the action, how many patients it concerned, its request id. */
  readonly asked?: RequestContext;
}

/**
 * A request to decide, with the change clock as a statement read it after the request was asked, when one did
 * (store AtClock): then the cache's currency is known without reading the clock again.
 */
export interface ClockedRequest extends ConsentRequest {
  readonly changeClock?: number;
  /**
   * The patient's choice and approvals as a statement read them after the request was asked (the one that found
   * the patient): as current as a read now, so they are used instead of the cache or a read of its own.
   */
  readonly patientFacts?: PatientFacts;
}

/** Policy rules whose denial a person can review: the purpose was understood, only not permitted. */
const REVIEWABLE: readonly ConsentDecision['rule'][] = ['patient-choice', 'clinic-default', 'no-policy'];

export interface ConsentService {
  decide(request: ClockedRequest & { readonly connectionActive: boolean }): Promise<ConsentDecision>;
  /**
   * Decides, and when a known purpose was not permitted, holds the request for an admin to review (asked
   * again while pending, it is counted, not repeated). Every outbound surface decides through this.
   */
  decideAndHold(request: SurfaceRequest): Promise<ConsentDecision & { readonly heldRequestId?: string }>;
  /** Drops the cache for one patient ('*': all); called on our own changes and on every announcement. */
  invalidate(scope: string): void;
  /** Resolves once the change feed listens and decisions may be served from the cache. */
  ready(): Promise<void>;
  /** Resolves when an announcement naming `scope` has arrived (for measuring propagation). */
  nextInvalidation(scope: string): Promise<void>;
  /** The change feed this cache follows, for the process's other caches to follow too; closed with the service. */
  readonly changes: ChangeFeed;
  close(): Promise<void>;
}

const MAX_PATIENTS = 200_000;
/** Patients whose facts are read in one statement at most, for the decisions asked while one is read. */
const MAX_FACTS_BATCH = 200;

type PatientFacts = Pick<ConsentFacts, 'patientChoice' | 'approvals'>;

export function createConsentService(store: RootStore): ConsentService {
  const changes = createChangeFeed(store);
  let defaults: { value: PolicyVersion | undefined } | undefined;
  const patients = new Map<string, PatientFacts>();
  // Bumped by every invalidation: a read that started before one must not be cached after it.
  let generation = 0;
  const waiting = new Map<string, (() => void)[]>();
  const patientFacts = coalesce((ids: readonly string[]) => store.consent.patientFactsMany(ids), MAX_FACTS_BATCH);

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
  changes.on('consent', invalidate);

  async function loadDefaults(current: boolean): Promise<PolicyVersion | undefined> {
    if (current && defaults) return defaults.value;
    const before = generation;
    const stored = await store.consent.currentDefaults();
    const value = stored ? { version: stored.version, purposes: stored.purposes ?? [] } : undefined;
    if (current && before === generation) defaults = { value };
    return value;
  }

  async function loadPatient(patientId: string, current: boolean): Promise<PatientFacts> {
    const cached = current ? patients.get(patientId) : undefined;
    if (cached) return cached;
    const before = generation;
    const entry = await patientFacts(patientId);
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
        ...(request.asked ? { asked: request.asked } : {}),
      });
      return { ...decision, heldRequestId: held.id };
    },
    async decide(request) {
      const current = await changes.current(request.changeClock);
      const [clinicDefaults, patient] = await Promise.all([loadDefaults(current), request.patientFacts ?? loadPatient(request.patientId, current)]);
      return decide(request, {
        connectionActive: request.connectionActive,
        ...(clinicDefaults ? { clinicDefaults } : {}),
        ...(patient.patientChoice ? { patientChoice: patient.patientChoice } : {}),
        approvals: patient.approvals,
      });
    },
    invalidate,
    ready: () => changes.ready(),
    changes,
    nextInvalidation(scope) {
      return new Promise((resolve) => waiting.set(scope, [...(waiting.get(scope) ?? []), resolve]));
    },
    close: () => changes.close(),
  };
  return service;
}
