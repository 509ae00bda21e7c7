import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import type { RootStore } from '../../store/index.js';
import { matchPurpose, parsePurposeString } from '../../profiles/purposes.js';
import { HttpError } from '../http/routes.js';
import { AccessTokenRejected, verifyAccessToken, type AccessTokenPayload, type AccessTokens } from './access-tokens.js';
import { ANONYMOUS, type Principal } from './principal.js';
import { clearCookie, readCookies, SESSION_COOKIE } from './cookies.js';
import { safeEqual, sha256 } from './secrets.js';
import type { PartnerDirectory } from './partner-directory.js';
import type { SecurityEventSink } from './security-events.js';

export interface SessionPolicy {
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
}

/** Partner tokens read `cgt_<credential id>_<secret>`: the id names the credential, so a wrong secret is counted against it. */
const TOKEN = /^cgt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
/** An access token from /oauth/token: a compact JWS, three base64url parts. */
const ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TOUCH_AFTER_MS = 60_000;

export const tokenCredentialId = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/**
 * Establishes who is calling, for every request, from the database each time: a deactivated person's session,
 * or a revoked credential, stops working on the very next request in every gateway process. On the `discovery`
 * paths (public metadata) nobody is: credentials sent there are not read.
 */
export function authenticate(
  store: RootStore, partners: PartnerDirectory, events: SecurityEventSink, policy: SessionPolicy, accessTokens: AccessTokens, discovery: ReadonlySet<string> = new Set(),
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    req.principal = ANONYMOUS;
    // Where a client learns how to authenticate, a stale token it sends along must not lock it out (`discovery`).
    if (discovery.has(req.path)) return next();
    const authorization = req.get('authorization');
    if (authorization) {
      req.principal = await partnerByToken(store, partners, events, accessTokens, req, authorization);
      return next();
    }
    const certificate = peerCertificateFingerprint(req);
    if (certificate) {
      const match = await partners.findCredential('certificate', certificate);
      if (match?.usable) {
        req.principal = { type: 'connection', connection: match.connection, credentialId: match.credential.id };
        return next();
      }
    }
    const token = readCookies(req)[SESSION_COOKIE];
    if (token) {
      const principal = await personBySession(store, policy, token);
      if (principal) req.principal = principal;
      else clearCookie(req, res, SESSION_COOKIE);
    }
    next();
  };
}

async function personBySession(store: RootStore, policy: SessionPolicy, token: string): Promise<Principal | undefined> {
  const idHash = sha256(token);
  const session = await store.sessions.get(idHash);
  if (!session || session.ended || !session.current || session.account.status !== 'active') return undefined;
  const now = Date.now();
  const idle = now - Date.parse(session.lastSeenAt) > policy.idleSeconds * 1000;
  const old = now - Date.parse(session.createdAt) > policy.absoluteSeconds * 1000;
  if (idle || old) {
    await store.sessions.end(idHash);
    return undefined;
  }
  if (now - Date.parse(session.lastSeenAt) > TOUCH_AFTER_MS) await store.sessions.touch(idHash);
  const a = session.account;
  return {
    type: 'user', userId: a.id, email: a.email, kind: a.kind, roles: a.roles, ...(a.patientId ? { patientId: a.patientId } : {}),
    stage: session.stage, sessionIdHash: idHash, csrfToken: session.csrfToken,
  };
}

type Reject = (connectionId?: string, reason?: string) => Promise<HttpError>;

async function partnerByToken(store: RootStore, partners: PartnerDirectory, events: SecurityEventSink, accessTokens: AccessTokens, req: Request, authorization: string): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  const reject: Reject = async (connectionId, reason = 'invalid token') => {
    if (connectionId) await store.connections.recordFailedAuth(connectionId);
    await events.record({
      type: 'partner-auth-failed', outcome: 'failure', ...(connectionId ? { subject: { connectionId } } : {}),
      detail: { reason }, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
    });
    // RFC 6750 §3.1: a request with no Bearer token at all (another scheme) is challenged without an error code.
    return m
      ? new HttpError(401, 'invalid or expired credentials', [], { 'WWW-Authenticate': 'Bearer realm="crossgate", error="invalid_token"' })
      : new HttpError(401, 'only Bearer credentials are accepted here (Authorization: Bearer <token>)', [], { 'WWW-Authenticate': 'Bearer realm="crossgate"' });
  };
  if (m && ACCESS_TOKEN.test(m[1]!)) return partnerByAccessToken(partners, accessTokens, reject, m[1]!, true);
  const parts = m ? TOKEN.exec(m[1]!) : null;
  if (!parts) throw await reject(undefined, m ? 'malformed token' : 'not a Bearer credential');
  const match = await partners.findCredential('token', tokenCredentialId(parts[1]!));
  if (!match) throw await reject(undefined, 'unknown credential');
  if (!match.secretHash || !safeEqual(sha256(parts[2]!), match.secretHash)) throw await reject(match.connection.id, 'wrong secret');
  if (!match.usable) throw await reject(match.connection.id, 'credential revoked or expired');
  return { type: 'connection', connection: match.connection, credentialId: match.credential.id };
}

