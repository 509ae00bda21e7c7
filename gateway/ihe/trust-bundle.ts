import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';

/**
 * The partners' trust bundle as PEM certificates. Carequality publishes it as PKCS#7 (.p7b, PEM or DER); a plain
 * file of concatenated PEM certificates works too. A bundle that yields no certificate, or one that does not parse,
 * stops the gateway at start with the file named, rather than failing every partner later.
 */
export function loadTrustBundle(file: string): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`CROSSGATE_TRUST_BUNDLE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const certificates = parseTrustBundle(bytes);
  if (certificates.length === 0) throw new Error(`CROSSGATE_TRUST_BUNDLE: ${file} holds no certificate`);
  return certificates;
}

export function parseTrustBundle(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const fromPkcs7 = /-----BEGIN PKCS7-----/.test(text)
    ? pkcs7Certificates(forge.pki.pemToDer(text.match(/-----BEGIN PKCS7-----[\s\S]+?-----END PKCS7-----/)![0]).getBytes())
    : pems.length === 0 && bytes[0] === 0x30 ? pkcs7Certificates(bytes.toString('binary')) : [];
  return [...pems, ...fromPkcs7].map((pem) => {
    try {
      return new X509Certificate(pem).toString();
    } catch {
      throw new Error('the trust bundle holds a certificate that does not parse');
    }
  });
}

function pkcs7Certificates(der: string): string[] {
  try {
    const message = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der)) as { certificates?: forge.pki.Certificate[] };
    return (message.certificates ?? []).map((c) => forge.pki.certificateToPem(c));
  } catch {
    throw new Error('the trust bundle is neither PEM certificates nor a PKCS#7 bundle');
  }
}
