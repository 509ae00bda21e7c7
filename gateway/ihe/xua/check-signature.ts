import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { NS, type DomElement } from '../../../mappers/xml/index.js';
import { canonicalize } from './canonicalize.js';
import { base64, elementChildren, is, textOf } from './dom.js';
import { fault, type Checked, type XuaFault } from './types.js';

/**
 * The enveloped XML signature of one element, read narrowly: exactly the shape SAML signers produce (SAML core
 * §5.4) and nothing a wrapping or transform attack needs. One ds:Signature child, one Reference naming the element
 * by its ID, the enveloped-signature transform followed by exclusive canonicalization and nothing else, exclusive
 * canonicalization of SignedInfo, RSA with SHA-256 (SHA-1 only when the partner is allowed it). The digest and
 * the signature are then checked over our own canonical form, with node:crypto.
 */
export const ALGORITHMS = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

const SIGNATURE_HASH: Readonly<Record<string, 'sha256' | 'sha1'>> = { [ALGORITHMS.rsaSha256]: 'sha256', [ALGORITHMS.rsaSha1]: 'sha1' };
const DIGEST_HASH: Readonly<Record<string, 'sha256' | 'sha1'>> = { [ALGORITHMS.sha256]: 'sha256', [ALGORITHMS.sha1]: 'sha1' };
const DIGEST_BYTES = { sha256: 32, sha1: 20 } as const;

export interface SignatureParts {
  readonly signature: DomElement;
  readonly signedInfo: DomElement;
  readonly signedInfoPrefixes: readonly string[];
  readonly referencePrefixes: readonly string[];
  readonly signatureAlgorithm: string;
  readonly digestAlgorithm: string;
  readonly digestValue: Buffer;
  readonly signatureValue: Buffer;
  readonly keyInfo?: DomElement;
}

type Read = { readonly ok: true; readonly parts: SignatureParts } | { readonly ok: false; readonly fault: XuaFault };

const invalid = (reason: string) => fault('wsse:InvalidSecurity', reason);

/**
 * The signature of `signed`, which must carry the ID `id`; `holders` are the elements anywhere in the document
 * that carry `id` in an ID-like attribute, so a reference can only resolve to `signed` itself.
 */
