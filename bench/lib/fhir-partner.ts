/**
 * A FHIR partner of bench/fhir.ts, set up as an administrator and a partner would: organization, fhir
 * connection and public ES256 JWK registered through the admin API, then an access token from POST /oauth/token
 * with a client assertion carrying the UDAP B2B extension (fhir.md §10).
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { SESSION_COOKIE } from '../../gateway/auth/cookies.js';
import { randomToken, sha256 } from '../../gateway/auth/secrets.js';
import type { RootStore } from '../../store/index.js';

export interface AdminSession {
  readonly cookie: string;
  readonly csrf: string;
}

export interface Partner {
  /** The URI the organization is registered under, which the assertion's hl7-b2b.organization_id names. */
  readonly organizationUri: string;
  readonly connectionId: string;
  readonly privateKey: CryptoKey;
  /** The public key's RFC 7638 thumbprint, by which the token endpoint finds the registered key. */
  readonly kid: string;
}

/** Treatment, as a partner's assertion writes it (system#code). */
const TREATMENT = 'urn:oid:2.16.840.1.113883.5.8#TREAT';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A UDAP authentication JWT may live five minutes at most; one minute is what partners typically send. */
const ASSERTION_SECONDS = 60;

/**
 * An administrator with a completed sign-in, written into the store: signing in (password, TOTP) is not what
 * the bench measures, and the admin API then sees an ordinary admin session.
 */
export async function adminSession(store: RootStore): Promise<AdminSession> {
  const id = randomUUID();
  await store.users.create({ id, email: `bench-admin-${id.slice(0, 8)}@bench.invalid`, displayName: 'Bench administrator', kind: 'staff', roles: ['admin'], status: 'active' });
  const secrets = await store.users.secretsById(id);
  if (!secrets) throw new Error('the bench administrator just created is not in the store');
  const token = randomToken();
  const csrf = randomToken(24);
  await store.sessions.create({ idHash: sha256(token), userId: id, securityEpoch: secrets.securityEpoch, stage: 'complete', csrfToken: csrf });
  return { cookie: `${SESSION_COOKIE}=${token}`, csrf };
}

async function adminPost(baseUrl: string, admin: AdminSession, path: string, body: object): Promise<{ id?: string; credential?: { id: string } }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id?: string; credential?: { id: string } };
}

/** Organization, active fhir connection and registered key, through the admin API of the gateway at `baseUrl`. */
export async function registerPartner(baseUrl: string, admin: AdminSession): Promise<Partner> {
  const organizationUri = `https://partner.bench.invalid/fhir/Organization/${randomUUID()}`;
  const organization = await adminPost(baseUrl, admin, '/admin/organizations', {
    name: 'Bench partner hospital', identifiers: [{ system: 'urn:ietf:rfc:3986', value: organizationUri }],
  });
  const connection = await adminPost(baseUrl, admin, `/admin/organizations/${organization.id}/connections`, { kind: 'fhir', name: 'Bench FHIR client' });
  const connectionId = connection.id;
  if (!connectionId) throw new Error('the admin API answered a new connection without its id');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  await adminPost(baseUrl, admin, `/admin/connections/${connectionId}/credentials`, { type: 'jwk', jwk: publicJwk });
  await adminPost(baseUrl, admin, `/admin/connections/${connectionId}/status`, { status: 'active' });
  return { organizationUri, connectionId, privateKey, kid: await calculateJwkThumbprint(publicJwk) };
}

/**
 * A Treatment access token, as a partner gets one: a fresh client assertion (its own jti) signed with the
 * registered key, sent to the token endpoint at `baseUrl`. `publicUrl` is the gateway's configured public
 * address, which the assertion's audience must name.
 */
export async function accessToken(baseUrl: string, publicUrl: string, partner: Partner): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({
    extensions: {
      'hl7-b2b': {
        version: '1', organization_id: partner.organizationUri, organization_name: 'Bench partner hospital', purpose_of_use: [TREATMENT],
        subject_name: 'Dr. B. Enchmark', subject_role: '309343006',
      },
    },
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: partner.kid })
    .setIssuer(partner.connectionId)
    .setSubject(partner.connectionId)
    .setAudience(`${publicUrl}/oauth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_SECONDS)
    .setJti(randomUUID())
    .sign(partner.privateKey);
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, udap: '1', scope: 'system/*.read' }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`POST /oauth/token: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  return body.access_token;
}
