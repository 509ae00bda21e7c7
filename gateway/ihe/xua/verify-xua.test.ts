import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { matchPurpose } from '../../../profiles/purposes.js';
import { selfSigned, testCa } from '../../../test/support/certificates.js';
import {
  DEFAULT_ROLE, DEFAULTS, issueSigner, NHIN_PURPOSE_SYSTEM, samlPki, signedEnvelope, signXml, TEST_AUDIENCE, TREATMENT, unsignedAssertion,
  type EnvelopeOptions,
} from '../../../test/support/saml.js';
import { verifyXua, type XuaFaultSubcode, type XuaPolicy, type XuaResult } from './index.js';

/**
 * verifyXua on whole SOAP requests: the claims of valid assertions in every variant peers send, and for each check
 * of ihe-xca-xcpd.md §5.1 items 2–8 a message that fails it, with the exact fault. Wrapping attacks have their own
 * battery (wrapping.test.ts).
 */
const now = new Date();
const pki = samlPki();
const policy: XuaPolicy = { trustAnchors: pki.trustAnchors, audiences: [TEST_AUDIENCE], clockSkewSeconds: 60, maxAssertionAgeSeconds: 3600, allowSha1: false };
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
const years = (n: number) => new Date(now.getTime() + n * 365 * 86_400_000);

const verify = (o: EnvelopeOptions = {}, p: Partial<XuaPolicy> = {}) => verifyXua(signedEnvelope({ now, ...o }), { ...policy, ...p }, now);
/** An envelope around an assertion changed before signing, for what the options do not offer. */
const withAssertion = (edit: (xml: string) => string, o: EnvelopeOptions = {}) => signedEnvelope({ now, ...o, assertion: signXml(edit(unsignedAssertion({ now, ...o })), o) });
const check = (envelope: string) => verifyXua(envelope, policy, now);

function claims(result: XuaResult) {
  if (!result.ok) throw new Error(`expected a verified assertion, got ${result.fault.subcode}: ${result.fault.reason}`);
  return result.assertion;
}

function expectFault(result: XuaResult, subcode: XuaFaultSubcode, reason: string): void {
  expect(result.ok ? { ok: true } : result.fault).toEqual({ subcode, reason: expect.stringContaining(reason) });
}

const fingerprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

