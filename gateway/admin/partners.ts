import { createHash, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { ConnectionKind, Identifier } from '../../canonical/index.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { randomToken, sha256 } from '../auth/secrets.js';
import type { SecurityEvent } from '../auth/security-events.js';
import { storeCall, type AdminContext } from './people.js';

const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

const OrganizationBody = z.object({
  name: z.string().trim().min(1).max(300),
  identifiers: z.array(z.object({ system: z.string().min(1).max(300), value: z.string().trim().min(1).max(200) }).strict()).max(20).default([]),
  homeCommunityId: z.string().regex(/^(urn:oid:)?[0-2](\.(0|[1-9]\d*))+$/, 'must be an OID (urn:oid: optional)').optional(),
}).strict();
const ConnectionBody = z.object({ kind: ConnectionKind, name: z.string().trim().min(1).max(200) }).strict();
const StatusBody = z.object({ status: z.enum(['active', 'suspended']) }).strict();
const CredentialBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token'), label: z.string().max(200).optional(), overlapSeconds: z.number().int().min(0).max(30 * 24 * 3600).optional() }).strict(),
  z.object({ type: z.literal('certificate'), certificatePem: z.string().min(100).max(20_000), label: z.string().max(200).optional(), overlapSeconds: z.number().int().min(0).max(30 * 24 * 3600).optional() }).strict(),
  z.object({ type: z.literal('jwk'), jwk: z.record(z.string(), z.unknown()), label: z.string().max(200).optional(), overlapSeconds: z.number().int().min(0).max(30 * 24 * 3600).optional() }).strict(),
]);

/** RFC 7638: the SHA-256 of the key's required members, in lexical order, as base64url. */
function jwkThumbprint(jwk: Record<string, unknown>): string {
  const required: Record<string, readonly string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
  const members = required[String(jwk.kty)];
  if (!members) throw new HttpError(400, 'jwk.kty must be RSA, EC or OKP');
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

function publicJwk(jwk: Record<string, unknown>): Record<string, unknown> {
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in jwk)) throw new HttpError(400, 'jwk must be a public key: it contains private key members');
  try {
    createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    throw new HttpError(400, 'jwk is not a valid public key');
  }
  return jwk;
}

function certificateFingerprint(pem: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new HttpError(400, 'certificatePem is not a PEM-encoded X.509 certificate');
  }
  if (Date.parse(cert.validTo) < Date.now()) throw new HttpError(400, `certificate expired on ${new Date(cert.validTo).toISOString()}`);
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

function idOf(req: Request, name: string): string {
  const parsed = z.uuid().safeParse(req.params[name]);
  if (!parsed.success) throw new HttpError(400, `${name} must be a UUID`, [{ path: name, message: 'must be a UUID' }]);
  return parsed.data;
}

