import { createHash, type KeyObject } from 'node:crypto';
import { NS, type DomElement, type XmlDocument } from '../../../mappers/xml/index.js';
import { checkSignature, readSignature } from './check-signature.js';
import { attribute, childrenNamed, elementChildren, textOf } from './dom.js';
import { confirmsSigningKey, signingCertificate } from './key-info.js';
import { parseEnvelope } from './parse-envelope.js';
import { readAttributes } from './read-attributes.js';
import { trustSigner } from './trust-chain.js';
import { fault, type Checked, type VerifiedAssertion, type XuaPolicy, type XuaResult } from './types.js';

/**
 * Checks the XUA assertion of an inbound SOAP 1.2 request (ihe-xca-xcpd.md §5.1 items 2–8) and returns its claims,
 * or the WS-Security fault to answer with. The order is deliberate: the message's structure and the wrapping
 * defences first, then the trust of the certificate in KeyInfo and the signature made with its key, and only then
 * what the assertion says (holder-of-key, times, audience, issuer, subject, attributes), so nothing an
 * unauthenticated sender wrote decides which fault is answered. mTLS (item 1) and replay (item 9) are the caller's:
 * the result carries the signature digest and certificate they need.
 *
 * `envelope` is the request's text, or mappers/xml's parse of it (the `document` of readXml's tree), so a request
 * the SOAP layer has read is not parsed again.
 */
export function verifyXua(envelope: string | XmlDocument, policy: XuaPolicy, now: Date): XuaResult {
  const parsed = parseEnvelope(envelope);
  if (!parsed.ok) return parsed;
  const { assertion, ids } = parsed.envelope;

  const id = attribute(assertion, 'ID') ?? '';
  if (!NCNAME.test(id)) return fault('wsse:InvalidSecurity', 'assertion: the ID attribute is missing or not an NCName');
  const read = readSignature(assertion, id, ids.get(id) ?? [], policy.allowSha1);
  if (!read.ok) return read;
  const parts = read.parts;

  const certificate = signingCertificate(parts.keyInfo);
  if (!certificate.ok) return certificate;
  const trust = trustSigner(certificate.der, policy.trustAnchors, now);
  if (!trust.ok) return trust;
  const signed = checkSignature(assertion, parts, trust.key);
  if (!signed.ok) return signed;

  const confirmed = checkHolderOfKey(assertion, { der: certificate.der, key: trust.key });
  if (!confirmed.ok) return confirmed;

  const conditions = childrenNamed(assertion, NS.saml2, 'Conditions');
  if (conditions.length !== 1) return fault('wsse:InvalidSecurityToken', 'conditions: exactly one Conditions element is required');
  const times = checkTimes(conditions[0]!, parsed.envelope.timestamp, policy.clockSkewSeconds * 1000, now);
  if (!times.ok) return times;

  const audience = checkConditions(conditions[0]!, policy.audiences);
  if (!audience.ok) return audience;

  const header = readHeader(assertion);
  if (!header.ok) return header;
  const age = now.getTime() - Date.parse(header.header.issueInstant);
  if (age > (policy.maxAssertionAgeSeconds + policy.clockSkewSeconds) * 1000) {
    return fault('wsse:MessageExpired', `assertion: issued more than ${Math.round(policy.maxAssertionAgeSeconds / 60)} minutes ago (IssueInstant), whatever its NotOnOrAfter: issue a new one`);
  }
  const attributes = readAttributes(assertion);
  if (!attributes.ok) return attributes;

  const statement = childrenNamed(assertion, NS.saml2, 'AuthnStatement')[0];
  const locality = statement && childrenNamed(statement, NS.saml2, 'SubjectLocality')[0];
  const classRef = statement && childrenNamed(statement, NS.saml2, 'AuthnContext').flatMap((c) => childrenNamed(c, NS.saml2, 'AuthnContextClassRef'))[0];
  const address = locality && attribute(locality, 'Address');
  const dnsName = locality && attribute(locality, 'DNSName');

  return {
    ok: true,
    assertion: {
      id,
      ...header.header,
      ...times.times,
      ...(classRef ? { authnContextClassRef: textOf(classRef).trim() } : {}),
      ...(locality ? { subjectLocality: { ...(address ? { address } : {}), ...(dnsName ? { dnsName } : {}) } } : {}),
      ...attributes.attributes,
      signature: {
        signatureAlgorithm: parts.signatureAlgorithm,
        digestAlgorithm: parts.digestAlgorithm,
        signatureValueSha256: createHash('sha256').update(parts.signatureValue).digest('hex'),
        certificate: trust.certificate,
        chain: trust.chain,
      },
    },
  };
}

