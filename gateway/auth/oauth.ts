import type { Request, Response } from 'express';
import { z } from 'zod';
import type { RootStore } from '../../store/index.js';
import type { RouteSpec } from '../http/routes.js';
import { accessTokens, issueAccessToken } from './access-tokens.js';
import { namesOrganization, readB2bGrant } from './b2b-grant.js';
import { ASSERTION_ALGORITHMS, authenticateClient, JWT_BEARER, type AuthenticatedClient } from './client-assertion.js';
import { OAuthError } from './oauth-error.js';
import type { SecurityEventSink } from './security-events.js';

/**
 * Partners' FHIR access tokens, UDAP B2B style (fhir.md §10): `client_credentials` with a signed client
 * assertion carrying the hl7-b2b extension, answered with a short-lived token bound to one purpose.
 */
export interface OAuthContext {
  readonly store: RootStore;
  readonly events: SecurityEventSink;
  readonly secretKey: Buffer;
  readonly config: { readonly publicUrl: string; readonly fhirTokenSeconds: number };
}

/**
 * Tokens grant reading whatever consent lets out, all resource types alike, so only the wildcard read scopes
 * (SMART v1 and v2 spelling) are offered: a narrower scope would promise a limit nothing enforces.
 */
const SCOPES = ['system/*.read', 'system/*.rs'] as const;
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * RFC 6749 §3.1: a parameter without a value counts as absent, and none may be repeated (urlencoded bodies give a
 * repeated one as an array, which is refused here).
 */
const param = (max: number) => z.preprocess((v) => (v === '' ? undefined : v), z.string({ error: 'must be given once, as a string' }).max(max).optional());
const TokenForm = z.object({
  grant_type: param(100),
  client_assertion_type: param(200),
  client_assertion: param(16_000),
  client_id: param(100),
  udap: param(10),
  scope: param(1000),
});

/** UDAP discovery, minimal. Served at /.well-known/udap; the FHIR surface may serve the same under its base. */
export function udapMetadata(publicUrl: string) {
  return {
    udap_versions_supported: ['1'],
    udap_profiles_supported: ['udap_authz'],
    // Required by UDAP discovery; no certification is asked of clients here.
    udap_certifications_supported: [],
    udap_authorization_extensions_supported: ['hl7-b2b'],
    udap_authorization_extensions_required: ['hl7-b2b'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: [...SCOPES],
    token_endpoint: `${publicUrl}/oauth/token`,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
  };
}

interface TokenRequest {
  readonly assertion: string;
  readonly clientId?: string;
  readonly scope?: string;
}

function readForm(req: Request): TokenRequest {
  if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError('invalid_request', 'send the token request as application/x-www-form-urlencoded');
  const parsed = TokenForm.safeParse(req.body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OAuthError('invalid_request', `${issue.path.map(String).join('.')} ${issue.message}`);
  }
  const form = parsed.data;
  if (!form.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
  if (form.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');
  if (form.client_assertion_type !== JWT_BEARER) throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER}`);
  if (!form.client_assertion) throw new OAuthError('invalid_request', 'client_assertion is required: a JWT signed with your registered key');
  if (form.udap !== '1') throw new OAuthError('invalid_request', 'udap=1 is required');
  return { assertion: form.client_assertion, clientId: form.client_id, scope: form.scope };
}

function grantedScope(requested: string | undefined): string {
  const asked = (requested ?? '').split(' ').filter((s) => s !== '');
  if (asked.length === 0) return SCOPES[0];
  const unknown = asked.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `scope ${unknown.join(' ')} is not offered; ask for ${SCOPES.join(' or ')}`);
  return asked.join(' ');
}

export function oauthRoutes(ctx: OAuthContext): RouteSpec[] {
  const { store, events } = ctx;
  const tokens = accessTokens(ctx);
  const tokenEndpoint = `${ctx.config.publicUrl}/oauth/token`;

  /**
   * A refusal on the trail. Once the client assertion has verified, the request is that partner's: it is the actor
   * (so the trail finds it under its organization), and what was wrong is its grant, not its credentials, so it is
   * not counted as a rejected credential.
   */
  async function refuse(req: Request, res: Response, error: OAuthError, client: AuthenticatedClient | undefined): Promise<void> {
    const connectionId = error.connectionId ?? client?.connection.id;
    const credentialId = error.credentialId ?? client?.key.credentialId;
    if (connectionId && !client) await store.connections.recordFailedAuth(connectionId);
    await events.record({
      type: 'partner-auth-failed', outcome: 'failure',
      ...(client ? { actor: { connectionId: client.connection.id, organizationId: client.connection.organizationId } } : {}),
      ...(connectionId ? { subject: { connectionId, ...(credentialId ? { credentialId } : {}) } } : {}),
      detail: { endpoint: 'oauth-token', error: error.code, reason: error.message },
      requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
    });
    res.status(error.status).set(NO_STORE).json({ error: error.code, error_description: error.message });
  }

  return [
    {
      method: 'post', path: '/oauth/token', access: { public: true },
      summary: 'UDAP B2B token endpoint: client_credentials with a signed client assertion; a FHIR access token for one purpose',
      async handler(req, res) {
        let client: AuthenticatedClient | undefined;
        try {
          const form = readForm(req);
          client = await authenticateClient(store, form.assertion, tokenEndpoint, form.clientId);
          const scope = grantedScope(form.scope);
          const grant = readB2bGrant(client.claims.extensions);
          const organization = await store.organizations.get(client.connection.organizationId);
          if (!organization || !namesOrganization(organization, grant.organizationUri)) {
            throw new OAuthError('invalid_grant', 'extensions.hl7-b2b.organization_id does not name the organization this client is registered for');
          }
          const issued = await issueAccessToken(tokens, {
            organizationId: organization.id, connectionId: client.connection.id, tokenEpoch: client.tokenEpoch, credentialId: client.key.credentialId,
            keyThumbprint: client.key.thumbprint, purpose: grant.purpose, purposeCodes: [...grant.purposeCodes],
            ...(grant.person ? { person: grant.person } : {}),
          }, scope);
          req.log.info({ connectionId: client.connection.id, credentialId: client.key.credentialId, tokenId: issued.tokenId, purpose: grant.purpose }, 'access token issued');
          res.set(NO_STORE).json({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope });
        } catch (error) {
          if (!(error instanceof OAuthError)) throw error;
          await refuse(req, res, error, client);
        }
      },
    },
    {
      // Not yet signed_metadata, nor the X.509 certificates UDAP trust is built on: partners are registered by an
      // administrator with a public JWK, so there is no community trust anchor or dynamic registration to describe.
      method: 'get', path: '/.well-known/udap', access: { public: true }, summary: 'UDAP server metadata (unsigned): the token endpoint and what it accepts',
      handler: (_req, res) => void res.json(udapMetadata(ctx.config.publicUrl)),
    },
  ];
}
