import { randomInt, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import request from 'supertest';
import type { ConnectionKind } from '../../canonical/index.js';
import type { createApp } from '../../gateway/http/app.js';
import type { TestSession } from './people.js';

/** A partner as UDAP B2B sees it: an organization, a connection, and a key pair whose public half is registered. */
export interface TestPartner {
  readonly organizationId: string;
  /** A URI the organization is registered under (identifier system urn:ietf:rfc:3986). */
  readonly organizationUri: string;
  readonly homeCommunityId: string;
  readonly connectionId: string;
  readonly credentialId: string;
  readonly privateKey: CryptoKey;
  readonly kid: string;
}

type App = ReturnType<typeof createApp>;

export const TREAT = 'urn:oid:2.16.840.1.113883.5.8#TREAT';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An ES256 key pair and its RFC 7638 thumbprint. */
export async function aKeyPair(): Promise<{ privateKey: CryptoKey; publicJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, kid: await calculateJwkThumbprint(publicJwk) };
}

/** Registers a public JWK on a connection through the admin API; returns the credential id. */
export async function registerKey(app: App, admin: TestSession, connectionId: string, publicJwk: JWK): Promise<string> {
  const res = await request(app).post(`/admin/connections/${connectionId}/credentials`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf)
    .send({ type: 'jwk', jwk: publicJwk, overlapSeconds: 3600 }).expect(201);
  return res.body.credential.id as string;
}

/** Organization, connection (active unless told otherwise) and a registered key, all through the admin API. */
export async function registerPartner(app: App, admin: TestSession, options: { kind?: ConnectionKind; status?: 'active' | 'pending' } = {}): Promise<TestPartner> {
  const as = (r: request.Test) => r.set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
  const n = randomInt(1, 2 ** 31);
  const organizationUri = `https://partner-${n}.example/fhir/Organization/${n}`;
  const homeCommunityId = `urn:oid:2.16.840.1.113883.3.9999.${n}`;
  const org = await as(request(app).post('/admin/organizations'))
    .send({ name: `Partner ${n}`, homeCommunityId, identifiers: [{ system: 'urn:ietf:rfc:3986', value: organizationUri }] }).expect(201);
  const conn = await as(request(app).post(`/admin/organizations/${org.body.id}/connections`)).send({ kind: options.kind ?? 'fhir', name: `FHIR client ${n}` }).expect(201);
  const { privateKey, publicJwk, kid } = await aKeyPair();
  const credentialId = await registerKey(app, admin, conn.body.id, publicJwk);
  if ((options.status ?? 'active') === 'active') await as(request(app).post(`/admin/connections/${conn.body.id}/status`)).send({ status: 'active' }).expect(200);
  return { organizationId: org.body.id, organizationUri, homeCommunityId, connectionId: conn.body.id, credentialId, privateKey, kid };
}

/** The claims of a valid client assertion for a Treatment token; a test overrides what it is about. */
export function assertionClaims(partner: TestPartner, tokenEndpoint: string, b2b: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: partner.connectionId, sub: partner.connectionId, aud: tokenEndpoint, iat: now, exp: now + 60, jti: randomUUID(),
    extensions: {
      'hl7-b2b': {
        version: '1', organization_id: partner.organizationUri, organization_name: 'Partner', purpose_of_use: [TREAT],
        subject_name: 'Dr. A. Jansen', subject_id: '1234567893', subject_role: '207Q00000X', ...b2b,
      },
    },
  };
}

/** Signs claims as the partner does: ES256, `kid` its key's thumbprint (unless the header says otherwise). */
export function signAssertion(claims: JWTPayload, key: CryptoKey | Uint8Array, header: { alg?: string; kid?: string | undefined } = {}): Promise<string> {
  const { alg = 'ES256', ...rest } = header;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...rest }).sign(key);
}

export function tokenRequest(app: App, assertion: string, extra: Record<string, string> = {}): request.Test {
  return request(app).post('/oauth/token').type('form')
    .send({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, udap: '1', ...extra });
}

/** A FHIR access token for the partner, the way a partner gets one. */
export async function accessTokenFor(app: App, partner: TestPartner, tokenEndpoint: string, b2b: Record<string, unknown> = {}): Promise<string> {
  const assertion = await signAssertion(assertionClaims(partner, tokenEndpoint, b2b), partner.privateKey, { kid: partner.kid });
  const res = await tokenRequest(app, assertion).expect(200);
  return res.body.access_token as string;
}
