import { randomUUID, X509Certificate } from 'node:crypto';
import { DOMParser, type Document } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { ALGORITHMS } from '../../gateway/ihe/xua/check-signature.js';
import { testCa, type CertificateOptions, type Issued, type TestCa } from './certificates.js';

/**
 * Signed XUA requests for tests and benchmarks: a SOAP 1.2 envelope with WS-Addressing headers, a wsse:Security
 * header holding a wsu:Timestamp and a SAML 2.0 assertion signed by xml-crypto's SignedXml (the reference signer,
 * not our code), and any Body. Every part of the assertion is an option, so a test states only what it varies:
 * attribute values and their absence, NameFormat, the legacy PurposeForUse element, prefixes (or default
 * namespaces) for every namespace, where the HL7 namespace is declared, validity, audience, holder-of-key, the
 * key info, SHA-1, an InclusiveNamespaces list.
 */
export const SAML_NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  hl7: 'urn:hl7-org:v3',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xs: 'http://www.w3.org/2001/XMLSchema',
} as const;

export const TEST_AUDIENCE = 'https://crossgate.test/ihe/xca/iti38';
export const NHIN_PURPOSE_SYSTEM = '2.16.840.1.113883.3.18.7.1';
export const SNOMED_SYSTEM = '2.16.840.1.113883.6.96';
const X509_SUBJECT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName';
const NAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const NAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';

export interface Ce {
  readonly code: string;
  readonly codeSystem: string;
  readonly codeSystemName?: string;
  readonly displayName?: string;
}

/** A test PKI for SAML signing: root → issuing CA → signer. The trust anchors are the root and the issuing CA. */
export interface SamlPki {
  readonly root: TestCa;
  readonly issuing: TestCa;
  readonly signer: Issued;
  readonly trustAnchors: readonly string[];
}

let pki: SamlPki | undefined;

/** One PKI per test file (module registry), made on first use: RSA key generation is the slow part of these tests. */
export function samlPki(): SamlPki {
  if (!pki) {
    const root = testCa('Crossgate Test Root CA');
    const issuing = root.intermediate('Crossgate Test Issuing CA');
    const signer = issuing.issue('saml-signer.partner.test', 'signing');
    pki = { root, issuing, signer, trustAnchors: [root.certPem, issuing.certPem] };
  }
  return pki;
}

/** A further signing certificate from the test issuing CA (expired, not yet valid, renewed…). */
export function issueSigner(options: CertificateOptions = {}): Issued {
  return samlPki().issuing.issue('saml-signer.partner.test', 'signing', options);
}

export interface Prefixes {
  /** '' puts the namespace in a default declaration on the elements of that namespace. */
  readonly soap?: string;
  readonly wsse?: string;
  /** Never '': wsu:Id needs a prefix. */
  readonly wsu?: string;
  readonly saml?: string;
  readonly ds?: string;
  readonly hl7?: string;
}

export interface AttributeOptions {
  /** null leaves the attribute out. */
  readonly subjectId?: string | null;
  readonly subjectIdName?: 'xspa' | 'xacml';
  readonly organization?: string | null;
  readonly organizationId?: string | null;
  readonly homeCommunityId?: string | null;
  readonly homeCommunityIdName?: 'nhin' | 'ihe';
  readonly role?: Ce | null;
  /** null leaves the purpose attribute out; [] sends it without a value. */
  readonly purposes?: readonly Ce[] | null;
  readonly purposeElement?: 'PurposeOfUse' | 'PurposeForUse';
  readonly npi?: string;
  readonly resourceId?: string;
  readonly acp?: readonly string[];
  readonly bppcDocIds?: readonly string[];
  readonly queryAuthGrantor?: string;
  /** 'uri' and 'basic' as eHealth Exchange endpoints differ; 'none' leaves NameFormat off. */
  readonly nameFormat?: 'uri' | 'basic' | 'none';
  /** Where xmlns:hl7 (and xsi) are declared: on the Assertion, or on each value element. */
  readonly hl7DeclaredOn?: 'assertion' | 'value';
  /** Raw saml2:Attribute elements added to the statement. */
  readonly extra?: string;
}

