import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { testCa } from '../../../test/support/certificates.js';
import { issueSigner, samlPki } from '../../../test/support/saml.js';
import { TrustCache, trustSigner } from './trust-chain.js';

/** The signing certificate's path to the trust bundle, and the cache that spares a partner's steady traffic the parse. */
const pki = samlPki();
const anchors = pki.trustAnchors;
const now = new Date();
const der = (pem: string) => Buffer.from(new X509Certificate(pem).raw);
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);
const ecRoot = readFileSync(new URL('../../../fixtures/ihe/xua/ec-root.pem', import.meta.url), 'utf8');

describe('trustSigner', () => {
  it('builds the path leaf → issuing CA → root, with the signing key', () => {
    const verdict = trustSigner(der(pki.signer.certPem), anchors, now, new TrustCache());
    if (!verdict.ok) throw new Error(verdict.fault.reason);
    expect(verdict.chain.map((c) => c.subject)).toEqual(['CN=saml-signer.partner.test', 'CN=Crossgate Test Issuing CA', 'CN=Crossgate Test Root CA']);
    expect(verdict.key.equals(new X509Certificate(pki.signer.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(verdict.chain[2]!.pem).fingerprint256).toBe(new X509Certificate(pki.root.certPem).fingerprint256);
  });

  it('passes over an EC certificate in the bundle rather than failing', () => {
    expect(trustSigner(der(pki.signer.certPem), [ecRoot, ...anchors], now, new TrustCache()).ok).toBe(true);
  });

  it('refuses a path through an expired issuing CA', () => {
    const root = testCa('Crossgate Expiring Root');
    const issuing = root.intermediate('Crossgate Expiring Issuing CA', { sameKeyAs: pki.signer, notBefore: days(-30), notAfter: days(10) });
    const signer = issuing.issue('signer', 'signing', { sameKeyAs: pki.signer });
    const bundle = [root.certPem, issuing.certPem];
    const cache = new TrustCache();
    expect(trustSigner(der(signer.certPem), bundle, now, cache).ok).toBe(true);
    expect(trustSigner(der(signer.certPem), bundle, days(11), cache)).toEqual({ ok: false, fault: { subcode: 'wsse:FailedAuthentication', reason: expect.stringContaining('has expired') } });
  });

  it('refuses a certificate that does not parse', () => {
    expect(trustSigner(Buffer.from('not a certificate'), anchors, now, new TrustCache())).toEqual({ ok: false, fault: { subcode: 'wsse:InvalidSecurityToken', reason: expect.stringContaining('does not parse') } });
  });
});

describe('TrustCache', () => {
  it('judges a certificate once, whatever array the same bundle comes in', () => {
    const cache = new TrustCache();
    for (let i = 0; i < 5; i++) expect(trustSigner(der(pki.signer.certPem), [...anchors], now, cache).ok).toBe(true);
    expect([cache.judged, cache.size]).toEqual([1, 1]);
  });

  it('remembers refusals too, and keeps bundles apart', () => {
    const cache = new TrustCache();
    const outsider = testCa('Someone Else CA').issue('signer', 'signing', { sameKeyAs: pki.signer });
    for (let i = 0; i < 3; i++) expect(trustSigner(der(outsider.certPem), anchors, now, cache).ok).toBe(false);
    expect(trustSigner(der(pki.signer.certPem), [pki.issuing.certPem], now, cache).ok).toBe(true);
    expect(trustSigner(der(pki.signer.certPem), anchors, now, cache).ok).toBe(true);
    expect([cache.judged, cache.size]).toEqual([3, 3]);
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new TrustCache(2);
    const [a, b, c] = [pki.signer, issueSigner({ sameKeyAs: pki.signer }), issueSigner({ sameKeyAs: pki.signer })].map((s) => der(s.certPem));
    for (const d of [a, b, a, c]) trustSigner(d!, anchors, now, cache);
    expect([cache.judged, cache.size]).toEqual([3, 2]);
    trustSigner(a!, anchors, now, cache);
    expect(cache.judged).toBe(3);
    trustSigner(b!, anchors, now, cache);
    expect(cache.judged).toBe(4);
  });

  it('lets a verdict go when its certificate expires', () => {
    const cache = new TrustCache();
    const short = issueSigner({ sameKeyAs: pki.signer, notBefore: days(-1), notAfter: days(1) });
    expect(trustSigner(der(short.certPem), anchors, now, cache).ok).toBe(true);
    expect(cache.size).toBe(1);
    expect(trustSigner(der(short.certPem), anchors, days(2), cache)).toEqual({ ok: false, fault: { subcode: 'wsse:FailedAuthentication', reason: expect.stringContaining('has expired') } });
    expect(cache.size).toBe(0);
  });
});
