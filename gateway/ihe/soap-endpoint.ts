import { randomBytes, randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { buildMtom, faultMediaType, faultStatus, readSoapEnvelope, readSoapHttpBody, renderFault, renderSoapResponse, SUBCODES, type MtomPart, type SoapFault, type SoapRequest } from '../../mappers/soap/index.js';
import { readXml, type XmlLimits } from '../../mappers/xml/index.js';
import { serializeElement } from '../../mappers/xml/serialize.js';
import type { AuditTransaction } from '../../canonical/index.js';
import type { Exchange } from '../outbound/pipeline.js';
import type { Requester } from '../outbound/requester.js';
import type { IheContext } from './context.js';
import { authenticatePartner, connectionOfCertificate, type RefusedConnection } from './partner.js';
import type { VerifiedAssertion } from './xua/index.js';

/** One SOAP transaction the responding gateway serves at its own endpoint. */
export interface SoapTransaction {
  readonly path: string;
  readonly transaction: Extract<AuditTransaction, 'ITI-55' | 'ITI-38' | 'ITI-39'>;
  readonly surface: Exchange['surface'];
  readonly action: string;
  readonly responseAction: string;
  readonly summary: string;
  /** Answers a request from an authenticated partner; errors are answered in the transaction's own form. */
  answer(call: SoapCall): Promise<SoapAnswer>;
}

export interface SoapCall {
  readonly request: SoapRequest;
  readonly requester: Requester;
  readonly exchange: Exchange;
  readonly mtom: boolean;
  readonly now: Date;
}

export interface SoapAnswer {
  /** The Body's content, well-formed XML. */
  readonly body: string;
  /** Documents sent as MTOM parts (ITI-39); the response is MTOM when there are any or the request was MTOM. */
  readonly parts?: readonly MtomPart[];
}

/** Envelopes are small (queries, retrieve requests); 2 MB leaves room for large assertions and odd peers. */
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const XML_LIMITS: XmlLimits = { maxBytes: MAX_REQUEST_BYTES, maxDepth: 48, maxElements: 20_000 };

/**
 * The shared path of every SOAP request: read the body (plain or MTOM) within its limits, parse the envelope
 * hardened, check SOAP and WS-Addressing, check the Action belongs to this endpoint, authenticate the partner
 * (TLS client certificate and SAML assertion), and only then let the transaction answer. Anything refused before
 * the transaction is a SOAP fault with no clinical data, and is on the audit trail.
 */
export function soapEndpoint(ctx: IheContext, tx: SoapTransaction) {
  return async (req: Request, res: Response): Promise<void> => {
    const now = ctx.now();
    const bytes = await readBody(req, MAX_REQUEST_BYTES);
    if (!bytes) return refuse(ctx, req, res, { code: 'Sender', reason: `the request is larger than the limit of ${MAX_REQUEST_BYTES} bytes` }, 413);
    const body = readSoapHttpBody(req.get('content-type'), bytes, MAX_REQUEST_BYTES);
    if (!body.ok) return refuse(ctx, req, res, { code: 'Sender', reason: body.reason }, body.status);
    // The request's one parse: the tree's `document` is its DOM, which authenticatePartner verifies the assertion on.
    const xml = readXml(body.envelope, XML_LIMITS);
    if (!xml.ok) {
      const first = xml.issues[0]!;
      return refuse(ctx, req, res, { code: 'Sender', reason: `the envelope was refused: ${first.message}` });
    }
    const soap = readSoapEnvelope(xml.root);
    if (!soap.ok) return refuse(ctx, req, res, soap.fault, undefined, soap.messageId);
    const { addressing } = soap.request;
    if (addressing.action !== tx.action) {
      return refuse(ctx, req, res, { code: 'Sender', subcode: SUBCODES.actionNotSupported, reason: `this endpoint serves ${tx.action}, not ${addressing.action}` }, undefined, addressing.messageId);
    }
    const partner = await authenticatePartner(ctx, req, body.envelope, soap.request, now);
    if (!partner.ok) return refuse(ctx, req, res, partner.fault, undefined, addressing.messageId, partner.from);

    const exchange: Exchange = {
      surface: tx.surface, transaction: tx.transaction, action: tx.transaction, requester: partner.requester,
      // The Body only: the header carries the assertion, a credential that the trail must not keep.
      query: serializeElement(soap.request.body),
      requestId: req.requestId,
      ...(req.ip ? { sourceAddress: req.ip } : {}),
      detail: { messageId: addressing.messageId.slice(0, 200), ...onWhoseBehalf(partner.assertion) },
    };
    exchanges.set(req, exchange);
    const answer = await tx.answer({ request: soap.request, requester: partner.requester, exchange, mtom: body.mtom, now });
    const envelope = renderSoapResponse({ action: tx.responseAction, messageId: `urn:uuid:${randomUUID()}`, relatesTo: addressing.messageId, body: answer.body });
    res.set('Cache-Control', 'no-store');
    if ((answer.parts && answer.parts.length > 0) || (body.mtom && tx.transaction === 'ITI-39')) {
      const mtom = buildMtom(envelope, answer.parts ?? [], { boundary: `MIMEBoundary_${randomBytes(16).toString('hex')}`, rootContentId: `root.${randomUUID()}@crossgate` });
      res.status(200).type(mtom.contentType).send(mtom.body);
      return;
    }
    res.status(200).type(`application/soap+xml; charset=UTF-8; action="${tx.responseAction}"`).send(envelope);
  };
}

/**
 * Who the assertion says asked and for whom (consent-and-audit.md §5.1, NEN 7513 "on whose behalf"): a connection of
 * a network serves many member organizations, which only the assertion names. As the partner asserted them.
 */
function onWhoseBehalf(a: VerifiedAssertion): Record<string, string> {
  const text = (v: string) => v.slice(0, 300);
  return {
    assertionId: text(a.id), assertionIssuer: text(a.issuer), subjectNameId: text(a.nameId),
    onBehalfOf: text(a.organization), onBehalfOfId: text(a.organizationId), homeCommunityId: text(a.homeCommunityId),
    ...(a.npi ? { npi: text(a.npi) } : {}),
  };
}

/** The exchange each request opened, so the error handler can put a failed one on the trail. */
const exchanges = new WeakMap<Request, Exchange>();

/**
 * An unexpected failure on a SOAP endpoint: a Receiver fault that says only the request id, after the exchange
 * (when one was opened and is not on the trail yet) is recorded as failed.
 */
export function soapErrors(ctx: IheContext): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    req.log.error({ err: error }, 'unexpected error on the IHE surface');
    const exchange = exchanges.get(req);
    const answer = () => {
      if (res.headersSent) res.destroy();
      else sendFault(res, { code: 'Receiver', reason: `internal error; request id ${req.requestId}` });
    };
    if (!exchange || ctx.pipeline.audited(exchange)) return answer();
    ctx.pipeline.refused(exchange, 'failed while answering').then(answer, next);
  };
}