export interface AssertionOptions extends AttributeOptions {
  readonly now?: Date;
  readonly id?: string;
  readonly issuer?: string;
  /** null leaves Format off. */
  readonly issuerFormat?: string | null;
  readonly nameId?: string;
  readonly nameIdFormat?: string;
  /** null leaves the attribute out. */
  readonly notBefore?: Date | null;
  readonly notOnOrAfter?: Date | null;
  /** null leaves the AudienceRestriction out. */
  readonly audience?: string | null;
  readonly authnContextClassRef?: string;
  readonly subjectLocality?: { readonly address: string; readonly dnsName: string };
  /** The SubjectConfirmation: holder-of-key with the signer's certificate (default), its bare key value, a given certificate, or sender-vouches. */
  readonly confirmation?: 'certificate' | 'key-value' | 'sender-vouches' | { readonly certPem: string };
  readonly prefixes?: Prefixes;
  /** Signer of the assertion; the PKI's signer by default. */
  readonly signer?: Issued;
  /** What ds:KeyInfo carries. */
  readonly keyInfo?: 'certificate' | 'key-value';
  readonly sha1?: boolean;
  /** InclusiveNamespaces PrefixList for both canonicalizations. */
  readonly inclusivePrefixes?: readonly string[];
}

export interface EnvelopeOptions extends AssertionOptions {
  /** The Body's content, XML text. */
  readonly body?: string;
  readonly action?: string;
  readonly messageId?: string;
  readonly to?: string;
  /** null leaves wsu:Timestamp out. */
  readonly timestamp?: { readonly created: Date; readonly expires: Date } | null;
  /** A signed assertion to put in the header instead of signing one. */
  readonly assertion?: string;
}

export const DEFAULT_ROLE: Ce = { code: '112247003', codeSystem: SNOMED_SYSTEM, codeSystemName: 'SNOMED_CT', displayName: 'Medical doctor' };
export const TREATMENT: Ce = { code: 'TREATMENT', codeSystem: NHIN_PURPOSE_SYSTEM, codeSystemName: 'nhin-purpose', displayName: 'Treatment' };