/** xs:NCName, as an XML ID and a bare-name XPointer must be. */
const NCNAME = /^[\p{L}_][\p{L}\p{N}_.\-\u00b7\u0300-\u036f\u203f\u2040]*$/u;
const HOLDER_OF_KEY = 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key';
const NAME_ID_FORMATS = {
  x509: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
} as const;
const UNDERSTOOD_CONDITIONS: ReadonlySet<string> = new Set(['AudienceRestriction', 'OneTimeUse', 'ProxyRestriction']);


/** A holder-of-key confirmation must name the signing key, and only it. */
function checkHolderOfKey(assertion: DomElement, signing: { readonly der: Buffer; readonly key: KeyObject }): Checked {
  const subject = childrenNamed(assertion, NS.saml2, 'Subject')[0];
  for (const confirmation of subject ? childrenNamed(subject, NS.saml2, 'SubjectConfirmation') : []) {
    if (attribute(confirmation, 'Method') !== HOLDER_OF_KEY) continue;
    const keyInfos = childrenNamed(confirmation, NS.saml2, 'SubjectConfirmationData').flatMap((d) => childrenNamed(d, NS.ds, 'KeyInfo'));
    if (keyInfos.length === 0) return fault('wsse:FailedAuthentication', 'holder-of-key: the confirmation names no key');
    for (const keyInfo of keyInfos) {
      const confirmed = confirmsSigningKey(keyInfo, signing);
      if (!confirmed.ok) return confirmed;
    }
  }
  return { ok: true };
}

/** Every AudienceRestriction names one of our endpoints; a condition we do not understand makes the assertion invalid (SAML core §2.5.1). */
function checkConditions(conditions: DomElement, audiences: readonly string[]): Checked {
  for (const condition of elementChildren(conditions)) {
    if (condition.namespaceURI !== NS.saml2 || !UNDERSTOOD_CONDITIONS.has(condition.localName ?? '')) {
      return fault('wsse:InvalidSecurityToken', 'conditions: a condition that is not understood');
    }
    if (condition.localName !== 'AudienceRestriction') continue;
    const named = childrenNamed(condition, NS.saml2, 'Audience').map((a) => textOf(a).trim());
    if (!named.some((a) => audiences.includes(a))) return fault('wsse:FailedAuthentication', 'audience: the assertion is not addressed to this endpoint');
  }
  return { ok: true };
}

type Times = Pick<VerifiedAssertion, 'notBefore' | 'notOnOrAfter' | 'timestamp'>;

/** NotBefore − skew ≤ now < NotOnOrAfter + skew, and the same for wsu:Created and wsu:Expires when present. */
function checkTimes(conditions: DomElement, timestamp: DomElement | undefined, skew: number, now: Date): { readonly ok: true; readonly times: Times } | ReturnType<typeof fault> {
  const notBefore = time(attribute(conditions, 'NotBefore'));
  const notOnOrAfter = time(attribute(conditions, 'NotOnOrAfter'));
  if (notBefore === null || !notOnOrAfter) return fault('wsse:InvalidSecurityToken', 'conditions: NotOnOrAfter is required and times must be xs:dateTime with a zone');
  if (notBefore && now.getTime() < notBefore.getTime() - skew) return fault('wsse:MessageExpired', 'conditions: the assertion is not yet valid (NotBefore)');
  if (now.getTime() >= notOnOrAfter.getTime() + skew) return fault('wsse:MessageExpired', 'conditions: the assertion has expired (NotOnOrAfter)');
  const times: Times = { ...(notBefore ? { notBefore: notBefore.toISOString() } : {}), notOnOrAfter: notOnOrAfter.toISOString() };
  if (!timestamp) return { ok: true, times };

  const created = optionalChildTime(timestamp, 'Created');
  const expires = optionalChildTime(timestamp, 'Expires');
  if (created === null || expires === null) return fault('wsse:InvalidSecurity', 'timestamp: Created and Expires must be one xs:dateTime with a zone');
  if (created && now.getTime() < created.getTime() - skew) return fault('wsse:MessageExpired', 'timestamp: Created is in the future');
  if (expires && now.getTime() >= expires.getTime() + skew) return fault('wsse:MessageExpired', 'timestamp: the message has expired (Expires)');
  return { ok: true, times: { ...times, timestamp: { ...(created ? { created: created.toISOString() } : {}), ...(expires ? { expires: expires.toISOString() } : {}) } } };
}

