import { randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor, type TestSession } from './support/people.js';
import { aKeyPair, accessTokenFor, assertionClaims, registerKey, registerPartner, signAssertion, tokenRequest, TREAT, type TestPartner } from './support/udap.js';
import { createApp, type Surface } from '../gateway/http/app.js';
import { declareRoutes } from '../gateway/http/routes.js';
import { accessTokenKeys } from '../gateway/auth/access-tokens.js';
import type { RootStore } from '../store/index.js';

const PUBLIC_URL = 'https://gateway.test';
const TOKEN_ENDPOINT = `${PUBLIC_URL}/oauth/token`;
const FHIR_BASE = `${PUBLIC_URL}/fhir/R4`;
const HPAYMT = 'urn:oid:2.16.840.1.113883.5.8#HPAYMT';
const NHIN_TREATMENT = 'urn:oid:2.16.840.1.113883.3.18.7.1#TREATMENT';

/** A route a FHIR partner may call that answers with the principal authentication established: test only. */
const whoami: Surface = {
  name: 'whoami', mountPath: '/test-whoami',
  router: () => declareRoutes('/test-whoami', [{
    method: 'get', path: '/', access: { connections: ['fhir', 'carequality'] }, summary: 'test: who is calling',
    handler: (req, res) => void res.json(req.principal),
  }], []),
};

let t: TestStore;
let deps: ReturnType<typeof testDeps>;
let app: ReturnType<typeof createApp>;
let admin: TestSession;
let partner: TestPartner;
const as = (r: request.Test) => r.set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
const who = (token: string, on = app) => request(on).get('/test-whoami').set('Authorization', `Bearer ${token}`);

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store, { CROSSGATE_PUBLIC_URL: PUBLIC_URL });
  app = createApp(deps, [whoami]);
  admin = await sessionFor(t.store, { roles: ['admin'] });
  partner = await registerPartner(app, admin);
});
afterAll(async () => t.close());

/** A signed assertion for `partner`, the claims changed by `change`. */
async function assertion(change: (claims: JWTPayload) => JWTPayload = (c) => c, p: TestPartner = partner): Promise<string> {
  return signAssertion(change(assertionClaims(p, TOKEN_ENDPOINT)), p.privateKey, { kid: p.kid });
}
const withB2b = (b2b: Record<string, unknown>) => (c: JWTPayload) => ({ ...c, extensions: { 'hl7-b2b': { ...(c.extensions as Record<string, Record<string, unknown>>)['hl7-b2b'], ...b2b } } });

function expectOAuthError(res: request.Response, error: string, description: RegExp): void {
  expect({ status: res.status, error: res.body.error, cacheControl: res.headers['cache-control'] })
    .toEqual({ status: error === 'invalid_client' ? 401 : 400, error, cacheControl: 'no-store' });
  expect(res.body.error_description).toMatch(description);
}

