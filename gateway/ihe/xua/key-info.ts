import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { NS } from '../../../mappers/xml/index.js';
import { base64, childrenNamed, elementChildren, is, textOf } from './dom.js';
import { fault, type XuaFault } from './types.js';

/**
 * The keys a ds:KeyInfo names: the signing certificate of the assertion's signature (only a certificate can be
 * chained to the trust bundle), and the holder-of-key keys of SubjectConfirmationData, which may also be bare
 * RSA key values since they are only compared with the signing key.
 */
type SigningCertificate = { readonly ok: true; readonly der: Buffer } | { readonly ok: false; readonly fault: XuaFault };
type Keys = { readonly ok: true; readonly keys: readonly KeyObject[] } | { readonly ok: false; readonly fault: XuaFault };

/** The first ds:X509Certificate of ds:X509Data: XML signers put the signing certificate first. */
export function signingCertificate(keyInfo: Element | undefined): SigningCertificate {
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

/** Every key of a holder-of-key KeyInfo; one we cannot compare with the signing key is a failure, not a pass. */
export function confirmationKeys(keyInfo: Element): Keys {
  const keys: KeyObject[] = [];
  for (const item of elementChildren(keyInfo)) {
    if (is(item, NS.ds, 'X509Data')) {
      for (const c of childrenNamed(item, NS.ds, 'X509Certificate')) {
        const key = certificateKey(textOf(c));
        if (!key) return unreadable();
        keys.push(key);
      }
    } else if (is(item, NS.ds, 'KeyValue')) {
      const rsa = childrenNamed(item, NS.ds, 'RSAKeyValue')[0];
      const key = rsa && rsaKey(rsa);
      if (!key) return unreadable();
      keys.push(key);
    } else {
      return unreadable();
    }
  }
  return keys.length > 0 ? { ok: true, keys } : unreadable();
}

const unreadable = () => fault('wsse:FailedAuthentication', 'holder-of-key: the confirmation key is not a certificate or RSA key value we can compare');

function certificateKey(text: string): KeyObject | undefined {
  const der = base64(text);
  if (!der) return undefined;
  try {
    return new X509Certificate(der).publicKey;
  } catch {
    return undefined;
  }
}

function rsaKey(value: Element): KeyObject | undefined {
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