export const DEFAULTS = {
  issuer: 'CN=saml-signer.partner.test,O=Partner Gateway,C=US',
  nameId: 'CN=Dr. Alice Example,O=Example Hospital,C=US',
  subjectId: 'Dr. Alice Example',
  organization: 'Example Hospital',
  organizationId: 'urn:oid:2.16.840.1.113883.3.9999',
  homeCommunityId: 'urn:oid:2.16.840.1.113883.3.9999.1',
  npi: '1234567893',
  authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
  subjectLocality: { address: '203.0.113.10', dnsName: 'gateway.partner.test' },
} as const;

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (d: Date) => d.toISOString();
const q = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}:${name}`);
const xmlns = (prefix: string, uri: string) => (prefix === '' ? `xmlns="${uri}"` : `xmlns:${prefix}="${uri}"`);
const base64Body = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');

function rsaKeyValue(certPem: string, ds: string): string {
  const jwk = new X509Certificate(certPem).publicKey.export({ format: 'jwk' });
  const b64 = (v: string | undefined) => Buffer.from(v ?? '', 'base64url').toString('base64');
  return `<${q(ds, 'KeyValue')}><${q(ds, 'RSAKeyValue')}><${q(ds, 'Modulus')}>${b64(jwk.n)}</${q(ds, 'Modulus')}><${q(ds, 'Exponent')}>${b64(jwk.e)}</${q(ds, 'Exponent')}></${q(ds, 'RSAKeyValue')}></${q(ds, 'KeyValue')}>`;
}

function attributesXml(o: AttributeOptions, saml: string, hl7: string): string {
  const nameFormat = o.nameFormat ?? 'uri';
  const formatAttr = nameFormat === 'none' ? '' : ` NameFormat="${nameFormat === 'uri' ? NAME_FORMAT_URI : NAME_FORMAT_BASIC}"`;
  const hl7Decl = o.hl7DeclaredOn === 'value' ? ` ${xmlns(hl7, SAML_NS.hl7)} xmlns:xsi="${SAML_NS.xsi}"` : '';
  const attr = (name: string, values: readonly string[]) =>
    `<${q(saml, 'Attribute')} Name="${esc(name)}"${formatAttr}>${values.map((v) => `<${q(saml, 'AttributeValue')}>${v}</${q(saml, 'AttributeValue')}>`).join('')}</${q(saml, 'Attribute')}>`;
  const text = (name: string, value: string | null | undefined) => (value === null || value === undefined ? '' : attr(name, [esc(value)]));
  const ce = (element: string, c: Ce) =>
    `<${q(hl7, element)}${hl7Decl} xsi:type="${q(hl7, 'CE')}" code="${esc(c.code)}" codeSystem="${esc(c.codeSystem)}"`
    + `${c.codeSystemName ? ` codeSystemName="${esc(c.codeSystemName)}"` : ''}${c.displayName ? ` displayName="${esc(c.displayName)}"` : ''}/>`;

  const subjectIdName = o.subjectIdName === 'xacml' ? 'urn:oasis:names:tc:xacml:1.0:subject:subject-id' : 'urn:oasis:names:tc:xspa:1.0:subject:subject-id';
  const hcidName = o.homeCommunityIdName === 'ihe' ? 'urn:ihe:iti:xca:2010:homeCommunityId' : 'urn:nhin:names:saml:homeCommunityId';
  const role = o.role === undefined ? DEFAULT_ROLE : o.role;
  const purposes = o.purposes === undefined ? [TREATMENT] : o.purposes;
  return [
    text(subjectIdName, o.subjectId === undefined ? DEFAULTS.subjectId : o.subjectId),
    text('urn:oasis:names:tc:xspa:1.0:subject:organization', o.organization === undefined ? DEFAULTS.organization : o.organization),
    text('urn:oasis:names:tc:xspa:1.0:subject:organization-id', o.organizationId === undefined ? DEFAULTS.organizationId : o.organizationId),
    text(hcidName, o.homeCommunityId === undefined ? DEFAULTS.homeCommunityId : o.homeCommunityId),
    role ? attr('urn:oasis:names:tc:xacml:2.0:subject:role', [ce('Role', role)]) : '',
    purposes ? attr('urn:oasis:names:tc:xspa:1.0:subject:purposeofuse', purposes.map((p) => ce(o.purposeElement ?? 'PurposeOfUse', p))) : '',
    text('urn:oasis:names:tc:xspa:2.0:subject:npi', o.npi === undefined ? DEFAULTS.npi : o.npi),
    text('urn:oasis:names:tc:xacml:2.0:resource:resource-id', o.resourceId),
    o.acp ? attr('urn:ihe:iti:xua:2012:acp', o.acp.map(esc)) : '',
    o.bppcDocIds ? attr('urn:ihe:iti:bppc:2007:docid', o.bppcDocIds.map(esc)) : '',
    text('QueryAuthGrantor', o.queryAuthGrantor),
    o.extra ?? '',
  ].join('');
}

/** The assertion before signing. */
export function unsignedAssertion(o: AssertionOptions = {}): string {
  const now = o.now ?? new Date();
  const p = { saml: 'saml2', ds: 'ds', hl7: 'hl7', ...o.prefixes };
  const signer = o.signer ?? samlPki().signer;
  const notBefore = o.notBefore === undefined ? new Date(now.getTime() - 60_000) : o.notBefore;
  const notOnOrAfter = o.notOnOrAfter === undefined ? new Date(now.getTime() + 5 * 60_000) : o.notOnOrAfter;
  const audience = o.audience === undefined ? TEST_AUDIENCE : o.audience;
  const locality = o.subjectLocality ?? DEFAULTS.subjectLocality;
  const s = (name: string) => q(p.saml, name);
  const d = (name: string) => q(p.ds, name);
  const confirmation = o.confirmation ?? 'certificate';
  const confirmationKey = confirmation === 'key-value'
    ? rsaKeyValue(signer.certPem, p.ds)
    : `<${d('X509Data')}><${d('X509Certificate')}>${base64Body(typeof confirmation === 'object' ? confirmation.certPem : signer.certPem)}</${d('X509Certificate')}></${d('X509Data')}>`;
  const subjectConfirmation = confirmation === 'sender-vouches'
    ? `<${s('SubjectConfirmation')} Method="urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"/>`
    : `<${s('SubjectConfirmation')} Method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"><${s('SubjectConfirmationData')}>`
      + `<${d('KeyInfo')} ${xmlns(p.ds, SAML_NS.ds)}>${confirmationKey}</${d('KeyInfo')}></${s('SubjectConfirmationData')}></${s('SubjectConfirmation')}>`;
  const hl7OnAssertion = o.hl7DeclaredOn === 'value' ? '' : ` ${xmlns(p.hl7, SAML_NS.hl7)} xmlns:xsi="${SAML_NS.xsi}"`;
  const issuerFormat = o.issuerFormat === undefined ? X509_SUBJECT : o.issuerFormat;

  return `<${s('Assertion')} ${xmlns(p.saml, SAML_NS.saml)}${hl7OnAssertion} xmlns:xs="${SAML_NS.xs}" ID="${esc(o.id ?? `_${randomUUID()}`)}" IssueInstant="${iso(now)}" Version="2.0">`
    + `<${s('Issuer')}${issuerFormat === null ? '' : ` Format="${esc(issuerFormat)}"`}>${esc(o.issuer ?? DEFAULTS.issuer)}</${s('Issuer')}>`
    + `<${s('Subject')}><${s('NameID')} Format="${esc(o.nameIdFormat ?? X509_SUBJECT)}">${esc(o.nameId ?? DEFAULTS.nameId)}</${s('NameID')}>${subjectConfirmation}</${s('Subject')}>`
    + `<${s('Conditions')}${notBefore ? ` NotBefore="${iso(notBefore)}"` : ''}${notOnOrAfter ? ` NotOnOrAfter="${iso(notOnOrAfter)}"` : ''}>`
    + `${audience === null ? '' : `<${s('AudienceRestriction')}><${s('Audience')}>${esc(audience)}</${s('Audience')}></${s('AudienceRestriction')}>`}</${s('Conditions')}>`
    + `<${s('AuthnStatement')} AuthnInstant="${iso(now)}"><${s('SubjectLocality')} Address="${esc(locality.address)}" DNSName="${esc(locality.dnsName)}"/>`
    + `<${s('AuthnContext')}><${s('AuthnContextClassRef')}>${esc(o.authnContextClassRef ?? DEFAULTS.authnContextClassRef)}</${s('AuthnContextClassRef')}></${s('AuthnContext')}></${s('AuthnStatement')}>`
    + `<${s('AttributeStatement')}>${attributesXml(o, p.saml, p.hl7)}</${s('AttributeStatement')}>`
    + `</${s('Assertion')}>`;
}

