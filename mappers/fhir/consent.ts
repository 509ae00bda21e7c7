import { createHash } from 'node:crypto';
import type { Consent, ConsentProvision } from 'fhir/r4.js';
import type { Purpose } from '../../canonical/index.js';
import { purposeCoding } from '../../profiles/purposes.js';

/**
 * A patient's effective purpose-of-use policy as a FHIR R4 Consent (IHE PCF shape, consent-and-audit.md §3):
 * scope patient-privacy, category LOINC 59284-0, a root deny with permit provisions for the allowed purposes
 * (opt-in; everything else is refused), and the policy it rests on. Pure.
 */
export interface EffectivePolicy {
  readonly patientId: string;
  readonly source: 'patient-choice' | 'clinic-default' | 'no-policy';
  readonly purposes: readonly Purpose[];
  readonly version: number;
  /** When the deciding version was set. */
  readonly dateTime?: string;
  readonly organizationId?: string;
  /**
   * Requests an admin approved past the policy, in force now: each lets one organization's purpose through until it
   * lapses (consent-and-audit.md §3). Only the asking organization's own are shown to a partner.
   */
  readonly approvals?: readonly PolicyApproval[];
}

export interface PolicyApproval {
  readonly requestId: string;
  readonly organizationId: string;
  readonly purpose: Purpose;
  readonly until: string;
  /** When the admin approved it: the Consent changed then. */
  readonly approvedAt?: string;
}

/** When the Consent last changed: its policy was set, or an approval shown in it was granted. */
function lastChanged(policy: EffectivePolicy): string | undefined {
  const times = [policy.dateTime, ...(policy.approvals ?? []).map((a) => a.approvedAt)].filter((t): t is string => t !== undefined);
  return times.length > 0 ? times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : undefined;
}

const RECIPIENT = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' };

/**
 * The Consent's version: the deciding policy's, and which approvals are in force with it, so a partner holding an
 * earlier copy sees it changed when an approval is granted or lapses.
 */
function versionOf(policy: EffectivePolicy): string {
  const base = `${policy.source}-${policy.version}`;
  const approvals = policy.approvals ?? [];
  if (approvals.length === 0) return base;
  const named = approvals.map((a) => `${a.requestId}@${a.until}`).sort().join(',');
  return `${base}.${createHash('sha256').update(named).digest('hex').slice(0, 12)}`;
}

/** Where the policy version a Consent rests on can be named: our own policy URIs, one per source and version. */
export function policyUri(source: EffectivePolicy['source'], version: number, patientId: string): string {
  return source === 'patient-choice' ? `urn:crossgate:consent:patient:${patientId}:${version}` : `urn:crossgate:consent:${source}:${version}`;
}

/** One Consent a patient, whatever policy is in force: its id stays, its version says which policy it is. */
export const consentId = (patientId: string) => `${patientId}-privacy`;

export function renderConsent(policy: EffectivePolicy): Consent {
  const permits: ConsentProvision[] = [
    ...(policy.purposes.length > 0 ? [{ type: 'permit' as const, purpose: policy.purposes.map(purposeCoding) }] : []),
    ...[...(policy.approvals ?? [])].sort((a, b) => a.requestId.localeCompare(b.requestId)).map((a): ConsentProvision => ({
      type: 'permit',
      period: { end: a.until },
      actor: [{ role: { coding: [RECIPIENT] }, reference: { reference: `Organization/${a.organizationId}` } }],
      purpose: [purposeCoding(a.purpose)],
    })),
  ];
  return {
    resourceType: 'Consent',
    id: consentId(policy.patientId),
    meta: { versionId: versionOf(policy), ...(lastChanged(policy) ? { lastUpdated: lastChanged(policy) } : {}) },
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy', display: 'Privacy Consent' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${policy.patientId}` },
    ...(policy.dateTime ? { dateTime: policy.dateTime } : {}),
    ...(policy.organizationId ? { organization: [{ reference: `Organization/${policy.organizationId}` }] } : {}),
    policy: [{ uri: policyUri(policy.source, policy.version, policy.patientId) }],
    provision: { type: 'deny', ...(permits.length > 0 ? { provision: permits } : {}) },
  };
}