type Header = Pick<VerifiedAssertion, 'issueInstant' | 'issuer' | 'issuerFormat' | 'nameId' | 'nameIdFormat'>;

/** Version, IssueInstant, Issuer and NameID (§5.1 item 7, after CONNECT's validator). */
function readHeader(assertion: DomElement): { readonly ok: true; readonly header: Header } | ReturnType<typeof fault> {
  const token = (reason: string) => fault('wsse:InvalidSecurityToken', reason);
  if (attribute(assertion, 'Version') !== '2.0') return token('assertion: Version must be 2.0');
  const issueInstant = time(attribute(assertion, 'IssueInstant'));
  if (!issueInstant) return token('assertion: IssueInstant must be an xs:dateTime with a zone');

  const issuers = childrenNamed(assertion, NS.saml2, 'Issuer');
  const issuerValue = issuers.length === 1 ? textOf(issuers[0]!).trim() : '';
  if (!issuerValue) return token('issuer: exactly one non-blank Issuer is required');
  const issuerFormat = attribute(issuers[0]!, 'Format');
  if (issuerFormat !== undefined && !formatted(issuerFormat.trim(), issuerValue, true)) return token('issuer: the Format is blank or the value does not fit it');

  const subjects = childrenNamed(assertion, NS.saml2, 'Subject');
  const nameIds = subjects.length === 1 ? childrenNamed(subjects[0]!, NS.saml2, 'NameID') : [];
  if (nameIds.length !== 1) return token('nameid: exactly one Subject with one NameID is required');
  const nameIdValue = textOf(nameIds[0]!).trim();
  const nameIdFormat = (attribute(nameIds[0]!, 'Format') ?? '').trim();
  if (!formatted(nameIdFormat, nameIdValue, false)) return token('nameid: the Format must be X509SubjectName or emailAddress, with a value that fits');

  return {
    ok: true,
    header: {
      issueInstant: issueInstant.toISOString(),
      issuer: issuerValue,
      ...(issuerFormat !== undefined ? { issuerFormat: issuerFormat.trim() } : {}),
      nameId: nameIdValue,
      nameIdFormat,
    },
  };
}

/** A value fits its format: a distinguished name, an e-mail address, or (when other formats are allowed) anything non-blank. */
function formatted(format: string, value: string, otherFormats: boolean): boolean {
  if (format === NAME_ID_FORMATS.x509) return isDistinguishedName(value);
  if (format === NAME_ID_FORMATS.email) return /^[^\s@]+@[^\s@]+$/.test(value);
  return otherFormats && format !== '' && value !== '';
}

/** RFC 4514 in outline: RDNs of type=value, separated by unescaped commas (or semicolons, or plus for multi-valued). */
function isDistinguishedName(value: string): boolean {
  return value.split(/(?<!\\)[,;+]/).every((rdn) => /^\s*(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)\s*=\s*\S/.test(rdn));
}

const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:Z|[+-]\d{2}:\d{2})$/;

/** xs:dateTime with a zone: undefined when absent, null when present but not one (a local time is ambiguous). */
function time(value: string | undefined): Date | undefined | null {
  if (value === undefined) return undefined;
  const text = value.trim();
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  // Date parses milliseconds at most.
  const ms = Date.parse(match[1] && match[1].length > 3 ? text.replace(`.${match[1]}`, `.${match[1].slice(0, 3)}`) : text);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function optionalChildTime(parent: DomElement, name: string): Date | undefined | null {
  const found = childrenNamed(parent, NS.wsu, name);
  if (found.length === 0) return undefined;
  return found.length === 1 ? time(textOf(found[0]!)) ?? null : null;
}
