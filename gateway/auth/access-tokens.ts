import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomUUID, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { PURPOSES } from '../../canonical/index.js';

/**
 * The FHIR access tokens the gateway issues at /oauth/token: compact JWS (RFC 9068 `at+jwt`) signed with EdDSA.
 *
 * Key choice: an Ed25519 key whose seed is derived with HKDF from the gateway's secret key. Derived, so every
 * process configured with the same CROSSGATE_SECRET_KEY signs and accepts the same tokens with nothing new to
 * distribute, and rotating that secret ends every outstanding token (they live an hour at most). Asymmetric rather
 * than HS256, so that verifying never needs the power to mint: the public half can be handed to a resource server
 * that should not hold the secret. The HKDF label keeps this key apart from every other use of the secret.
 */
export interface AccessTokenKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key's RFC 7638 thumbprint, sent as `kid`. */
  readonly keyId: string;
}

/** PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): Node imports private keys only in a container. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function accessTokenKeys(secretKey: Buffer): AccessTokenKeys {
  const seed = Buffer.from(hkdfSync('sha256', secretKey, 'crossgate', 'oauth access token signing key v1', 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const { x } = publicKey.export({ format: 'jwk' });
  const keyId = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
  return { privateKey, publicKey, keyId };
}

/** Who issues, for whom, and how long a token lives: fixed per gateway. */
export interface AccessTokens {
  readonly keys: AccessTokenKeys;
  /** Our public URL. */
  readonly issuer: string;
  /** The FHIR base the token is good for. */
  readonly audience: string;
  readonly lifetimeSeconds: number;
  /**
   * Tokens whose signature and claims this process has verified, until they expire: an Ed25519 check costs
   * ~0.25 ms of CPU, more than the rest of a small read. Only the signature is remembered; whether the
   * connection and its key are still good is asked of the database on every request.
   */
  readonly verified: Map<string, AccessTokenPayload>;
}

/** Verified tokens remembered per process; a partner holds one or a few at a time. */
const MAX_VERIFIED = 10_000;

export function accessTokens(deps: { readonly secretKey: Buffer; readonly config: { readonly publicUrl: string; readonly fhirTokenSeconds: number } }): AccessTokens {
  return {
    keys: accessTokenKeys(deps.secretKey),
    issuer: deps.config.publicUrl,
    audience: `${deps.config.publicUrl}/fhir/R4`,
    lifetimeSeconds: deps.config.fhirTokenSeconds,
    verified: new Map(),
  };
}

/** The `crossgate` claim: what the token was granted for, as the token endpoint established it. */
export const GrantClaim = z
  .object({
    organizationId: z.uuid(),
    connectionId: z.uuid(),
    /** The connection's token epoch at issue (store/migrations/0013). */
    tokenEpoch: z.number().int().min(0),
    credentialId: z.uuid(),
    /** The signing key's thumbprint, by which each request finds the credential again in one indexed lookup. */
    keyThumbprint: z.string().min(1).max(100),
    purpose: z.enum(PURPOSES),
    purposeCodes: z.array(z.string().min(1).max(300)).min(1).max(20),
    person: z.object({ name: z.string().max(300).optional(), id: z.string().max(300).optional(), role: z.string().max(300).optional() }).strict().optional(),
  })
  .strict();
export type GrantClaim = z.infer<typeof GrantClaim>;

const AccessTokenPayload = z.object({
  sub: z.uuid(),
  jti: z.string().min(1),
  exp: z.number().int(),
  iat: z.number().int(),
  crossgate: GrantClaim,
});
export type AccessTokenPayload = z.infer<typeof AccessTokenPayload>;

export async function issueAccessToken(tokens: AccessTokens, grant: GrantClaim, scope: string): Promise<{ token: string; tokenId: string; expiresIn: number }> {
  const tokenId = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ client_id: grant.connectionId, scope, crossgate: grant })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: tokens.keys.keyId })
    .setIssuer(tokens.issuer)
    .setAudience(tokens.audience)
    .setSubject(grant.connectionId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + tokens.lifetimeSeconds)
    .setJti(tokenId)
    .sign(tokens.keys.privateKey);
  return { token, tokenId, expiresIn: tokens.lifetimeSeconds };
}

/** Why a token was refused, and the connection it names when the gateway's own signature vouches for that. */
export class AccessTokenRejected extends Error {
  constructor(reason: string, readonly connectionId?: string) {
    super(reason);
    this.name = 'AccessTokenRejected';
  }
}

/** Checks signature, type, issuer, audience and expiry in-process: no database, so every request can afford it. */
export async function verifyAccessToken(tokens: AccessTokens, token: string): Promise<AccessTokenPayload> {
  const known = tokens.verified.get(token);
  if (known) {
    if (known.exp * 1000 > Date.now()) return known;
    tokens.verified.delete(token);
  }
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, tokens.keys.publicKey, {
      algorithms: ['EdDSA'], typ: 'at+jwt', issuer: tokens.issuer, audience: tokens.audience, requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
      // The signature verified before the claims were checked, so the subject is ours to believe.
      const sub = z.uuid().safeParse(error.payload.sub);
      throw new AccessTokenRejected(`access token: ${error.message}`, sub.success ? sub.data : undefined);
    }
    if (error instanceof errors.JOSEError) throw new AccessTokenRejected(`access token: ${error.message}`);
    throw error;
  }
  const parsed = AccessTokenPayload.safeParse(payload);
  if (!parsed.success) throw new AccessTokenRejected('access token claims malformed');
  if (tokens.verified.size >= MAX_VERIFIED) tokens.verified.delete(tokens.verified.keys().next().value!);
  tokens.verified.set(token, parsed.data);
  return parsed.data;
}
