import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/**
 * Test PKI made in the test (node-forge): a root CA, intermediates below it, certificates for a server, a client
 * or an XML signer, and self-signed ones; any of them valid over a chosen period, so expired and not-yet-valid
 * certificates are one option away.
 */
export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Certify the key of an earlier certificate again (a renewal); saves generating one. */
  readonly sameKeyAs?: Issued;
}

export type CertificateUse = 'server' | 'client' | 'signing';

export interface TestCa {
  readonly name: string;
  readonly certPem: string;
  issue(cn: string, use: CertificateUse, options?: CertificateOptions): Issued;
  /** A CA certified by this one. */
  intermediate(name: string, options?: CertificateOptions): TestCa;
}

interface Keys {
  readonly forgePublic: forge.pki.PublicKey;
  readonly forgePrivate: forge.pki.rsa.PrivateKey;
  readonly keyPem: string;
}

function keysOf(keyPem: string): Keys {
  const forgePrivate = forge.pki.privateKeyFromPem(keyPem);
  return { forgePublic: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e), forgePrivate, keyPem };
}

function newKeys(options?: CertificateOptions): Keys {
  if (options?.sameKeyAs) return keysOf(options.sameKeyAs.keyPem);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return keysOf(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
}

let serial = 1;

function certificate(
  subjectCn: string, subjectKey: forge.pki.PublicKey, issuer: { cn: string; key: forge.pki.rsa.PrivateKey }, extensions: object[], options?: CertificateOptions,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKey;
  cert.serialNumber = String(++serial).padStart(4, '0');
  cert.validity.notBefore = options?.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = options?.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.cn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

const CA_EXTENSIONS = [
  { name: 'basicConstraints', cA: true },
  { name: 'keyUsage', keyCertSign: true, cRLSign: true },
];

function useExtensions(use: CertificateUse): object[] {
  if (use === 'signing') {
    return [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, nonRepudiation: true }];
  }
  return [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: use === 'server', clientAuth: use === 'client' },
    ...(use === 'server' ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }] : []),
  ];
}

function caOf(name: string, keys: Keys, cert: forge.pki.Certificate): TestCa {
  const signer = { cn: name, key: keys.forgePrivate };
  return {
    name,
    certPem: forge.pki.certificateToPem(cert),
    issue(cn, use, options) {
      const k = newKeys(options);
      return { certPem: forge.pki.certificateToPem(certificate(cn, k.forgePublic, signer, useExtensions(use), options)), keyPem: k.keyPem };
    },
    intermediate(childName, options) {
      const k = newKeys(options);
      return caOf(childName, k, certificate(childName, k.forgePublic, signer, CA_EXTENSIONS, options));
    },
  };
}

export function testCa(name = 'Crossgate Test CA', options?: CertificateOptions): TestCa {
  const keys = newKeys(options);
  return caOf(name, keys, certificate(name, keys.forgePublic, { cn: name, key: keys.forgePrivate }, CA_EXTENSIONS, options));
}

/** An end-entity certificate signed with its own key: trusted by nothing. */
export function selfSigned(cn: string, use: CertificateUse, options?: CertificateOptions): Issued {
  const keys = newKeys(options);
  return { certPem: forge.pki.certificateToPem(certificate(cn, keys.forgePublic, { cn, key: keys.forgePrivate }, useExtensions(use), options)), keyPem: keys.keyPem };
}
