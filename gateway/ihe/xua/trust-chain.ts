import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { fault, type CertificateInfo, type XuaFault } from './types.js';

/**
 * Is the signing certificate (DER from ds:X509Certificate) trusted, and with which key? The path is built from
 * the certificate up through the trust bundle and verified by node-forge (signatures, issuer names, CA flags and
 * path lengths, critical extensions); every certificate on it must be valid at `now`. Every certificate of the
 * bundle is a trust anchor. node-forge reads RSA certificates only: an EC certificate in the bundle anchors
 * nothing here, so an RSA signer below an EC CA is refused, never trusted.
 *
 * Verdicts are remembered per (bundle, certificate fingerprint) until the earliest notAfter on the path (a refusal
 * until the certificate's own notAfter), the least recently used going first when the cache is full: a partner's
 * steady traffic costs one parse, and only the validity window is compared with `now` on every call.
 */
export type TrustVerdict =
  | { readonly ok: true; readonly key: KeyObject; readonly certificate: CertificateInfo; readonly chain: readonly CertificateInfo[] }
  | { readonly ok: false; readonly fault: XuaFault };

interface Anchors {
  readonly id: string;
  readonly store: forge.pki.CAStore;
}

interface Verdict {
  readonly outcome: TrustVerdict;
  /** The path's common validity window; a refusal keeps only its expiry. */
  readonly notBefore?: Date;
  readonly notAfter: Date;
}

const MIN_RSA_BITS = 2048;
const MAX_PATH = 8;
const CACHE_ENTRIES = 1024;
const ANCHOR_SETS = 16;
const FOREVER = new Date(8.64e15);

const anchorsByArray = new WeakMap<readonly string[], Anchors>();
const anchorsById = new Map<string, Anchors>();
/** The bytes each certificate came as, so fingerprints and PEMs are of what was published, not a re-encoding. */
const originalDer = new WeakMap<forge.pki.Certificate, Buffer>();

/** Verdicts by (bundle, certificate fingerprint); the map's order is least recently used first. */
export class TrustCache {
  private readonly verdicts = new Map<string, Verdict>();
  /** Certificates parsed and path-verified so far, rather than answered from the cache. */
  judged = 0;

  constructor(private readonly capacity = CACHE_ENTRIES) {}

  get size(): number {
    return this.verdicts.size;
  }

  verdict(der: Buffer, anchors: Anchors, now: Date): Verdict {
    const key = `${anchors.id}|${sha256(der)}`;
    let verdict = this.verdicts.get(key);
    if (verdict) {
      this.verdicts.delete(key);
    } else {
      verdict = judge(der, anchors);
      this.judged++;
    }
    // Re-inserted as the most recent; a verdict past its expiry is not kept.
    if (verdict.notAfter >= now) {
      if (this.verdicts.size >= this.capacity) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }
}

const shared = new TrustCache();

export function trustSigner(der: Buffer, trustAnchors: readonly string[], now: Date, cache: TrustCache = shared): TrustVerdict {
  const verdict = cache.verdict(der, anchorsOf(trustAnchors), now);
  if (!verdict.outcome.ok) return verdict.outcome;
  if (verdict.notBefore && now < verdict.notBefore) return fault('wsse:FailedAuthentication', 'certificate: the signing certificate or its chain is not yet valid');
  if (now > verdict.notAfter) return fault('wsse:FailedAuthentication', 'certificate: the signing certificate or its chain has expired');
  return verdict.outcome;
}

function anchorsOf(pems: readonly string[]): Anchors {
  const known = anchorsByArray.get(pems);
  if (known) return known;
  const certificates: forge.pki.Certificate[] = [];
  for (const pem of pems) {
    const cert = readDer(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
    if (cert) certificates.push(cert);
  }
  const id = sha256(Buffer.from(certificates.map((c) => sha256(originalDer.get(c)!)).sort().join(','), 'latin1'));
  let anchors = anchorsById.get(id);
  if (!anchors) {
    anchors = { id, store: forge.pki.createCaStore(certificates) };
    if (anchorsById.size >= ANCHOR_SETS) anchorsById.delete(anchorsById.keys().next().value!);
    anchorsById.set(id, anchors);
  }
  anchorsByArray.set(pems, anchors);
  return anchors;
}

function readDer(der: Buffer): forge.pki.Certificate | undefined {
  try {
    const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
    originalDer.set(cert, der);
    return cert;
  } catch {
    return undefined;
  }
}

function judge(der: Buffer, anchors: Anchors): Verdict {
  let key: KeyObject;
  try {
    key = new X509Certificate(der).publicKey;
  } catch {
    return { outcome: fault('wsse:InvalidSecurityToken', 'certificate: the signing certificate does not parse'), notAfter: FOREVER };
  }
  const leaf = readDer(der);
  if (!leaf || key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    return { outcome: fault('wsse:InvalidSecurityToken', 'certificate: the signing key is not RSA of at least 2048 bits'), notAfter: FOREVER };
  }
  const refuse = (reason: string): Verdict => ({ outcome: fault('wsse:FailedAuthentication', reason), notAfter: leaf.validity.notAfter });

  const usage = leaf.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean } | undefined;
  if (usage && !usage.digitalSignature && !usage.nonRepudiation) return refuse('certificate: the key usage of the signing certificate does not allow signing');
  if (leaf.isIssuer(leaf) && !anchors.store.hasCertificate(leaf)) return refuse('certificate: the signing certificate is self-signed and not in the trust bundle');
  const path = pathOf(leaf, anchors.store);
  try {
    forge.pki.verifyCertificateChain(anchors.store, path, { validityCheckDate: null });
  } catch (error) {
    const message = (error as { message?: unknown }).message;
    return refuse(`certificate: the signing certificate is untrusted (${typeof message === 'string' ? message : 'chain verification failed'})`);
  }
  const chain = path.map(info);
  return {
    outcome: { ok: true, key, certificate: chain[0]!, chain },
    notBefore: new Date(Math.max(...path.map((c) => c.validity.notBefore.getTime()))),
    notAfter: new Date(Math.min(...path.map((c) => c.validity.notAfter.getTime()))),
  };
}

/** The leaf, then each issuer from the bundle that verifies it, up to a self-signed one or one whose issuer the bundle lacks. */
function pathOf(leaf: forge.pki.Certificate, store: forge.pki.CAStore): forge.pki.Certificate[] {
  const path = [leaf];
  for (let at = leaf; path.length < MAX_PATH && !at.isIssuer(at);) {
    const found = store.getIssuer(at) as forge.pki.Certificate | forge.pki.Certificate[] | null;
    const issuer = (Array.isArray(found) ? found : found ? [found] : []).find((candidate) => {
      try {
        return candidate.verify(at);
      } catch {
        return false;
      }
    });
    if (!issuer || path.includes(issuer)) break;
    path.push(issuer);
    at = issuer;
  }
  return path;
}

function info(cert: forge.pki.Certificate): CertificateInfo {
  const der = originalDer.get(cert)!;
  return {
    pem: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}(?!$)/g, '$&\n')}\n-----END CERTIFICATE-----\n`,
    sha256Fingerprint: sha256(der),
    subject: distinguishedName(cert.subject.attributes),
    issuer: distinguishedName(cert.issuer.attributes),
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** RFC 4514: most specific RDN first, special characters escaped. */
function distinguishedName(attributes: readonly forge.pki.CertificateField[]): string {
  return [...attributes]
    .reverse()
    .map((a) => `${a.shortName ?? a.type}=${String(a.value).replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ')}`)
    .join(',');
}