/**
 * The request body, or undefined once it passes the limit (the rest is drained unread, so the refusal can still
 * be answered on the connection). Read from the stream's events: an async iterator over it costs a promise a chunk.
 */
function readBody(req: Request, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The error listener stays: a stream error with none would be thrown; after the answer rejecting is a no-op.
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      stop();
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** A refusal before any transaction ran: a SOAP fault, and a security record on the trail. */
async function refuse(ctx: IheContext, req: Request, res: Response, fault: SoapFault, status?: number, messageId?: string, known?: RefusedConnection): Promise<void> {
  const from = known ?? connectionOfCertificate(req);
  if (from) await ctx.failedAuth.record(from.connectionId);
  await ctx.events.record({
    type: 'partner-auth-failed', outcome: 'failure',
    // The partner the request is known to come from is its actor, so the trail finds it under that organization.
    ...(from ? { actor: from, subject: from } : {}),
    detail: {
      surface: 'ihe', endpoint: req.path, fault: fault.subcode ? `${fault.subcode.prefix}:${fault.subcode.name}` : fault.code, reason: fault.reason.slice(0, 500),
      ...(messageId ? { messageId: messageId.slice(0, 200) } : {}),
    },
    requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
  });
  sendFault(res, fault, status, messageId);
}

export function sendFault(res: Response, fault: SoapFault, status?: number, relatesTo?: string): void {
  const envelope = renderFault(fault, { messageId: `urn:uuid:${randomUUID()}`, ...(relatesTo ? { relatesTo } : {}) });
  res.status(status ?? faultStatus(fault)).set('Cache-Control', 'no-store').type(faultMediaType(fault)).send(envelope);
}
