/**
 * The seven purposes of request and every code form we meet for them (consent-and-audit.md §1): one table,
 * used by every surface. Matching is by exact (system, code): no subsumption, so COVERAGE, a child of HPAYMT in
 * v3 ActReason, is never decided by a Payment rule, and an unlisted child code (ETREAT, CLMATTCH…) is unknown.
 */
import { PURPOSES, type Purpose, type PurposeMatch, type ReceivedPurpose } from '../canonical/index.js';

export { PURPOSES, type Purpose, type PurposeMatch, type ReceivedPurpose };

export const NHIN_PURPOSE_OID = '2.16.840.1.113883.3.18.7.1';
export const NHIN_PURPOSE_URI = 'http://healthit.gov/nhin/purposeofuse';
export const ACT_REASON_OID = '2.16.840.1.113883.5.8';
export const ACT_REASON_URI = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
/**
 * Ours, for the purpose no public vocabulary codes (Other Authorization-Based Disclosures, code OTHER_AUTHZ):
 * an ITU-T X.667 OID (2.25 + a UUID), unique without registration. Peers send it only by agreement.
 */
export const CROSSGATE_PURPOSE_OID = '2.25.45009531155271755814183476162014999682';
export const CROSSGATE_PURPOSE_URI = `urn:oid:${CROSSGATE_PURPOSE_OID}`;

interface PurposeCodes {
  readonly nhin?: string;
  readonly actReason?: string;
  readonly crossgate?: string;
  readonly display: string;
}

export const PURPOSE_CODES: Record<Purpose, PurposeCodes> = {
  Treatment: { nhin: 'TREATMENT', actReason: 'TREAT', display: 'treatment' },
  Payment: { nhin: 'PAYMENT', actReason: 'HPAYMT', display: 'healthcare payment' },
  'Health Care Operations': { nhin: 'OPERATIONS', actReason: 'HOPERAT', display: 'healthcare operations' },
  'Public Health Activities': { nhin: 'PUBLICHEALTH', actReason: 'PUBHLTH', display: 'public health' },
  'Patient Request': { nhin: 'REQUEST', actReason: 'PATRQT', display: 'patient requested' },
  'Coverage Determination': { nhin: 'COVERAGE', actReason: 'COVERAGE', display: 'coverage under policy or program' },
  'Other Authorization-Based Disclosures': { crossgate: 'OTHER_AUTHZ', display: 'other authorization-based disclosure' },
};

/** (system, code) → purpose, with each system in every spelling it arrives in (OID, urn:oid:, URI). */
const TABLE = new Map<string, Purpose>();
for (const purpose of PURPOSES) {
  const c = PURPOSE_CODES[purpose];
  const add = (systems: readonly string[], code: string | undefined) => {
    if (code) for (const s of systems) TABLE.set(`${s}|${code}`, purpose);
  };
  add([NHIN_PURPOSE_OID, `urn:oid:${NHIN_PURPOSE_OID}`, NHIN_PURPOSE_URI], c.nhin);
  add([ACT_REASON_OID, `urn:oid:${ACT_REASON_OID}`, ACT_REASON_URI], c.actReason);
  add([CROSSGATE_PURPOSE_OID, CROSSGATE_PURPOSE_URI], c.crossgate);
}

/** UDAP's `purpose_of_use` strings: `urn:oid:<oid>#<code>` or `<system>#<code>`. */
export function parsePurposeString(text: string): ReceivedPurpose {
  const hash = text.lastIndexOf('#');
  return hash > 0 ? { system: text.slice(0, hash), code: text.slice(hash + 1) } : { code: text };
}

/**
 * The one purpose a request states. Missing, unknown (any code outside the table, a code without a system) or
 * ambiguous (codes naming different purposes) never becomes a purpose: the caller denies.
 */
export function matchPurpose(received: readonly ReceivedPurpose[]): PurposeMatch {
  if (received.length === 0) return { outcome: 'missing' };
  const purposes = new Set<Purpose>();
  for (const r of received) {
    const purpose = r.system ? TABLE.get(`${r.system.trim()}|${r.code.trim()}`) : undefined;
    if (!purpose) return { outcome: 'unknown', received };
    purposes.add(purpose);
  }
  if (purposes.size > 1) return { outcome: 'ambiguous', received, purposes: [...purposes] };
  return { outcome: 'matched', purpose: [...purposes][0]!, received };
}

/** The coding we write for a purpose (FHIR Consent, AuditEvent): v3 ActReason, or ours for OTHER_AUTHZ. */
export function purposeCoding(purpose: Purpose): { system: string; code: string; display: string } {
  const c = PURPOSE_CODES[purpose];
  return c.actReason
    ? { system: ACT_REASON_URI, code: c.actReason, display: c.display }
    : { system: CROSSGATE_PURPOSE_URI, code: c.crossgate!, display: c.display };
}