describe(`UDAP B2B token endpoint on ${engineUnderTest}`, () => {
  it('publishes minimal UDAP metadata', async () => {
    const res = await request(app).get('/.well-known/udap').expect(200);
    expect(res.body).toMatchObject({
      udap_versions_supported: ['1'], udap_profiles_supported: ['udap_authz'], grant_types_supported: ['client_credentials'],
      token_endpoint: TOKEN_ENDPOINT, token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'ES256', 'ES384', 'EdDSA'],
      udap_authorization_extensions_required: ['hl7-b2b'],
    });
    expect(res.body.scopes_supported).toContain('system/*.read');
    expect(res.body.signed_metadata).toBeUndefined();
  });

  it('exchanges a valid assertion for a token that authenticates the connection with its grant', async () => {
    const res = await tokenRequest(app, await assertion()).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'system/*.read' });
    const token = res.body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: PUBLIC_URL, aud: FHIR_BASE, sub: partner.connectionId, jti: expect.any(String),
      crossgate: {
        organizationId: partner.organizationId, connectionId: partner.connectionId, credentialId: partner.credentialId, purpose: 'Treatment',
        purposeCodes: [TREAT], person: { name: 'Dr. A. Jansen', id: '1234567893', role: '207Q00000X' },
      },
    });
    expect(claims.exp! - claims.iat!).toBe(900);

    const principal = await who(token).expect(200);
    expect(principal.body).toMatchObject({
      type: 'connection', connection: { id: partner.connectionId, kind: 'fhir', status: 'active' }, credentialId: partner.credentialId,
      grant: {
        purpose: { outcome: 'matched', purpose: 'Treatment', received: [{ system: 'urn:oid:2.16.840.1.113883.5.8', code: 'TREAT' }] },
        purposeCodes: [TREAT], person: { name: 'Dr. A. Jansen', id: '1234567893', role: '207Q00000X' },
        tokenId: claims.jti, expiresAt: new Date(claims.exp! * 1000).toISOString(),
      },
    });
    // A route for people still refuses the partner: authenticated, then not allowed.
    await request(app).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(403);
  });

  it('accepts an assertion without kid, the home community id as organization_id, one purpose in two spellings, and the v2 scope', async () => {
    const claims = withB2b({ organization_id: partner.homeCommunityId, purpose_of_use: [TREAT, NHIN_TREATMENT] })(assertionClaims(partner, TOKEN_ENDPOINT));
    const res = await tokenRequest(app, await signAssertion(claims, partner.privateKey), { scope: 'system/*.rs', client_id: partner.connectionId }).expect(200);
    expect(res.body.scope).toBe('system/*.rs');
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ crossgate: { purpose: 'Treatment', purposeCodes: [TREAT, NHIN_TREATMENT] } });
  });

  it('accepts RSA and Ed25519 keys as well, and refuses an alg that does not fit the key without failing', async () => {
    const p = await registerPartner(app, admin);
    for (const alg of ['RS384', 'EdDSA'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      await registerKey(app, admin, p.connectionId, jwk);
      const claims = assertionClaims(p, TOKEN_ENDPOINT);
      await tokenRequest(app, await signAssertion(claims, privateKey, { alg, kid: await calculateJwkThumbprint(jwk) })).expect(200);
    }
    // RS256 over an EC key's kid: that key cannot have made the signature.
    const { privateKey: rsa } = await generateKeyPair('RS256');
    expectOAuthError(await tokenRequest(app, await signAssertion(assertionClaims(p, TOKEN_ENDPOINT), rsa, { alg: 'RS256', kid: p.kid })), 'invalid_client', /signature does not verify/);
  });

  it('gives a carequality connection tokens too, and refuses his and lab connections', async () => {
    const cq = await registerPartner(app, admin, { kind: 'carequality' });
    const token = await accessTokenFor(app, cq, TOKEN_ENDPOINT);
    await who(token).expect(200);
    const his = await registerPartner(app, admin, { kind: 'his' });
    expectOAuthError(await tokenRequest(app, await assertion(undefined, his)), 'unauthorized_client', /his connection may not obtain FHIR access tokens/);
  });

  describe('refuses a malformed request', () => {
    it.each([
      ['no grant_type', { grant_type: '' }, 'invalid_request', /grant_type/],
      ['another grant type', { grant_type: 'password' }, 'unsupported_grant_type', /client_credentials/],
      ['another assertion type', { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }, 'invalid_request', /client_assertion_type/],
      ['no udap=1', { udap: '2' }, 'invalid_request', /udap=1/],
      ['a scope we do not offer', { scope: 'system/Patient.read' }, 'invalid_scope', /system\/Patient\.read is not offered/],
      ['client_id that is not the issuer', { client_id: randomUUID() }, 'invalid_client', /client_id differs/],
    ])('%s', async (_name, extra, error, description) => {
      expectOAuthError(await tokenRequest(app, await assertion(), extra), error, description);
    });

    it('a body that is not a form, and a repeated parameter', async () => {
      expectOAuthError(await request(app).post('/oauth/token').send({ grant_type: 'client_credentials' }), 'invalid_request', /x-www-form-urlencoded/);
      const repeated = await request(app).post('/oauth/token').type('form').send(`grant_type=client_credentials&grant_type=client_credentials&udap=1`);
      expectOAuthError(repeated, 'invalid_request', /grant_type must be given once/);
    });
  });

  describe('refuses a client assertion that does not authenticate the client (invalid_client)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('expired', async () => {
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iat: now() - 250, exp: now() - 100 }))), 'invalid_client', /expired.*"exp"/);
    });

    it('living longer than five minutes', async () => {
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iat: now(), exp: now() + 301 }))), 'invalid_client', /lifetime \(exp - iat\) exceeds 300 seconds/);
    });

    it('without exp, iat or jti', async () => {
      for (const claim of ['exp', 'iat', 'jti']) {
        const res = await tokenRequest(app, await assertion((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== claim))));
        expectOAuthError(res, 'invalid_client', new RegExp(`missing required "${claim}" claim`));
      }
    });

    it('for another audience, or for several', async () => {
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, aud: FHIR_BASE }))), 'invalid_client', /"aud"/);
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, aud: [TOKEN_ENDPOINT, 'https://elsewhere.example/token'] }))), 'invalid_client', /aud: must be the token endpoint URL/);
    });

    it('whose sub is not its iss, or whose iss is not a connection id', async () => {
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, sub: randomUUID() }))), 'invalid_client', /"sub"/);
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iss: 'partner.example', sub: 'partner.example' }))), 'invalid_client', /iss must be the client_id/);
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iss: randomUUID() }))), 'invalid_client', /^unknown client$/);
    });

    it('naming another connection as issuer, signed with this one\'s key', async () => {
      const other = await registerPartner(app, admin);
      const claims = { ...assertionClaims(partner, TOKEN_ENDPOINT), iss: other.connectionId, sub: other.connectionId };
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, partner.privateKey, { kid: partner.kid })), 'invalid_client', /kid names no key registered/);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, partner.privateKey)), 'invalid_client', /signature does not verify/);
    });

    it('signed by a key that was never registered', async () => {
      const stranger = await aKeyPair();
      const claims = assertionClaims(partner, TOKEN_ENDPOINT);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, stranger.privateKey, { kid: stranger.kid })), 'invalid_client', /kid names no key registered/);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, stranger.privateKey)), 'invalid_client', /signature does not verify/);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, stranger.privateKey, { kid: partner.kid })), 'invalid_client', /signature does not verify/);
    });

    it('signed by a revoked credential', async () => {
      const second = await aKeyPair();
      const credentialId = await registerKey(app, admin, partner.connectionId, second.publicJwk);
      await as(request(app).post(`/admin/connections/${partner.connectionId}/credentials/${credentialId}/revoke`)).expect(200);
      const claims = assertionClaims(partner, TOKEN_ENDPOINT);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, second.privateKey, { kid: second.kid })), 'invalid_client', /revoked or expired/);
      expectOAuthError(await tokenRequest(app, await signAssertion(claims, second.privateKey)), 'invalid_client', /revoked or expired/);
      // The partner's first key still works.
      await tokenRequest(app, await assertion()).expect(200);
    });

    it('with alg none, or HS256 keyed with the public key', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = assertionClaims(partner, TOKEN_ENDPOINT);
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      expectOAuthError(await tokenRequest(app, unsigned), 'invalid_client', /alg none is not accepted/);
      const registered = (await t.store.oauth.clientKeys(partner.connectionId)).find((k) => k.thumbprint === partner.kid)!;
      for (const secret of [JSON.stringify(registered.publicJwk), `${registered.publicJwk.x}`]) {
        const forged = await signAssertion(claims, new TextEncoder().encode(secret), { alg: 'HS256', kid: partner.kid });
        expectOAuthError(await tokenRequest(app, forged), 'invalid_client', /alg HS256 is not accepted/);
      }
      expectOAuthError(await tokenRequest(app, 'not-a-jwt'), 'invalid_client', /not a signed JWT/);
    });

    it('used a second time, in this process or another one sharing the database', async () => {
      const once = await assertion();
      await tokenRequest(app, once).expect(200);
      expectOAuthError(await tokenRequest(app, once), 'invalid_client', /jti was used before/);
      const otherProcess = createApp({ ...deps }, [whoami]);
      expectOAuthError(await tokenRequest(otherProcess, once), 'invalid_client', /jti was used before/);
      // A fresh jti is fine.
      await tokenRequest(otherProcess, await assertion()).expect(200);
    });

    it('from a connection not active', async () => {
      const pending = await registerPartner(app, admin, { status: 'pending' });
      expectOAuthError(await tokenRequest(app, await assertion(undefined, pending)), 'invalid_client', /connection is pending/);
    });
  });

  describe('refuses a grant the client may not have (invalid_grant)', () => {
    it('without the hl7-b2b extension', async () => {
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, extensions: undefined }))), 'invalid_grant', /extensions\.hl7-b2b is required/);
      expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, extensions: { 'tefca-ias': {} } }))), 'invalid_grant', /extensions\.hl7-b2b is required/);
      expectOAuthError(await tokenRequest(app, await assertion(withB2b({ version: '2' }))), 'invalid_grant', /hl7-b2b\.version must be "1"/);
    });

    it('without a purpose', async () => {
      expectOAuthError(await tokenRequest(app, await assertion(withB2b({ purpose_of_use: [] }))), 'invalid_grant', /purpose_of_use is empty/);
      expectOAuthError(await tokenRequest(app, await assertion(withB2b({ purpose_of_use: undefined }))), 'invalid_grant', /purpose_of_use is required/);
    });

    it('with a purpose we do not know', async () => {
      for (const code of ['urn:oid:2.16.840.1.113883.5.8#ETREAT', 'TREAT', 'urn:oid:2.16.840.1.113883.3.18.7.1#RESEARCH']) {
        expectOAuthError(await tokenRequest(app, await assertion(withB2b({ purpose_of_use: [code] }))), 'invalid_grant', /purpose_of_use holds a code we do not accept/);
      }
    });

    it('with two different purposes', async () => {
      expectOAuthError(await tokenRequest(app, await assertion(withB2b({ purpose_of_use: [TREAT, HPAYMT] }))), 'invalid_grant', /several purposes \(Treatment, Payment\); one token is for one purpose/);
    });

    it('on behalf of an organization that is not the connection\'s', async () => {
      const other = await registerPartner(app, admin);
      for (const organization_id of [other.organizationUri, other.homeCommunityId, 'https://unknown.example/Organization/1']) {
        expectOAuthError(await tokenRequest(app, await assertion(withB2b({ organization_id }))), 'invalid_grant', /organization_id does not name the organization/);
      }
      expectOAuthError(await tokenRequest(app, await assertion(withB2b({ organization_id: 'not a uri' }))), 'invalid_grant', /organization_id must be a URI/);
    });
  });

  it('records every refusal as a security event: a verified client as its actor, a rejected credential counted against the connection it names', async () => {
    const target = await registerPartner(app, admin);
    const before = deps.securityEvents.length;
    expectOAuthError(await tokenRequest(app, await assertion(withB2b({ purpose_of_use: [TREAT, HPAYMT] }), target)), 'invalid_grant', /several purposes/);
    const now = Math.floor(Date.now() / 1000);
    expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iat: now - 600, exp: now - 300 }), target)), 'invalid_client', /"exp"/);
    expectOAuthError(await tokenRequest(app, await assertion((c) => ({ ...c, iss: randomUUID() }), target)), 'invalid_client', /unknown client/);
    const events = deps.securityEvents.slice(before);
    const verified = { connectionId: target.connectionId, credentialId: target.credentialId };
    expect(events).toEqual([
      expect.objectContaining({
        type: 'partner-auth-failed', outcome: 'failure', actor: { connectionId: target.connectionId, organizationId: target.organizationId }, subject: verified,
        detail: expect.objectContaining({ error: 'invalid_grant' }),
      }),
      expect.objectContaining({ type: 'partner-auth-failed', outcome: 'failure', subject: expect.objectContaining({ connectionId: target.connectionId }), detail: expect.objectContaining({ error: 'invalid_client' }) }),
      expect.objectContaining({ type: 'partner-auth-failed', outcome: 'failure', detail: expect.objectContaining({ error: 'invalid_client', reason: 'unknown client' }) }),
    ]);
    expect(events[1]!.actor).toBeUndefined();
    expect(events[2]!.subject).toBeUndefined();
    // The grant was wrong, not the credential: only the expired assertion counts.
    expect((await t.store.connections.get(target.connectionId))!.failedAuthCount).toBe(1);
  });
});