export function readSignature(signed: DomElement, id: string, holders: readonly DomElement[], allowSha1: boolean): Read {
  const signatures = elementChildren(signed).filter((e) => is(e, NS.ds, 'Signature'));
  if (signatures.length !== 1) return invalid('signature: exactly one ds:Signature child of the assertion is required');
  const signature = signatures[0]!;
  const parts = elementChildren(signature);
  const [signedInfo, signatureValueElement] = parts;
  const rest = parts.slice(2);
  if (!signedInfo || !is(signedInfo, NS.ds, 'SignedInfo') || !signatureValueElement || !is(signatureValueElement, NS.ds, 'SignatureValue')) {
    return invalid('signature: ds:Signature must begin with SignedInfo and SignatureValue');
  }
  const keyInfos = rest.filter((e) => is(e, NS.ds, 'KeyInfo'));
  if (keyInfos.length > 1 || rest.some((e) => !is(e, NS.ds, 'KeyInfo') && !is(e, NS.ds, 'Object'))) {
    return invalid('signature: unexpected content in ds:Signature');
  }

  const info = elementChildren(signedInfo);
  const [c14nMethod, signatureMethod, ...references] = info;
  if (!c14nMethod || !is(c14nMethod, NS.ds, 'CanonicalizationMethod') || !signatureMethod || !is(signatureMethod, NS.ds, 'SignatureMethod')) {
    return invalid('signature: SignedInfo must begin with CanonicalizationMethod and SignatureMethod');
  }
  if (references.length !== 1 || !is(references[0]!, NS.ds, 'Reference')) return invalid('signature: exactly one Reference is required');
  const reference = references[0]!;

  if (c14nMethod.getAttribute('Algorithm') !== ALGORITHMS.excC14n) return invalid('signature: SignedInfo canonicalization method not allowed');
  const signedInfoPrefixes = prefixList(c14nMethod);
  if (!signedInfoPrefixes) return invalid('signature: unexpected content in CanonicalizationMethod');

  const signatureAlgorithm = signatureMethod.getAttribute('Algorithm') ?? '';
  const signatureHash = SIGNATURE_HASH[signatureAlgorithm];
  if (!signatureHash || (signatureHash === 'sha1' && !allowSha1)) return invalid('signature: signature algorithm not allowed');
  if (elementChildren(signatureMethod).length > 0) return invalid('signature: unexpected content in SignatureMethod');

  if (reference.getAttribute('URI') !== `#${id}`) return invalid('signature: the Reference URI does not name the assertion');
  // The reference must resolve to the very element at the fixed path, and to nothing else.
  if (holders.length !== 1 || holders[0] !== signed) return invalid('signature: the Reference resolves to another element');

  const [transformsElement, digestMethod, digestValueElement, ...extra] = elementChildren(reference);
  if (!transformsElement || !is(transformsElement, NS.ds, 'Transforms') || !digestMethod || !is(digestMethod, NS.ds, 'DigestMethod')
    || !digestValueElement || !is(digestValueElement, NS.ds, 'DigestValue') || extra.length > 0) {
    return invalid('signature: Reference must hold Transforms, DigestMethod and DigestValue');
  }
  const transforms = elementChildren(transformsElement);
  const [enveloped, exclusive] = transforms;
  // The enveloped-signature transform takes no parameters, so content there changes nothing; xml-crypto, for one,
  // copies its InclusiveNamespaces into it.
  if (transforms.length !== 2 || !is(enveloped!, NS.ds, 'Transform') || !is(exclusive!, NS.ds, 'Transform')
    || enveloped!.getAttribute('Algorithm') !== ALGORITHMS.enveloped || exclusive!.getAttribute('Algorithm') !== ALGORITHMS.excC14n) {
    return invalid('signature: transforms other than enveloped-signature then exclusive canonicalization');
  }
  const referencePrefixes = prefixList(exclusive!);
  if (!referencePrefixes) return invalid('signature: transforms other than enveloped-signature then exclusive canonicalization');

  const digestAlgorithm = digestMethod.getAttribute('Algorithm') ?? '';
  const digestHash = DIGEST_HASH[digestAlgorithm];
  if (!digestHash || (digestHash === 'sha1' && !allowSha1)) return invalid('signature: digest algorithm not allowed');
  const digestValue = base64(textOf(digestValueElement));
  if (!digestValue || digestValue.length !== DIGEST_BYTES[digestHash]) return invalid('signature: DigestValue is not a digest');
  const signatureValue = base64(textOf(signatureValueElement));
  if (!signatureValue || signatureValue.length === 0) return invalid('signature: SignatureValue is not base64');

  return {
    ok: true,
    parts: {
      signature, signedInfo, signedInfoPrefixes, referencePrefixes, signatureAlgorithm, digestAlgorithm, digestValue, signatureValue,
      ...(keyInfos[0] ? { keyInfo: keyInfos[0] } : {}),
    },
  };
}

/** Digest of the signed element without its signature, then the signature over SignedInfo, with this key. */
export function checkSignature(signed: DomElement, parts: SignatureParts, key: KeyObject): Checked {
  const digest = createHash(DIGEST_HASH[parts.digestAlgorithm]!)
    .update(canonicalize(signed, { inclusivePrefixes: parts.referencePrefixes, omit: parts.signature }), 'utf8')
    .digest();
  if (!digest.equals(parts.digestValue)) return fault('wsse:FailedCheck', 'signature: the digest of the assertion does not match');
  const signedInfo = Buffer.from(canonicalize(parts.signedInfo, { inclusivePrefixes: parts.signedInfoPrefixes }), 'utf8');
  let valid: boolean;
  try {
    valid = verifySignature(SIGNATURE_HASH[parts.signatureAlgorithm]!, signedInfo, key, parts.signatureValue);
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : fault('wsse:FailedCheck', 'signature: the signature value does not verify');
}

/** The InclusiveNamespaces PrefixList of a c14n method or transform; undefined when it holds anything else. */
function prefixList(method: DomElement): string[] | undefined {
  const content = elementChildren(method);
  if (content.length === 0) return [];
  const [inclusive] = content;
  if (content.length > 1 || !is(inclusive!, ALGORITHMS.excC14n, 'InclusiveNamespaces')) return undefined;
  return (inclusive!.getAttribute('PrefixList') ?? '').split(/[ \t\r\n]+/).filter((p) => p !== '');
}
