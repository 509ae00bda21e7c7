import type { ReceivedPurpose } from '../../../canonical/index.js';

/** What one partner connection accepts (ihe-xca-xcpd.md §5.1). */
export interface XuaPolicy {
  /** PEM certificates of the trust bundle, roots and intermediates; every one is a trust anchor. */
  readonly trustAnchors: readonly string[];
  /** Our endpoint URLs; an AudienceRestriction must name one of them. */
  readonly audiences: readonly string[];
  readonly clockSkewSeconds: number;
  /**
   * How long after its IssueInstant an assertion is taken, whatever its NotOnOrAfter says: a captured assertion
   * valid for years would otherwise be a bearer credential until then (ihe-xca-xcpd.md §5.1 item 5).
   */
  readonly maxAssertionAgeSeconds: number;
  /** rsa-sha1 and sha1 digests, for the partners that still sign so. */
  readonly allowSha1: boolean;
}

export type XuaFaultSubcode =
  | 'wsse:InvalidSecurity'
  | 'wsse:FailedCheck'
  | 'wsse:FailedAuthentication'
  | 'wsse:MessageExpired'
  | 'wsse:InvalidSecurityToken';

export interface XuaFault {
  readonly subcode: XuaFaultSubcode;
  /** Names the failed check; never a value from the message. */
  readonly reason: string;
}

export type XuaResult = { readonly ok: true; readonly assertion: VerifiedAssertion } | { readonly ok: false; readonly fault: XuaFault };

/** An HL7 v3 CE as the XUA role and purpose attributes carry it. */
export interface CodedValue {
  readonly code: string;
  readonly codeSystem: string;
  readonly codeSystemName?: string;
  readonly displayName?: string;
}

export interface CertificateInfo {
  readonly pem: string;
  /** Lowercase hex SHA-256 of the DER. */
  readonly sha256Fingerprint: string;
  /** RFC 4514 string form, most specific RDN first. */
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601 UTC. */
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface VerifiedSignature {
  readonly signatureAlgorithm: string;
  readonly digestAlgorithm: string;
  /** Lowercase hex SHA-256 of the decoded SignatureValue: with the assertion ID, the replay key of §5.1 item 9. */
  readonly signatureValueSha256: string;
  readonly certificate: CertificateInfo;
  /** From the signing certificate up to the trust anchor, both included. */
  readonly chain: readonly CertificateInfo[];
}

/**
 * The XUA attributes (ihe-xca-xcpd.md §5) by meaning, whatever Name synonym or NameFormat carried them: the
 * required ones always present, purposes never empty.
 */
export interface XuaAttributes {
  readonly subjectId: string;
  readonly organization: string;
  readonly organizationId: string;
  /** The requester's home community, always `urn:oid:<oid>`. */
  readonly homeCommunityId: string;
  readonly role: CodedValue;
  /** As received, for profiles/purposes.ts `matchPurpose`. */
  readonly purposes: readonly ReceivedPurpose[];
  readonly npi?: string;
  readonly resourceId?: string;
  readonly acp: readonly string[];
  readonly bppcDocIds: readonly string[];
  readonly queryAuthGrantor?: string;
}

/** The claims of an assertion whose signature, trust chain, times and audience have been checked. Times are ISO 8601 UTC. */
export interface VerifiedAssertion extends XuaAttributes {
  readonly id: string;
  readonly issueInstant: string;
  readonly issuer: string;
  readonly issuerFormat?: string;
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly notBefore?: string;
  readonly notOnOrAfter: string;
  readonly authnContextClassRef?: string;
  readonly subjectLocality?: { readonly address?: string; readonly dnsName?: string };
  readonly signature: VerifiedSignature;
  /** The wsu:Timestamp of the Security header, when there is one (it is not covered by the assertion's signature). */
  readonly timestamp?: { readonly created?: string; readonly expires?: string };
}

/** The outcome of one check that yields nothing but its verdict. */
export type Checked = { readonly ok: true } | { readonly ok: false; readonly fault: XuaFault };

export const fault = (subcode: XuaFaultSubcode, reason: string): { readonly ok: false; readonly fault: XuaFault } => ({ ok: false, fault: { subcode, reason } });