describe('valid assertions: the claims', () => {
  it('returns every claim of the default request, the signing certificate and its chain', () => {
    const envelope = signedEnvelope({ now, id: '_a1', resourceId: "9999000011^^^&2.16.840.1.113883.3.9999.2&ISO", acp: ['urn:oid:1.2.3.4'], bppcDocIds: ['urn:oid:1.2.3.5', 'urn:oid:1.2.3.6'], queryAuthGrantor: 'Organization/2.16.840.1.113883.3.1' });
    const a = claims(verifyXua(envelope, policy, now));
    const signatureValue = /<ds:SignatureValue>([^<]+)</.exec(envelope)![1]!;
    expect(a).toEqual({
      id: '_a1',
      issueInstant: now.toISOString(),
      issuer: DEFAULTS.issuer,
      issuerFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
      nameId: DEFAULTS.nameId,
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
      notBefore: minutes(-1).toISOString(),
      notOnOrAfter: minutes(5).toISOString(),
      authnContextClassRef: DEFAULTS.authnContextClassRef,
      subjectLocality: { address: DEFAULTS.subjectLocality.address, dnsName: DEFAULTS.subjectLocality.dnsName },
      subjectId: DEFAULTS.subjectId,
      organization: DEFAULTS.organization,
      organizationId: DEFAULTS.organizationId,
      homeCommunityId: DEFAULTS.homeCommunityId,
      role: DEFAULT_ROLE,
      purposes: [{ system: NHIN_PURPOSE_SYSTEM, code: 'TREATMENT' }],
      npi: DEFAULTS.npi,
      resourceId: "9999000011^^^&2.16.840.1.113883.3.9999.2&ISO",
      acp: ['urn:oid:1.2.3.4'],
      bppcDocIds: ['urn:oid:1.2.3.5', 'urn:oid:1.2.3.6'],
      queryAuthGrantor: 'Organization/2.16.840.1.113883.3.1',
      signature: {
        signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        signatureValueSha256: createHash('sha256').update(Buffer.from(signatureValue, 'base64')).digest('hex'),
        certificate: expect.objectContaining({ sha256Fingerprint: fingerprint(pki.signer.certPem), subject: 'CN=saml-signer.partner.test', issuer: 'CN=Crossgate Test Issuing CA' }),
        chain: [
          expect.objectContaining({ sha256Fingerprint: fingerprint(pki.signer.certPem) }),
          expect.objectContaining({ sha256Fingerprint: fingerprint(pki.issuing.certPem), subject: 'CN=Crossgate Test Issuing CA', issuer: 'CN=Crossgate Test Root CA' }),
          expect.objectContaining({ sha256Fingerprint: fingerprint(pki.root.certPem), subject: 'CN=Crossgate Test Root CA' }),
        ],
      },
      timestamp: { created: now.toISOString(), expires: minutes(5).toISOString() },
    });
    expect(new X509Certificate(a.signature.certificate.pem).fingerprint256).toBe(new X509Certificate(pki.signer.certPem).fingerprint256);
    expect(a.signature.certificate.notAfter).toBe(new Date(new X509Certificate(pki.signer.certPem).validTo).toISOString());
    expect(matchPurpose(a.purposes)).toMatchObject({ outcome: 'matched', purpose: 'Treatment' });
  });

  it('reads the legacy hl7:PurposeForUse element as a purpose', () => {
    expect(claims(verify({ purposeElement: 'PurposeForUse' })).purposes).toEqual([{ system: NHIN_PURPOSE_SYSTEM, code: 'TREATMENT' }]);
  });

  it('returns every purpose sent, for the caller to match (two purposes are ambiguous there, not here)', () => {
    const a = claims(verify({ purposes: [TREATMENT, { code: 'PAYMENT', codeSystem: NHIN_PURPOSE_SYSTEM }] }));
    expect(a.purposes).toEqual([{ system: NHIN_PURPOSE_SYSTEM, code: 'TREATMENT' }, { system: NHIN_PURPOSE_SYSTEM, code: 'PAYMENT' }]);
    expect(matchPurpose(a.purposes).outcome).toBe('ambiguous');
  });

  it('keeps a purpose sent as plain text, without a system, so the caller denies it as unknown', () => {
    const a = claims(verify({
      purposes: null,
      extra: '<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"><saml2:AttributeValue>TREATMENT</saml2:AttributeValue></saml2:Attribute>',
    }));
    expect(a.purposes).toEqual([{ code: 'TREATMENT' }]);
    expect(matchPurpose(a.purposes).outcome).toBe('unknown');
  });

  it.each<['uri' | 'basic' | 'none']>([['uri'], ['basic'], ['none']])('matches attributes on Name alone (NameFormat %s)', (nameFormat) => {
    const a = claims(verify({ nameFormat }));
    expect([a.subjectId, a.organization, a.organizationId, a.homeCommunityId, a.role.code]).toEqual([DEFAULTS.subjectId, DEFAULTS.organization, DEFAULTS.organizationId, DEFAULTS.homeCommunityId, DEFAULT_ROLE.code]);
  });

  it('reads both subject-id names and both homeCommunityId names, normalising a bare OID to urn:oid:', () => {
    const a = claims(verify({ subjectIdName: 'xacml', homeCommunityIdName: 'ihe', homeCommunityId: '2.16.840.1.113883.3.7' }));
    expect([a.subjectId, a.homeCommunityId]).toEqual([DEFAULTS.subjectId, 'urn:oid:2.16.840.1.113883.3.7']);
  });

  it('accepts the same value under both names of an attribute', () => {
    const a = claims(verify({ extra: '<saml2:Attribute Name="urn:ihe:iti:xca:2010:homeCommunityId"><saml2:AttributeValue>2.16.840.1.113883.3.9999.1</saml2:AttributeValue></saml2:Attribute>' }));
    expect(a.homeCommunityId).toBe(DEFAULTS.homeCommunityId);
  });

  it.each<[string, EnvelopeOptions]>([
    ['default namespaces everywhere', { prefixes: { soap: '', wsse: '', saml: '', ds: '', hl7: '' }, hl7DeclaredOn: 'value' }],
    ['WCF-style and unusual prefixes', { prefixes: { soap: 's', wsse: 'o', wsu: 'u', saml: 'saml', ds: 'dsig', hl7: 'v3' } }],
    ['HL7 namespace declared on each value', { hl7DeclaredOn: 'value' }],
    ['InclusiveNamespaces in both canonicalizations', { inclusivePrefixes: ['xs', 'xsi'] }],
    ['holder-of-key with the bare key value', { confirmation: 'key-value' }],
    ['sender-vouches confirmation', { confirmation: 'sender-vouches' }],
    ['no wsu:Timestamp', { timestamp: null }],
    ['no AudienceRestriction', { audience: null }],
    ['no NotBefore', { notBefore: null }],
    ['an e-mail NameID', { nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameId: 'alice@hospital.example' }],
    ['an entity Issuer', { issuerFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity', issuer: 'https://partner.example/idp' }],
    ['an Issuer without Format', { issuerFormat: null }],
  ])('verifies with %s', (_, options) => {
    const a = claims(verify(options));
    expect([a.subjectId, a.role.code, a.purposes]).toEqual([DEFAULTS.subjectId, DEFAULT_ROLE.code, [{ system: NHIN_PURPOSE_SYSTEM, code: 'TREATMENT' }]]);
  });

  it('reads a message that begins with a byte order mark', () => {
    expect(verifyXua(`\ufeff${signedEnvelope({ now })}`, policy, now).ok).toBe(true);
  });

  it('takes U+FFFD for the character it is, not an encoding error', () => {
    expect(claims(verify({ organization: 'Ziekenhuis \ufffd Noord' })).organization).toBe('Ziekenhuis \ufffd Noord');
  });

  it('reads text around comments and CDATA as one value, as it was signed', () => {
    const a = claims(verify({
      subjectId: null,
      extra: '<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:subject-id"><saml2:AttributeValue>Dr. <![CDATA[A&B]]> Smith<!-- c --> Jr.</saml2:AttributeValue></saml2:Attribute>',
    }));
    expect(a.subjectId).toBe('Dr. A&B Smith Jr.');
  });

  it('accepts SHA-1 only for a partner allowed it', () => {
    const a = claims(verify({ sha1: true }, { allowSha1: true }));
    expect([a.signature.signatureAlgorithm, a.signature.digestAlgorithm]).toEqual(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']);
    expectFault(verify({ sha1: true }), 'wsse:InvalidSecurity', 'signature algorithm not allowed');
  });

  it('allows the clock skew on either side', () => {
    expect(verify({ notBefore: new Date(now.getTime() + 50_000) }).ok).toBe(true);
    expect(verify({ notOnOrAfter: new Date(now.getTime() - 50_000) }).ok).toBe(true);
    expect(verify({ timestamp: { created: new Date(now.getTime() + 50_000), expires: new Date(now.getTime() - 50_000) } }).ok).toBe(true);
  });
});

describe('faults', () => {
  const envelope = signedEnvelope({ now });

  it.each<[string, string, string]>([
    ['not well-formed XML', envelope.replace('</soap:Body>', ''), 'not well-formed'],
    ['a DOCTYPE', envelope.replace('<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE x [<!ENTITY e "e">]>'), 'DOCTYPE'],
    ['more than the size limit', envelope.replace('</soap:Body>', `<x>${'a'.repeat(5 * 1024 * 1024)}</x></soap:Body>`), 'larger than the limit'],
    ['elements nested too deep', envelope.replace('</soap:Body>', `${'<d>'.repeat(70)}${'</d>'.repeat(70)}</soap:Body>`), 'deeper than the limit'],
    ['a character XML forbids, by reference', envelope.replace('</soap:Body>', '<x>&#0;</x></soap:Body>'), 'character XML does not allow'],
    ['a character XML forbids, by reference in an attribute', envelope.replace('</soap:Body>', '<x a="&#x1;"/></soap:Body>'), 'character XML does not allow'],
    ['a character XML forbids, written out', envelope.replace('</soap:Body>', '<x>\u0001</x></soap:Body>'), 'character XML does not allow'],
    ['a prefix undeclared', envelope.replace('</soap:Body>', '<x xmlns:p=""/></soap:Body>'), 'namespace declaration'],
    ['a SOAP 1.1 envelope', envelope.replaceAll('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'), 'not a SOAP 1.2 Envelope'],
    ['no wsse:Security', envelope.replace(/<wsse:Security[\s\S]*<\/wsse:Security>/, ''), 'exactly one wsse:Security'],
    ['two wsse:Security headers', envelope.replace('<wsa:MessageID>', '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/><wsa:MessageID>'), 'exactly one wsse:Security'],
    ['no assertion', envelope.replace(/<saml2:Assertion[\s\S]*<\/saml2:Assertion>/, ''), 'exactly one saml2:Assertion directly under wsse:Security'],
    ['two wsu:Timestamps', envelope.replace('<wsu:Timestamp', '<wsu:Timestamp/><wsu:Timestamp'), 'more than one wsu:Timestamp'],
  ])('%s: wsse:InvalidSecurity', (_, text, reason) => {
    expectFault(verifyXua(text, policy, now), 'wsse:InvalidSecurity', reason);
  });

  it.each<[string, string, XuaFaultSubcode, string]>([
    ['no ID on the assertion', withAssertion((x) => x.replace(/ ID="[^"]+"/, '')), 'wsse:InvalidSecurity', 'ID attribute is missing'],
    ['a SignedInfo canonicalization with comments', signedEnvelope({ now }).replace('<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"', '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"'), 'wsse:InvalidSecurity', 'canonicalization method not allowed'],
    ['a digest algorithm we do not take', signedEnvelope({ now }).replace('http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512'), 'wsse:InvalidSecurity', 'digest algorithm not allowed'],
    ['a changed attribute after signing', signedEnvelope({ now }).replace('>Example Hospital<', '>Other Hospital<'), 'wsse:FailedCheck', 'digest of the assertion does not match'],
    ['a changed SignatureValue', signedEnvelope({ now }).replace(/<ds:SignatureValue>(.)/, (_, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`), 'wsse:FailedCheck', 'signature value does not verify'],
    ['a changed SignedInfo', signedEnvelope({ now }).replace('<ds:SignedInfo>', '<ds:SignedInfo Id="x">'), 'wsse:FailedCheck', 'signature value does not verify'],
  ])('%s', (_, text, subcode, reason) => {
    expectFault(verifyXua(text, policy, now), subcode, reason);
  });

  it('refuses an assertion that has expired or is not yet valid: wsse:MessageExpired', () => {
    expectFault(verify({ notOnOrAfter: minutes(-2) }), 'wsse:MessageExpired', 'expired (NotOnOrAfter)');
    expectFault(verify({ notBefore: minutes(2) }), 'wsse:MessageExpired', 'not yet valid (NotBefore)');
    expectFault(verify({ timestamp: { created: minutes(-10), expires: minutes(-2) } }), 'wsse:MessageExpired', 'expired (Expires)');
    expectFault(verify({ timestamp: { created: minutes(2), expires: minutes(7) } }), 'wsse:MessageExpired', 'Created is in the future');
    expectFault(verify({ notOnOrAfter: null }), 'wsse:InvalidSecurityToken', 'NotOnOrAfter is required');
    expectFault(check(withAssertion((x) => x.replace(/NotOnOrAfter="[^"]+"/, 'NotOnOrAfter="2030-01-01T00:00:00"'))), 'wsse:InvalidSecurityToken', 'xs:dateTime with a zone');
  });

  it('refuses an assertion issued longer ago than the policy takes, however far off its NotOnOrAfter', () => {
    const issuedAgo = (m: number) => verifyXua(signedEnvelope({ now: minutes(-m), notOnOrAfter: minutes(10 * 365 * 24 * 60), timestamp: null }), policy, now);
    expect(issuedAgo(30).ok).toBe(true);
    expectFault(issuedAgo(62), 'wsse:MessageExpired', 'issued more than 60 minutes ago');
    // Within the clock skew of the limit it is still taken.
    expect(issuedAgo(60.5).ok).toBe(true);
  });

  it('refuses an assertion addressed elsewhere, or with a condition it does not understand', () => {
    expectFault(verify({ audience: 'https://other.example/xca' }), 'wsse:FailedAuthentication', 'not addressed to this endpoint');
    expectFault(check(withAssertion((x) => x.replace(/(<saml2:Conditions[^>]*>)/, '$1<saml2:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:Other"/>'))), 'wsse:InvalidSecurityToken', 'not understood');
  });

  it('refuses signing certificates the trust bundle does not vouch for: wsse:FailedAuthentication', () => {
    // A CA of the same name as the trusted issuing CA, the signer's own key certified by it.
    const impostor = testCa('Crossgate Test Issuing CA');
    expectFault(verify({ signer: impostor.issue('saml-signer.partner.test', 'signing', { sameKeyAs: pki.signer }) }), 'wsse:FailedAuthentication', 'untrusted');
    expectFault(verify({ signer: selfSigned('saml-signer.partner.test', 'signing', { sameKeyAs: pki.signer }) }), 'wsse:FailedAuthentication', 'self-signed');
    expectFault(verify({ signer: issueSigner({ sameKeyAs: pki.signer, notBefore: years(-2), notAfter: years(-1) }) }), 'wsse:FailedAuthentication', 'has expired');
    expectFault(verify({ signer: issueSigner({ sameKeyAs: pki.signer, notBefore: years(1), notAfter: years(2) }) }), 'wsse:FailedAuthentication', 'not yet valid');
    expectFault(verify({ keyInfo: 'key-value' }), 'wsse:FailedAuthentication', 'bare key value');
    expectFault(verify({}, { trustAnchors: [pki.root.certPem] }), 'wsse:FailedAuthentication', 'untrusted');
  });

  it('takes the issuing CA alone as a trust anchor', () => {
    expect(verify({}, { trustAnchors: [pki.issuing.certPem] }).ok).toBe(true);
  });

  it('refuses a signing key shorter than 2048 bits: wsse:InvalidSecurityToken', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const short = issueSigner({ sameKeyAs: { certPem: '', keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() } });
    expectFault(verify({ signer: short, confirmation: 'sender-vouches' }), 'wsse:InvalidSecurityToken', 'at least 2048 bits');
  });

  it('refuses a holder-of-key confirmation naming another key', () => {
    expectFault(verify({ confirmation: { certPem: pki.root.certPem } }), 'wsse:FailedAuthentication', 'not the signing key');
    expectFault(check(withAssertion((x) => x.replace(/<ds:KeyInfo [^>]*>[\s\S]*?<\/ds:KeyInfo>/, ''))), 'wsse:FailedAuthentication', 'names no key');
  });

  it.each<[string, EnvelopeOptions, string]>([
    ['purpose of use', { purposes: null }, 'purpose of use is missing'],
    ['purpose of use without a value', { purposes: [] }, 'purpose of use is missing'],
    ['role', { role: null }, 'role is missing'],
    ['subject-id', { subjectId: null }, 'subject-id is missing'],
    ['organization', { organization: null }, 'organization is missing'],
    ['organization-id', { organizationId: null }, 'organization-id is missing'],
    ['homeCommunityId', { homeCommunityId: null }, 'homeCommunityId is missing'],
  ])('refuses an assertion without %s, never defaulting it: wsse:InvalidSecurity', (_, options, reason) => {
    expectFault(verify(options), 'wsse:InvalidSecurity', reason);
  });

  it('refuses two different values where one is meant, and a home community that is no OID', () => {
    expectFault(verify({ extra: '<saml2:Attribute Name="urn:ihe:iti:xca:2010:homeCommunityId"><saml2:AttributeValue>urn:oid:1.2.3</saml2:AttributeValue></saml2:Attribute>' }), 'wsse:InvalidSecurity', 'homeCommunityId has more than one value');
    expectFault(verify({ extra: `<saml2:Attribute Name="urn:oasis:names:tc:xacml:2.0:subject:role"><saml2:AttributeValue><hl7:Role code="309343006" codeSystem="${DEFAULT_ROLE.codeSystem}"/></saml2:AttributeValue></saml2:Attribute>` }), 'wsse:InvalidSecurity', 'role has more than one value');
    expectFault(verify({ homeCommunityId: 'urn:oid:not-an-oid' }), 'wsse:InvalidSecurity', 'homeCommunityId is not an OID');
  });

  it('refuses a blank Issuer, a NameID of another format or one that does not fit it, and a Version other than 2.0', () => {
    expectFault(verify({ issuer: '  ' }), 'wsse:InvalidSecurityToken', 'issuer');
    expectFault(verify({ issuerFormat: '' }), 'wsse:InvalidSecurityToken', 'issuer');
    expectFault(verify({ nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' }), 'wsse:InvalidSecurityToken', 'nameid');
    expectFault(verify({ nameId: 'Dr. Alice Example' }), 'wsse:InvalidSecurityToken', 'nameid');
    expectFault(verify({ nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameId: 'alice' }), 'wsse:InvalidSecurityToken', 'nameid');
    expectFault(check(withAssertion((x) => x.replace('Version="2.0"', 'Version="2.1"'))), 'wsse:InvalidSecurityToken', 'Version must be 2.0');
  });
});
