import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { NS, type DomElement } from '../../../mappers/xml/index.js';
import { base64, childrenNamed, elementChildren, is, textOf } from './dom.js';
import { fault, type Checked, type XuaFault } from './types.js';

/**
 * The keys a ds:KeyInfo names: the signing certificate of the assertion's signature (only a certificate can be
 * chained to the trust bundle), and the holder-of-key keys of SubjectConfirmationData, which may also be bare
 * RSA key values since they are only compared with the signing key.
 */
type SigningCertificate = { readonly ok: true; readonly der: Buffer } | { readonly ok: false; readonly fault: XuaFault };

/** The first ds:X509Certificate of ds:X509Data: XML signers put the signing certificate first. */
export function signingCertificate(keyInfo: DomElement | undefined): SigningCertificate {
  const certificates = keyInfo ? childrenNamed(keyInfo, NS.ds, 'X509Data').flatMap((d) => childrenNamed(d, NS.ds, 'X509Certificate')) : [];
  const first = certificates[0];
  if (!first) {
    return keyInfo && childrenNamed(keyInfo, NS.ds, 'KeyValue').length > 0
      ? fault('wsse:FailedAuthentication', 'certificate: KeyInfo carries a bare key value, which no trust anchor vouches for')
      : fault('wsse:FailedAuthentication', 'certificate: KeyInfo carries no X509Certificate');
  }
  const der = base64(textOf(first));
  return der && der.length > 0 ? { ok: true, der } : fault('wsse:InvalidSecurityToken', 'certificate: X509Certificate is not base64');
}

/**
 * Does a holder-of-key KeyInfo name the signing key, and only it? A copy of the signing certificate is recognised
 * by its bytes; another certificate (a renewal of the same key) or a bare RSA key value by its key. A key we cannot
 * compare is a failure, not a pass.
 */
export function confirmsSigningKey(keyInfo: DomElement, signing: { readonly der: Buffer; readonly key: KeyObject }): Checked {
  const verdicts = elementChildren(keyInfo).flatMap((item) => {
    if (is(item, NS.ds, 'X509Data')) return childrenNamed(item, NS.ds, 'X509Certificate').map((c) => certifiesKey(base64(textOf(c)), signing));
    if (is(item, NS.ds, 'KeyValue')) return [rsaKey(childrenNamed(item, NS.ds, 'RSAKeyValue')[0])?.equals(signing.key)];
    return [undefined];
  });
  if (verdicts.length === 0 || verdicts.includes(undefined)) {
    return fault('wsse:FailedAuthentication', 'holder-of-key: the confirmation key is not a certificate or RSA key value we can compare');
  }
  return verdicts.every(Boolean) ? { ok: true } : fault('wsse:FailedAuthentication', 'holder-of-key: the confirmation key is not the signing key');
}

/** Whether a certificate holds the signing key; undefined when it cannot be read. */
function certifiesKey(der: Buffer | undefined, signing: { readonly der: Buffer; readonly key: KeyObject }): boolean | undefined {
  if (!der) return undefined;
  // Peers repeat the signing certificate here: equal bytes need no parse.
  if (der.equals(signing.der)) return true;
  try {
    return new X509Certificate(der).publicKey.equals(signing.key);
  } catch {
    return undefined;
  }
}

function rsaKey(value: DomElement | undefined): KeyObject | undefined {
  if (!value) return undefined;
  const modulus = childrenNamed(value, NS.ds, 'Modulus')[0];
  const exponent = childrenNamed(value, NS.ds, 'Exponent')[0];
  const n = modulus && base64(textOf(modulus));
  const e = exponent && base64(textOf(exponent));
  if (!n || !e) return undefined;
  try {
    return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}