export function partnerRoutes(ctx: AdminContext): RouteSpec[] {
  const { store, events } = ctx;
  const record = (req: Request, event: Omit<SecurityEvent, 'requestId' | 'sourceAddress' | 'actor'>) =>
    events.record({ ...event, ...(req.principal.type === 'user' ? { actor: { userId: req.principal.userId } } : {}), requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}) });

  const describe = async (connectionId: string) => {
    const connection = await store.connections.get(connectionId);
    if (!connection) throw new HttpError(404, 'connection not found');
    const credentials = await store.connections.listCredentials(connectionId);
    return {
      ...connection,
      failedAuthSummary: connection.failedAuthCount > 0 ? `credentials rejected ${connection.failedAuthCount} times since ${connection.failedAuthSince}` : 'no rejected credentials',
      credentials,
    };
  };

  return [
    {
      method: 'get', path: '/organizations', access: { roles: ['admin'] }, summary: 'List organizations',
      async handler(_req, res) {
        res.json({ organizations: await store.organizations.list(1000) });
      },
    },
    {
      method: 'post', path: '/organizations', access: { roles: ['admin'] }, body: OrganizationBody,
      summary: 'Register an organization with its identifiers (home community id OID, AGB, URA)',
      async handler(req, res) {
        const body = req.body as z.infer<typeof OrganizationBody>;
        const identifiers = body.identifiers.map((i) => Identifier.parse(i));
        const org = await storeCall(store.organizations.save({
          id: randomUUID(), name: body.name, identifiers,
          ...(body.homeCommunityId ? { homeCommunityId: body.homeCommunityId.startsWith('urn:oid:') ? body.homeCommunityId : `urn:oid:${body.homeCommunityId}` } : {}),
        }));
        await record(req, { type: 'organization-saved', outcome: 'success', subject: { organizationId: org.id } });
        res.status(201).json(org);
      },
    },
    {
      method: 'post', path: '/organizations/:id/connections', access: { roles: ['admin'] }, body: ConnectionBody,
      summary: 'Create a connection (carequality, fhir, his or lab) for an organization; it starts pending',
      async handler(req, res) {
        const body = req.body as z.infer<typeof ConnectionBody>;
        const connection = await storeCall(store.connections.create({ id: randomUUID(), organizationId: idOf(req, 'id'), kind: body.kind, name: body.name }));
        await record(req, { type: 'connection-created', outcome: 'success', subject: { connectionId: connection.id, organizationId: connection.organizationId }, detail: { kind: connection.kind } });
        res.status(201).json(connection);
      },
    },
    {
      method: 'get', path: '/connections', access: { roles: ['admin'] }, summary: 'List connections, optionally of one organization',
      async handler(req, res) {
        const organizationId = typeof req.query.organizationId === 'string' ? z.uuid().safeParse(req.query.organizationId).data : undefined;
        res.json({ connections: await store.connections.list(organizationId ? { organizationId } : {}) });
      },
    },
    {
      method: 'get', path: '/connections/:id', access: { roles: ['admin'] },
      summary: 'One connection with its credentials (never their secrets) and its rejected-authentication count',
      async handler(req, res) {
        res.json(await describe(idOf(req, 'id')));
      },
    },
    {
      method: 'post', path: '/connections/:id/status', access: { roles: ['admin'] }, body: StatusBody,
      summary: 'Activate or suspend a connection; only active connections are served',
      async handler(req, res) {
        const id = idOf(req, 'id');
        const { status } = req.body as z.infer<typeof StatusBody>;
        const connection = await storeCall(store.connections.setStatus(id, status));
        await record(req, { type: 'connection-status-changed', outcome: 'success', subject: { connectionId: id }, detail: { status } });
        res.json(connection);
      },
    },
    {
      method: 'post', path: '/connections/:id/reset-failures', access: { roles: ['admin'] }, summary: 'Reset the rejected-authentication count',
      async handler(req, res) {
        res.json(await storeCall(store.connections.resetFailedAuth(idOf(req, 'id'))));
      },
    },
    {
      method: 'post', path: '/connections/:id/credentials', access: { roles: ['admin'] }, body: CredentialBody,
      summary: 'Issue a credential (token, client certificate or public JWK); earlier ones stay valid for the overlap, then expire',
      async handler(req, res) {
        const connectionId = idOf(req, 'id');
        if (!(await store.connections.get(connectionId))) throw new HttpError(404, 'connection not found');
        const body = req.body as z.infer<typeof CredentialBody>;
        const id = randomUUID();
        const createdBy = req.principal.type === 'user' ? req.principal.email : 'admin';
        let token: string | undefined;
        const credential = await store.transaction(async (tx) => {
          const common = { id, connectionId, createdBy, ...(body.label ? { label: body.label } : {}) };
          let issued;
          if (body.type === 'token') {
            const secret = randomToken();
            token = `cgt_${id.replace(/-/g, '')}_${secret}`;
            issued = await tx.connections.addCredential({ ...common, type: 'token', lookup: id, secretHash: sha256(secret) });
          } else if (body.type === 'certificate') {
            issued = await storeCall(tx.connections.addCredential({ ...common, type: 'certificate', lookup: certificateFingerprint(body.certificatePem) }));
          } else {
            const jwk = publicJwk(body.jwk);
            issued = await storeCall(tx.connections.addCredential({ ...common, type: 'jwk', lookup: jwkThumbprint(jwk), publicJwk: jwk }));
          }
          await tx.connections.expireOtherCredentials(connectionId, id, body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS);
          return issued;
        });
        await record(req, { type: 'credential-issued', outcome: 'success', subject: { connectionId, credentialId: id }, detail: { type: body.type } });
        res.status(201).json({ credential, ...(token ? { token } : {}) });
      },
    },
    {
      method: 'post', path: '/connections/:id/credentials/:credentialId/revoke', access: { roles: ['admin'] },
      summary: 'Revoke a credential at once',
      async handler(req, res) {
        const connectionId = idOf(req, 'id');
        const credentialId = idOf(req, 'credentialId');
        const credential = await storeCall(store.connections.revokeCredential(connectionId, credentialId));
        await record(req, { type: 'credential-revoked', outcome: 'success', subject: { connectionId, credentialId } });
        res.json(credential);
      },
    },
  ];
}
