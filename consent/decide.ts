import type { Purpose, PurposeMatch } from '../canonical/index.js';

/**
 * The purpose-of-use decision, pure: the facts are loaded by a wrapper, so every fail-closed case is a plain
 * unit test. Order, after consent-and-audit.md §3–4:
 *   1. the requesting connection must be active;
 *   2. the purpose must be one of the seven, matched exactly (missing, unknown and ambiguous are denied);
 *   3. an approval of a held request for this organization, purpose and patient, not yet expired and not followed
 *      by a choice of the patient's (the loader leaves those out, store/consent.ts), permits;
 *   4. the patient's own choice, when there is one, decides alone (it overrides the defaults completely);
 *   5. else the clinic defaults decide (no default purposes = opt-in: nothing is shared);
 *   6. no policy at all denies everything (PCF: deny all when no implicit policy is declared).
 * Never a default purpose, never "proceed".
 */
export interface PolicyVersion {
  readonly purposes: readonly Purpose[];
  readonly version: number;
}

export interface ConsentFacts {
  readonly connectionActive: boolean;
  readonly clinicDefaults?: PolicyVersion;
  readonly patientChoice?: PolicyVersion;
  readonly approvals: readonly { readonly id: string; readonly organizationId: string; readonly purpose: Purpose; readonly expiresAt: string }[];
}

export interface ConsentRequest {
  readonly patientId: string;
  readonly organizationId: string;
  readonly purpose: PurposeMatch;
  readonly now: Date;
}

export type ConsentRule =
  | 'connection-inactive' | 'purpose-missing' | 'purpose-unknown' | 'purpose-ambiguous'
  | 'approval' | 'patient-choice' | 'clinic-default' | 'no-policy';

export interface ConsentDecision {
  readonly result: 'permit' | 'deny';
  readonly rule: ConsentRule;
  readonly reason: string;
  /** Which version of which policy decided, e.g. "patient:4", "clinic:12", "approval:<id>". */
  readonly policyVersion?: string;
  readonly purpose?: Purpose;
}

export function decide(request: ConsentRequest, facts: ConsentFacts): ConsentDecision {
  if (!facts.connectionActive) return { result: 'deny', rule: 'connection-inactive', reason: 'the requesting connection is not active' };
  const match = request.purpose;
  if (match.outcome === 'missing') return { result: 'deny', rule: 'purpose-missing', reason: 'no purpose of use was given' };
  if (match.outcome === 'unknown') return { result: 'deny', rule: 'purpose-unknown', reason: 'the purpose of use is not one of the seven we answer' };
  if (match.outcome === 'ambiguous') return { result: 'deny', rule: 'purpose-ambiguous', reason: `the request names several purposes (${match.purposes.join(', ')})` };
  const purpose = match.purpose;

  const approval = facts.approvals.find(
    (a) => a.organizationId === request.organizationId && a.purpose === purpose && Date.parse(a.expiresAt) > request.now.getTime(),
  );
  if (approval) {
    return { result: 'permit', rule: 'approval', reason: `${purpose} approved for this organization until ${approval.expiresAt}`, policyVersion: `approval:${approval.id}`, purpose };
  }
  if (facts.patientChoice) {
    const allowed = facts.patientChoice.purposes.includes(purpose);
    return {
      result: allowed ? 'permit' : 'deny', rule: 'patient-choice',
      reason: `the patient's own choice ${allowed ? 'allows' : 'does not allow'} ${purpose}`,
      policyVersion: `patient:${facts.patientChoice.version}`, purpose,
    };
  }
  if (facts.clinicDefaults) {
    const allowed = facts.clinicDefaults.purposes.includes(purpose);
    const optIn = facts.clinicDefaults.purposes.length === 0;
    return {
      result: allowed ? 'permit' : 'deny', rule: 'clinic-default',
      reason: allowed ? `the clinic shares for ${purpose} by default` : optIn ? 'the clinic shares only what a patient allows (opt-in), and this patient has not' : `the clinic does not share for ${purpose} by default`,
      policyVersion: `clinic:${facts.clinicDefaults.version}`, purpose,
    };
  }
  return { result: 'deny', rule: 'no-policy', reason: 'no clinic default and no patient choice: nothing is shared', purpose };
}