/**
 * Signs an element that carries an ID attribute, the document's root, with xml-crypto: enveloped signature placed
 * after its first child (saml2:Issuer in an assertion), exclusive canonicalization, RSA-SHA256 or RSA-SHA1.
 */
export function signXml(xml: string, o: Pick<AssertionOptions, 'signer' | 'keyInfo' | 'sha1' | 'inclusivePrefixes' | 'prefixes'> = {}): string {
  const signer = o.signer ?? samlPki().signer;
  const ds = o.prefixes?.ds ?? 'ds';
  const sig = new SignedXml({
    privateKey: signer.keyPem,
    publicCert: signer.certPem,
    signatureAlgorithm: o.sha1 ? ALGORITHMS.rsaSha1 : ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: ALGORITHMS.excC14n,
    ...(o.inclusivePrefixes ? { inclusiveNamespacesPrefixList: [...o.inclusivePrefixes] } : {}),
    ...(o.keyInfo === 'key-value' ? { getKeyInfoContent: () => rsaKeyValue(signer.certPem, ds) } : {}),
  });
  sig.addReference({
    xpath: '/*',
    transforms: [ALGORITHMS.enveloped, ALGORITHMS.excC14n],
    digestAlgorithm: o.sha1 ? ALGORITHMS.sha1 : ALGORITHMS.sha256,
    ...(o.inclusivePrefixes ? { inclusiveNamespacesPrefixList: [...o.inclusivePrefixes] } : {}),
  });
  sig.computeSignature(xml, { prefix: ds, location: { reference: '/*/*[1]', action: 'after' } });
  return sig.getSignedXml();
}

export function signedAssertion(o: AssertionOptions = {}): string {
  return signXml(unsignedAssertion(o), o);
}

