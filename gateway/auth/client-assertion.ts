import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { z } from 'zod';
import type { Connection, ConnectionKind } from '../../canonical/index.js';
import type { ClientKey, RootStore } from '../../store/index.js';
import { OAuthError } from './oauth-error.js';

/**
 * Client authentication at the token endpoint with a signed JWT (RFC 7523 §2.2, UDAP B2B): the partner proves
 * it holds the private half of a JWK it registered on its connection. A client assertion that does not verify,
 * for whatever reason, is `invalid_client` (RFC 7523 §3.2).
 */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'ES256', 'ES384', 'EdDSA'] as const;
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** UDAP: an authentication JWT lives at most five minutes. */
const MAX_LIFETIME_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 60;
/**
 * UDAP B2B is how Carequality's FHIR exchange authorises, so a carequality connection may take FHIR tokens as
 * well as a fhir one; his and lab connections push messages and read nothing.
 */
const FHIR_CLIENT_KINDS: readonly ConnectionKind[] = ['fhir', 'carequality'];

const Issuer = z.object({ iss: z.uuid() });
const AssertionClaims = z.object({
  // jose checked the value; a list of audiences is refused, so the assertion was made for this endpoint alone.
  aud: z.string({ error: 'must be the token endpoint URL, as a single string' }),
  exp: z.number().int(),
  iat: z.number().int(),
  jti: z.string().min(1).max(255),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type AssertionClaims = z.infer<typeof AssertionClaims>;

export interface AuthenticatedClient {
  readonly connection: Connection;
  /** Read with the status found active: the epoch the token issued now belongs to. */
  readonly tokenEpoch: number;
  readonly key: ClientKey;
  readonly claims: AssertionClaims;
}

export async function authenticateClient(store: RootStore, assertion: string, tokenEndpoint: string, clientId?: string): Promise<AuthenticatedClient> {
  let header: ProtectedHeaderParameters;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    throw new OAuthError('invalid_client', 'client_assertion is not a signed JWT');
  }
  const alg = header.alg ?? '(none)';
  if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new OAuthError('invalid_client', `client_assertion alg ${alg} is not accepted; sign with one of ${ASSERTION_ALGORITHMS.join(', ')}`);
  }
  // The unverified issuer only tells which keys to try; nothing else is believed before the signature verifies.
  const issuer = Issuer.safeParse(unverified);
  if (!issuer.success) throw new OAuthError('invalid_client', 'client_assertion iss must be the client_id: the connection id, a UUID');
  if (clientId !== undefined && clientId !== issuer.data.iss) throw new OAuthError('invalid_client', 'client_id differs from the client_assertion iss');
  const found = await store.connections.getWithTokenEpoch(issuer.data.iss);
  if (!found) throw new OAuthError('invalid_client', 'unknown client');
  const { connection, tokenEpoch } = found;
  const refuse = (description: string, credentialId?: string) => new OAuthError('invalid_client', description, connection.id, credentialId);

  const keys = await store.oauth.clientKeys(connection.id);
  const candidates = header.kid === undefined ? keys : keys.filter((k) => k.thumbprint === header.kid);
  if (candidates.length === 0) throw refuse(header.kid === undefined ? 'no key is registered for this client' : 'kid names no key registered for this client');
  let verified: { key: ClientKey; payload: JWTPayload } | undefined;
  for (const key of candidates) {
    const payload = await verifyWith(assertion, key, alg, connection.id, tokenEndpoint, (description) => refuse(description, key.credentialId));
    if (payload) {
      verified = { key, payload };
      break;
    }
  }
  if (!verified) throw refuse('client_assertion signature does not verify with a key registered for this client');
  const { key } = verified;
  if (!key.usable) throw refuse('the key that signed client_assertion is revoked or expired', key.credentialId);

  const parsed = AssertionClaims.safeParse(verified.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`client_assertion ${issue.path.map(String).join('.')}: ${issue.message}`, key.credentialId);
  }
  const claims = parsed.data;
  if (claims.exp - claims.iat > MAX_LIFETIME_SECONDS) throw refuse(`client_assertion lifetime (exp - iat) exceeds ${MAX_LIFETIME_SECONDS} seconds`, key.credentialId);
  if (!FHIR_CLIENT_KINDS.includes(connection.kind)) {
    throw new OAuthError('unauthorized_client', `a ${connection.kind} connection may not obtain FHIR access tokens`, connection.id, key.credentialId);
  }
  if (connection.status !== 'active') throw refuse(`the connection is ${connection.status}`, key.credentialId);
  // Recorded only now, once the signature holds: nobody else can use up a client's assertion ids.
  if (!(await store.oauth.useAssertion(connection.id, claims.jti, new Date((claims.exp + CLOCK_SKEW_SECONDS) * 1000)))) {
    throw refuse('client_assertion jti was used before: make a new assertion for every token request', key.credentialId);
  }
  return { connection, tokenEpoch, key, claims };
}

/**
 * The verified claims, or undefined when this key did not make the signature (so another may have). Claim
 * failures are thrown: the signature held, so what the claims say is the client's own mistake.
 */
async function verifyWith(
  assertion: string, key: ClientKey, alg: string, clientId: string, audience: string, refuse: (description: string) => OAuthError,
): Promise<JWTPayload | undefined> {
  try {
    const publicKey = await importJWK(key.publicJwk, alg);
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: [...ASSERTION_ALGORITHMS], issuer: clientId, subject: clientId, audience,
      clockTolerance: CLOCK_SKEW_SECONDS, maxTokenAge: MAX_LIFETIME_SECONDS, requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw refuse(`client_assertion has expired (${error.message})`);
    if (error instanceof errors.JWTClaimValidationFailed) throw refuse(`client_assertion ${error.message}`);
    if (error instanceof errors.JWSSignatureVerificationFailed) return undefined;
    // A key of another type than alg, or one jose refuses for it (an RSA key under 2048 bits), made no signature.
    if (error instanceof errors.JOSENotSupported || error instanceof TypeError) return undefined;
    if (error instanceof errors.JOSEError) throw refuse(`client_assertion is malformed (${error.message})`);
    throw error;
  }
}