describe(`FHIR access tokens on ${engineUnderTest}`, () => {
  /** Re-signs a real token's claims, changed, with the gateway's own key: what only a holder of the secret could do. */
  async function reissued(token: string, change: (claims: JWTPayload) => JWTPayload, secretKey = deps.secretKey): Promise<string> {
    const keys = accessTokenKeys(secretKey);
    return new SignJWT(change(decodeJwt(token))).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.keyId }).sign(keys.privateKey);
  }
  const invalidToken = async (res: request.Test) => {
    const r = await res.expect(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="crossgate", error="invalid_token"');
  };

  const setStatus = (p: TestPartner, status: 'active' | 'suspended') => as(request(app).post(`/admin/connections/${p.connectionId}/status`)).send({ status }).expect(200);
  /** The refusal as the trail holds it: a security event naming the connection, for the request refused. */
  async function expectAuditedRefusal(p: TestPartner, refused: request.Response, reason: RegExp): Promise<void> {
    const trail = await t.store.audit.search({ transaction: 'security', outcome: 'failure', limit: 20 });
    const record = trail.find((r) => r.requestId === refused.headers['x-request-id']);
    expect(record).toMatchObject({ action: 'partner-auth-failed', connectionId: null });
    expect(JSON.parse(record!.body)).toMatchObject({ subject: { connectionId: p.connectionId }, detail: { reason: expect.stringMatching(reason) } });
  }

  it('stops working when the connection is suspended, in every process, and stays refused once it is reactivated, where a new token works', async () => {
    const p = await registerPartner(app, admin);
    const token = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    const otherProcess = createApp({ ...deps }, [whoami]);
    await who(token, otherProcess).expect(200);
    await setStatus(p, 'suspended');
    await invalidToken(who(token));
    await invalidToken(who(token, otherProcess));
    expectOAuthError(await tokenRequest(app, await assertion(undefined, p)), 'invalid_client', /connection is suspended/);
    await setStatus(p, 'active');
    // Obtained at once, most likely in the very second of the suspension and the reactivation: it works all the same.
    const renewed = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    const failedBefore = (await t.store.connections.get(p.connectionId))!.failedAuthCount;
    await invalidToken(who(token));
    await invalidToken(who(token, otherProcess));
    await expectAuditedRefusal(p, await who(token), /issued before its connection was last suspended/);
    expect((await t.store.connections.get(p.connectionId))!.failedAuthCount).toBe(failedBefore + 3);
    await who(renewed).expect(200);
    await who(renewed, otherProcess).expect(200);

    // Each suspension ends the tokens issued before it, those issued after an earlier reactivation as well.
    await setStatus(p, 'suspended');
    await setStatus(p, 'active');
    await invalidToken(who(renewed));
    await invalidToken(who(token));
    await who(await accessTokenFor(app, p, TOKEN_ENDPOINT)).expect(200);
  });

  /** Runs `use` with a second gateway process that hears of every change half a second late, counting its clock reads. */
  async function inLateProcess(use: (lateApp: ReturnType<typeof createApp>, clock: { reads: number }) => Promise<void>): Promise<void> {
    const clock = { reads: 0 };
    const late: RootStore = {
      ...t.store,
      notifiesBeforeCommitReturns: false,
      listen: (channel, onMessage, onLost) => t.store.listen(channel, (payload) => void setTimeout(() => onMessage(payload), 500), onLost),
      changeClock: () => { clock.reads += 1; return t.store.changeClock(); },
    };
    const lateDeps = testDeps(late, { CROSSGATE_PUBLIC_URL: PUBLIC_URL });
    await lateDeps.consent.ready();
    try {
      await use(createApp({ ...lateDeps, secretKey: deps.secretKey }), clock);
    } finally {
      await lateDeps.consent.close();
    }
  }

  it('stops a FHIR request at once when its connection was suspended in a process that has not heard of it yet', () => inLateProcess(async (lateApp, clock) => {
    const p = await registerPartner(app, admin);
    const token = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    const read = () => request(lateApp).get(`/fhir/R4/Patient/${randomUUID()}`).set('Authorization', `Bearer ${token}`);
    await new Promise((r) => setTimeout(r, 700));
    await read().expect(404);
    // The credential now comes from the cache, confirmed by the clock the patient lookup read: no read of its own.
    clock.reads = 0;
    await read().expect(404);
    expect(clock.reads).toBe(0);

    await as(request(app).post(`/admin/connections/${p.connectionId}/status`)).send({ status: 'suspended' }).expect(200);
    const refused = await read().expect(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="crossgate", error="invalid_token"');
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    const [record] = await t.store.audit.search({ organizationId: p.organizationId, transaction: 'fhir-read', limit: 1 });
    expect(record).toMatchObject({ outcome: 'failure' });
    expect(JSON.parse(record!.body).decision.reason).toBe('no decision: invalid or expired credentials');

    // Refused before any lookup (a malformed _count): the credential is confirmed before the trail names the partner.
    const malformed = await request(lateApp).get('/fhir/R4/Observation?patient=x&_count=many').set('Authorization', `Bearer ${token}`).expect(401);
    expect(malformed.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    const [search] = await t.store.audit.search({ organizationId: p.organizationId, transaction: 'fhir-search', limit: 1 });
    expect(search).toMatchObject({ outcome: 'failure', requestId: malformed.headers['x-request-id'] });
    expect(JSON.parse(search!.body).decision.reason).toBe('no decision: invalid or expired credentials');
  }));

  it('stays refused in a process that hears of the suspension and the reactivation only later', () => inLateProcess(async (lateApp) => {
    const p = await registerPartner(app, admin);
    const token = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    const read = (bearer: string) => request(lateApp).get(`/fhir/R4/Patient/${randomUUID()}`).set('Authorization', `Bearer ${bearer}`);
    await new Promise((r) => setTimeout(r, 700));
    // Now cached in the late process as active, as it still is when the reactivation is done.
    await read(token).expect(404);
    await setStatus(p, 'suspended');
    await setStatus(p, 'active');

    const refused = await read(token).expect(401);
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    const [record] = await t.store.audit.search({ organizationId: p.organizationId, transaction: 'fhir-read', limit: 1 });
    expect(record).toMatchObject({ outcome: 'failure', requestId: refused.headers['x-request-id'] });
    expect(JSON.parse(record!.body).decision.reason).toBe('no decision: invalid or expired credentials');
    await expectAuditedRefusal(p, refused, /issued before its connection was last suspended/);
    await read(await accessTokenFor(app, p, TOKEN_ENDPOINT)).expect(404);
  }));

  it('stops working when its credential is revoked, for good: the key cannot be registered again, and a new key\'s tokens work', async () => {
    const p = await registerPartner(app, admin);
    const token = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    await as(request(app).post(`/admin/connections/${p.connectionId}/credentials/${p.credentialId}/revoke`)).expect(200);
    await invalidToken(who(token));
    const { kty, crv, x, y } = await exportJWK(p.privateKey);
    await as(request(app).post(`/admin/connections/${p.connectionId}/credentials`)).send({ type: 'jwk', jwk: { kty, crv, x, y } }).expect(409);
    const next = await aKeyPair();
    const credentialId = await registerKey(app, admin, p.connectionId, next.publicJwk);
    await who(await accessTokenFor(app, { ...p, credentialId, privateKey: next.privateKey, kid: next.kid }, TOKEN_ENDPOINT)).expect(200);
    await expectAuditedRefusal(p, await who(token), /credential revoked or expired/);
  });

  it('is refused expired, for another audience or issuer, tampered with, or signed under another secret', async () => {
    const token = await accessTokenFor(app, partner, TOKEN_ENDPOINT);
    const now = Math.floor(Date.now() / 1000);
    await who(await reissued(token, (c) => c)).expect(200);
    await invalidToken(who(await reissued(token, (c) => ({ ...c, iat: now - 1000, exp: now - 10 }))));
    await invalidToken(who(await reissued(token, (c) => ({ ...c, aud: `${PUBLIC_URL}/other` }))));
    await invalidToken(who(await reissued(token, (c) => ({ ...c, iss: 'https://elsewhere.example' }))));
    await invalidToken(who(await reissued(token, (c) => c, randomBytes(32))));

    const [header, , signature] = token.split('.');
    const payload = decodeJwt(token) as JWTPayload & { crossgate: Record<string, unknown> };
    const widened = Buffer.from(JSON.stringify({ ...payload, crossgate: { ...payload.crossgate, purpose: 'Payment', purposeCodes: [HPAYMT] } })).toString('base64url');
    await invalidToken(who(`${header}.${widened}.${signature}`));
    await invalidToken(who(`${header}.${token.split('.')[1]}.${signature!.slice(0, -4)}AAAA`));

    // On the FHIR surface the refusal is an OperationOutcome, though authentication refuses before its router.
    const fhir = await request(app).get(`/fhir/R4/Patient/${randomUUID()}`).set('Authorization', `Bearer ${header}.${widened}.${signature}`).expect(401);
    expect(fhir.headers['www-authenticate']).toBe('Bearer realm="crossgate", error="invalid_token"');
    expect(fhir.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(fhir.body).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'invalid or expired credentials' }] });

    // Another scheme is no Bearer token at all: challenged without an error code (RFC 6750 §3.1), and said so.
    const basic = await request(app).get(`/fhir/R4/Patient/${randomUUID()}`).set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`).expect(401);
    expect(basic.headers['www-authenticate']).toBe('Bearer realm="crossgate"');
    expect(basic.body.issue[0]).toMatchObject({ code: 'login', diagnostics: 'only Bearer credentials are accepted here (Authorization: Bearer <token>)' });
    const none = await request(app).get(`/fhir/R4/Patient/${randomUUID()}`).expect(401);
    expect(none.body.issue[0].diagnostics).toBe('authentication required: an access token (Authorization: Bearer) or a signed-in session');
  });

  it('is refused when its purpose codes no longer match the purpose it names', async () => {
    const token = await accessTokenFor(app, partner, TOKEN_ENDPOINT);
    await invalidToken(who(await reissued(token, (c) => ({ ...c, crossgate: { ...(c.crossgate as object), purpose: 'Payment' } }))));
  });

  it('counts a refused token against the connection its verified claims name', async () => {
    const p = await registerPartner(app, admin);
    const token = await accessTokenFor(app, p, TOKEN_ENDPOINT);
    const now = Math.floor(Date.now() / 1000);
    await invalidToken(who(await reissued(token, (c) => ({ ...c, iat: now - 1000, exp: now - 10 }))));
    expect((await t.store.connections.get(p.connectionId))!.failedAuthCount).toBe(1);
    expect(deps.securityEvents.at(-1)).toMatchObject({ type: 'partner-auth-failed', subject: { connectionId: p.connectionId }, detail: { reason: expect.stringMatching(/"exp"/) } });
  });
});

describe(`used client assertion ids on ${engineUnderTest}`, () => {
  it('lets one of several racing uses of a jti win, takes an expired one back, and sweeps expired rows', async () => {
    const id = partner.connectionId;
    const soon = () => new Date(Date.now() + 60_000);
    const jti = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => t.store.oauth.useAssertion(id, jti, soon())));
    expect(results.filter(Boolean)).toHaveLength(1);

    const old = randomUUID();
    await t.db.query('INSERT INTO oauth_used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3), ($1, $4, $3)', [id, old, new Date(Date.now() - 1000).toISOString(), 'stale']);
    expect(await t.store.oauth.useAssertion(id, old, soon())).toBe(true);
    expect(await t.store.oauth.useAssertion(id, old, soon())).toBe(false);
    expect(await t.db.query('SELECT jti FROM oauth_used_assertions WHERE expires_at <= now()')).toEqual([]);
  });

  it('answers a batch of uses in one statement: each in order, a repeat within the batch and an unexpired earlier use are replays', async () => {
    const id = partner.connectionId;
    const soon = new Date(Date.now() + 60_000);
    const [a, b, before] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await t.store.oauth.useAssertion(id, before, soon)).toBe(true);
    const stale = randomUUID();
    await t.db.query('INSERT INTO oauth_used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)', [id, stale, new Date(Date.now() - 1000).toISOString()]);
    const uses = [a, before, b, a, stale, b].map((jti) => ({ clientId: id.toUpperCase(), jti, expiresAt: soon }));
    expect(await t.store.oauth.useAssertions(uses)).toEqual([true, false, true, false, true, false]);
    expect(await t.store.oauth.useAssertions([])).toEqual([]);
    const kept = await t.db.query<{ jti: string; expires_at: string }>('SELECT jti, expires_at FROM oauth_used_assertions WHERE jti = ANY($1)', [[a, b, stale]]);
    expect(kept.map((r) => r.jti).sort()).toEqual([a, b, stale].sort());
    expect(kept.every((r) => new Date(r.expires_at).getTime() === soon.getTime())).toBe(true);
  });
});