/** The SOAP 1.2 request around a signed assertion (made from the options unless one is given). */
export function signedEnvelope(o: EnvelopeOptions = {}): string {
  const now = o.now ?? new Date();
  const p = { soap: 'soap', wsse: 'wsse', wsu: 'wsu', ...o.prefixes };
  const e = (name: string) => q(p.soap, name);
  const timestamp = o.timestamp === undefined ? { created: now, expires: new Date(now.getTime() + 5 * 60_000) } : o.timestamp;
  const u = (name: string) => q(p.wsu, name);
  const timestampXml = timestamp
    ? `<${u('Timestamp')} ${u('Id')}="TS-${randomUUID()}"><${u('Created')}>${iso(timestamp.created)}</${u('Created')}><${u('Expires')}>${iso(timestamp.expires)}</${u('Expires')}></${u('Timestamp')}>`
    : '';
  const assertion = o.assertion ?? signedAssertion(o);
  return `<?xml version="1.0" encoding="UTF-8"?>\n`
    + `<${e('Envelope')} ${xmlns(p.soap, SAML_NS.soap)} xmlns:wsa="${SAML_NS.wsa}">\n`
    + `  <${e('Header')}>\n`
    + `    <wsa:Action ${p.soap === '' ? '' : `${p.soap}:`}mustUnderstand="true">${esc(o.action ?? 'urn:ihe:iti:2007:CrossGatewayQuery')}</wsa:Action>\n`
    + `    <wsa:MessageID>${esc(o.messageId ?? `urn:uuid:${randomUUID()}`)}</wsa:MessageID>\n`
    + `    <wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>\n`
    + `    <wsa:To ${p.soap === '' ? '' : `${p.soap}:`}mustUnderstand="true">${esc(o.to ?? TEST_AUDIENCE)}</wsa:To>\n`
    + `    <${q(p.wsse, 'Security')} ${xmlns(p.wsse, SAML_NS.wsse)} ${xmlns(p.wsu, SAML_NS.wsu)}>\n`
    + `      ${timestampXml}\n      ${assertion}\n`
    + `    </${q(p.wsse, 'Security')}>\n`
    + `  </${e('Header')}>\n`
    + `  <${e('Body')}>\n${o.body ?? iti38Body()}\n  </${e('Body')}>\n`
    + `</${e('Envelope')}>\n`;
}

/** An ITI-38 FindDocuments request as initiators send it: patient id, status, entry types, dates, codes. */
export function iti38Body(patientId = "'9999000011^^^&2.16.840.1.113883.3.9999.2&ISO'"): string {
  const slot = (name: string, values: readonly string[]) =>
    `        <rim:Slot name="${name}">\n          <rim:ValueList>\n${values.map((v) => `            <rim:Value>${esc(v)}</rim:Value>\n`).join('')}          </rim:ValueList>\n        </rim:Slot>\n`;
  return `    <query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">\n`
    + `      <query:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>\n`
    + `      <rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d" home="urn:oid:2.16.840.1.113883.3.9999.1">\n`
    + slot('$XDSDocumentEntryPatientId', [patientId])
    + slot('$XDSDocumentEntryStatus', ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"])
    + slot('$XDSDocumentEntryType', ["('urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1','urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248')"])
    + slot('$XDSDocumentEntryCreationTimeFrom', ['20200101'])
    + slot('$XDSDocumentEntryCreationTimeTo', ['20251231235959'])
    + slot('$XDSDocumentEntryClassCode', ["('34133-9^^2.16.840.1.113883.6.1')", "('18842-5^^2.16.840.1.113883.6.1')"])
    + slot('$XDSDocumentEntryFormatCode', ["('urn:hl7-org:sdwg:ccda-structuredBody:2.1^^1.3.6.1.4.1.19376.1.2.3')"])
    + slot('$XDSDocumentEntryConfidentialityCode', ["('N^^2.16.840.1.113883.5.25')"])
    + `      </rim:AdhocQuery>\n`
    + `    </query:AdhocQueryRequest>`;
}

/** A DOM for tests, parsed as the verifier parses (XML 1.0 line ends); any parser complaint but U+FFFD throws. */
export function parseXml(xml: string): Document {
  return new DOMParser({
    normalizeLineEndings: (s) => s.replace(/\r\n?/g, '\n'),
    onError: (level, message) => {
      if (level !== 'warning' || !message.startsWith('Unicode replacement character')) throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
}
