import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { Connection } from '../../canonical/index.js';
import { SUBCODES, type SoapFault, type SoapRequest } from '../../mappers/soap/index.js';
import { matchPurpose } from '../../profiles/purposes.js';
import type { Requester } from '../outbound/requester.js';
import type { IheContext } from './context.js';
import { verifyXua, type VerifiedAssertion } from './xua/index.js';

export type PartnerCheck =
  | { readonly ok: true; readonly requester: Requester; readonly connection: Connection; readonly assertion: VerifiedAssertion }
  | { readonly ok: false; readonly fault: SoapFault; readonly from?: RefusedConnection };

/**
 * The connection a refused request came over, when it is known: its TLS client certificate named it, or its
 * assertion verified under a signing certificate registered to it. Either way the request is that partner's.
 */
export interface RefusedConnection {
  readonly connectionId: string;
  readonly organizationId: string;
}

/**
 * The connection a request's TLS client certificate names, for a refusal made before the partner was
 * authenticated (a body, envelope or addressing fault): the request is that partner's all the same.
 */
export function connectionOfCertificate(req: Request): RefusedConnection | undefined {
  const over = certificateConnection(req);
  return over && over !== 'unregistered' ? { connectionId: over.id, organizationId: over.organizationId } : undefined;
}

/** How long a MessageID is remembered for replay detection, beyond the assertion's own end. */
const REPLAY_WINDOW_MS = 10 * 60_000;

/**
 * Who asks (ihe-xca-xcpd.md §5.1): the TLS client certificate, when the connection was made with one, names a
 * `carequality` connection; the SAML assertion must verify against the trust bundle and name that connection's
 * organization by its home community id. Without a client certificate (allowed only when configured so, behind a
 * terminator) the assertion's signing certificate must be registered to a carequality connection of the
 * organization its home community names. A MessageID seen before from the same connection within its window is a
 * replay.
 */
export async function authenticatePartner(ctx: IheContext, req: Request, envelope: string, soap: SoapRequest, now: Date): Promise<PartnerCheck> {
  const refuse = (reason: string, subcode: NonNullable<SoapFault['subcode']> = SUBCODES.failedAuthentication, over?: Connection): PartnerCheck => ({
    ok: false, fault: { code: 'Sender', subcode, reason },
    ...(over ? { from: { connectionId: over.id, organizationId: over.organizationId } } : {}),
  });

  const viaCertificate = certificateConnection(req);
  if (viaCertificate === 'unregistered') return refuse('the client certificate is not registered for a Carequality connection');
  if (!viaCertificate && ctx.config.ihe.clientCertificate === 'required') {
    return refuse('a TLS client certificate issued under the trust bundle is required', SUBCODES.invalidSecurity);
  }
  if (viaCertificate && viaCertificate.kind !== 'carequality') return refuse('the client certificate belongs to a connection that does not serve IHE', SUBCODES.failedAuthentication, viaCertificate);

  const sha1Allowed = async (): Promise<boolean> => {
    if (!viaCertificate) return false;
    const communities = ctx.config.ihe.sha1Communities;
    if (communities.length === 0) return false;
    const orgs = await Promise.all(communities.map((c) => ctx.partners.organizationByHomeCommunityId(c)));
    return orgs.some((org) => org?.id === viaCertificate.organizationId);
  };
  const verified = verifyXua(soap.body.document ?? envelope, {
    trustAnchors: ctx.trustAnchors,
    audiences: [ctx.endpoints.xcpd, ctx.endpoints.query, ctx.endpoints.retrieve, ctx.config.publicUrl, ...ctx.config.ihe.extraAudiences],
    clockSkewSeconds: ctx.config.ihe.clockSkewSeconds,
    maxAssertionAgeSeconds: ctx.config.ihe.maxAssertionMinutes * 60,
    allowSha1: await sha1Allowed(),
  }, now);
  if (!verified.ok) {
    const subcode = Object.values(SUBCODES).find((s) => `${s.prefix}:${s.name}` === verified.fault.subcode) ?? SUBCODES.invalidSecurity;
    return refuse(verified.fault.reason, subcode, viaCertificate);
  }
  const assertion = verified.assertion;
  const organization = await ctx.partners.organizationByHomeCommunityId(assertion.homeCommunityId);
  const notCertificatesCommunity = `the assertion's home community ${assertion.homeCommunityId} is not that of the organization this client certificate is registered to`;
  if (!organization) {
    return viaCertificate
      ? refuse(notCertificatesCommunity, SUBCODES.failedAuthentication, viaCertificate)
      : refuse(`the assertion's home community ${assertion.homeCommunityId} is not a registered partner`);
  }

  let connection: Connection | undefined = viaCertificate;
  if (connection && connection.organizationId !== organization.id) return refuse(notCertificatesCommunity, SUBCODES.failedAuthentication, connection);
  if (!connection) {
    // Without a TLS client certificate, any participant's trusted signing certificate could claim any home community:
    // the signing certificate itself must be registered to a connection of the organization it speaks for.
    const signer = await ctx.partners.findCredential('certificate', assertion.signature.certificate.sha256Fingerprint);
    if (!signer?.usable || signer.connection.kind !== 'carequality' || signer.connection.organizationId !== organization.id) {
      return refuse('the assertion\'s signing certificate is not registered for a Carequality connection of its home community');
    }
    connection = signer.connection;
  }
  if (connection.status !== 'active') return refuse(`the Carequality connection is ${connection.status}`, SUBCODES.failedAuthentication, connection);

  // Kept as long as the assertion could be taken: to its NotOnOrAfter, or its age limit if that comes first.
  const usableUntil = Math.min(Date.parse(assertion.notOnOrAfter), Date.parse(assertion.issueInstant) + ctx.config.ihe.maxAssertionMinutes * 60_000);
  const until = new Date(Math.max(now.getTime() + REPLAY_WINDOW_MS, usableUntil + ctx.config.ihe.clockSkewSeconds * 1000));
  if (!(await ctx.replays.use({ clientId: connection.id, jti: `wsa:${soap.addressing.messageId}`, expiresAt: until }))) {
    return refuse('this wsa:MessageID was used before: a replayed message is not answered', SUBCODES.invalidSecurity, connection);
  }

  const purpose = matchPurpose(assertion.purposes);
  const role = assertion.role.displayName ? `${assertion.role.displayName} (${assertion.role.code})` : assertion.role.code;
  const person = { name: assertion.subjectId, id: assertion.nameId, role };
  return {
    ok: true, connection, assertion,
    requester: {
      kind: 'partner', organizationId: organization.id, connectionId: connection.id, connectionActive: true, purpose, withholdBsn: connection.kind === 'carequality',
      purposeAsReceived: assertion.purposes.map((p) => `${p.system ?? ''}#${p.code}`).join(' '),
      person,
    },
  };
}

/** The connection a verified TLS client certificate names; 'unregistered' for a trusted certificate no connection holds. */
function certificateConnection(req: Request): Connection | 'unregistered' | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.authorized) return undefined;
  const p = req.principal;
  if (p.type === 'connection' && !req.get('authorization')) return p.connection;
  return 'unregistered';
}