/**
 * A FHIR access token the gateway signed. The signature is checked in-process; then the credential (with its
 * connection) is looked up, so that a suspension or revocation ends the token at once, in every process. The lookup
 * is answered from the partner cache unconfirmed when it can (`unconfirmed`): the principal then carries `confirm`,
 * which the FHIR surface calls with the change clock its first lookup reads, saving the request a round trip of
 * its own; when the cache cannot be confirmed, the credential is checked again from the database.
 */
async function partnerByAccessToken(partners: PartnerDirectory, accessTokens: AccessTokens, reject: Reject, token: string, unconfirmed: boolean): Promise<Principal> {
  let claims: AccessTokenPayload;
  try {
    claims = await verifyAccessToken(accessTokens, token);
  } catch (error) {
    if (error instanceof AccessTokenRejected) throw await reject(error.connectionId, error.message);
    throw error;
  }
  const granted = claims.crossgate;
  const match = await partners.findCredential('jwk', granted.keyThumbprint, { unconfirmed });
  // Matched again from the codes as received, so a change to the purpose table since issue cannot widen a grant.
  const purpose = matchPurpose(granted.purposeCodes.map(parsePurposeString));
  // A token holds only within the active stretch of its connection it was issued in: the token endpoint read the
  // epoch from the row it found active, and leaving active moves the epoch on, so reactivating never revives a
  // token issued before a suspension. Compared by epoch, not by `iat` against the time of the suspension: iat is
  // whole seconds on a gateway's clock and the suspension is stamped by the database's, so a token issued while the
  // suspension committed, or by a gateway whose clock runs ahead, would survive such a comparison.
  const refusal = !match || match.credential.id !== granted.credentialId || match.connection.id !== claims.sub ? 'access token names a credential its connection does not hold'
    : !match.usable ? 'credential revoked or expired'
      : match.connection.status !== 'active' ? `connection ${match.connection.status}`
        : match.tokenEpoch !== granted.tokenEpoch ? 'access token issued before its connection was last suspended'
          : purpose.outcome !== 'matched' || purpose.purpose !== granted.purpose ? 'access token purpose no longer matches its codes' : undefined;
  if (refusal) {
    // Nobody is refused on an unconfirmed answer: the cache may not have heard of a reactivation yet.
    if (match?.confirm) return partnerByAccessToken(partners, accessTokens, reject, token, false);
    throw await reject(claims.sub, refusal);
  }
  const confirmed = match!.confirm;
  return {
    type: 'connection', connection: match!.connection, credentialId: match!.credential.id,
    grant: {
      purpose, purposeCodes: granted.purposeCodes, ...(granted.person ? { person: granted.person } : {}),
      tokenId: claims.jti, expiresAt: new Date(claims.exp * 1000).toISOString(),
    },
    ...(confirmed
      ? { confirm: async (changeClock?: number) => void ((await confirmed(changeClock)) || (await partnerByAccessToken(partners, accessTokens, reject, token, false))) }
      : {}),
  };
}

/**
 * Confirms a principal taken from the partner cache unconfirmed before any route acts on it, except under the
 * paths given, whose routes confirm it themselves (the FHIR surface, in the outbound pipeline).
 */
export function confirmPrincipal(confirmedWithin: readonly string[]) {
  const within = (path: string) => confirmedWithin.some((base) => path === base || path.startsWith(`${base}/`));
  return (req: Request, _res: Response, next: NextFunction) => {
    const p = req.principal;
    if (p.type !== 'connection' || !p.confirm || within(req.path)) return next();
    p.confirm().then(() => next(), next);
  };
}

/** The SHA-256 fingerprint (hex, lower case) of a client certificate the TLS layer verified, if any. */
function peerCertificateFingerprint(req: Request): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  return cert?.fingerprint256 ? cert.fingerprint256.replace(/:/g, '').toLowerCase() : undefined;
}
