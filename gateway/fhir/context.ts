import type { Request } from 'express';
import type { AuditAppender } from '../../audit/index.js';
import type { AuditEventContext } from '../../mappers/fhir/audit-event.js';
import type { Exchange, OutboundPipeline } from '../outbound/pipeline.js';
import { requesterOf, type Requester } from '../outbound/requester.js';
import type { AuditTrail } from './audit-events.js';
import { FhirError } from './outcome.js';
import type { PageTokens } from './page-token.js';

/** What the FHIR routes work with: the pipeline for patient data, and for the audit log only its search and appender. */
export interface Context {
  readonly baseUrl: string;
  readonly tokenEndpoint: string;
  readonly pipeline: OutboundPipeline;
  readonly pages: PageTokens;
  readonly now: () => Date;
  readonly trail: AuditTrail;
  readonly audit: AuditAppender;
  readonly auditEvents: AuditEventContext;
}

export function requesterFor(req: Request): Requester {
  const requester = requesterOf(req.principal);
  if (!requester) throw new FhirError(403, 'forbidden', 'not allowed for your role or connection');
  return requester;
}

/** The exchange each request opened, so the error handler can tell whether the trail has it already. */
const exchanges = new WeakMap<Request, Exchange>();

export function exchangeOf(req: Request, requester: Requester, transaction: Exchange['transaction'], action: string): Exchange {
  const body = req.method === 'POST' && req.body && typeof req.body === 'object' ? `\n${new URLSearchParams(req.body as Record<string, string>).toString()}` : '';
  const exchange: Exchange = {
    surface: 'fhir', transaction, action, requester,
    query: `${req.method} ${req.originalUrl}${body}`,
    requestId: req.requestId,
    ...(req.ip ? { sourceAddress: req.ip } : {}),
  };
  exchanges.set(req, exchange);
  return exchange;
}

/**
 * The exchange of a request that failed: the one it opened, or, when it failed before opening one (a malformed
 * parameter, a foreign page token, an Accept we cannot serve), one made now. Undefined for a caller who is no
 * requester at all (anonymous: authentication records those as security events).
 */
export function failedExchange(req: Request): Exchange | undefined {
  const opened = exchanges.get(req);
  if (opened) return opened;
  const requester = requesterOf(req.principal);
  if (!requester) return undefined;
  // In the router's error handler the matched route and its params are gone: the path says what was asked.
  const path = req.path;
  const transaction = path.includes('$') ? 'fhir-operation' : /^\/[A-Za-z]+\/(?!_search$)[^/]+(\/_history(\/[^/]+)?)?$/.test(path) ? 'fhir-read' : 'fhir-search';
  return exchangeOf(req, requester, transaction, `${req.method} ${path}`.slice(0, 100));
}

/** Whom a page token is bound to: the caller and, for a partner, the purpose its token proved. */
export function callerKey(requester: Requester): { c: string; p?: string } {
  if (requester.kind === 'staff') return { c: `u:${requester.userId}` };
  return { c: `c:${requester.connectionId}`, p: requester.purpose.outcome === 'matched' ? requester.purpose.purpose : requester.purpose.outcome };
}
