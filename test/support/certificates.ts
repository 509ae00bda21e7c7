import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/** Test PKI made in the test (node-forge): a CA, and certificates it signs for a server or a client. */
export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

function keyPair(): { forgePublic: forge.pki.PublicKey; forgePrivate: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    forgePrivate: forge.pki.privateKeyFromPem(keyPem),
    keyPem,
  };
}

let serial = 1;

function certificate(subjectCn: string, subjectKey: forge.pki.PublicKey, issuer: { cn: string; key: forge.pki.rsa.PrivateKey }, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKey;
  cert.serialNumber = String(++serial).padStart(4, '0');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.cn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export function testCa(name = 'Crossgate Test CA') {
  const keys = keyPair();
  const caCert = certificate(name, keys.forgePublic, { cn: name, key: keys.forgePrivate }, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  return {
    certPem: forge.pki.certificateToPem(caCert),
    issue(cn: string, use: 'server' | 'client'): Issued {
      const k = keyPair();
      const cert = certificate(cn, k.forgePublic, { cn: name, key: keys.forgePrivate }, [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: use === 'server', clientAuth: use === 'client' },
        ...(use === 'server' ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }] : []),
      ]);
      return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
    },
  };
}
