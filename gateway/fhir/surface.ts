import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Binary, Bundle, BundleEntry } from 'fhir/r4.js';
import { renderBinary } from '../../mappers/fhir/binary.js';
import type { GatewayDeps, Surface } from '../http/app.js';
import { declareRoutes, HttpError, type Access, type RouteSpec } from '../http/routes.js';
import { createOutboundPipeline, type Exchange, type OutboundPipeline } from '../outbound/pipeline.js';
import { requesterOf, type Requester } from '../outbound/requester.js';
import { capabilityStatement, RESOURCES, RESULT_PARAMETERS, type ResourceSpec, type ResourceType } from './capability-table.js';
import { negotiate, sendResource, type Format } from './format.js';
import { FhirError, operationOutcome, type IssueCode } from './outcome.js';
import { pageTokens, type PageTokens } from './page-token.js';
import { isOurId, searchParamsOf, single } from './params.js';
import { HANDLERS, type SearchResult } from './resources.js';
import { GATEWAY_VERSION } from '../version.js';

/** Partners with a FHIR-capable connection, and clinic staff; compliance officers are not care providers. */
export const FHIR_ACCESS: Access = { anyOf: [{ connections: ['fhir', 'carequality'] }, { roles: ['member', 'provider', 'admin'] }] };

const DEFAULT_COUNT = 20;
const MAX_COUNT = 100;

export const BASE_PATH = '/fhir/R4';

export function fhirSurface(): Surface {
  return {
    name: 'fhir',
    mountPath: BASE_PATH,
    router(deps, registry) {
      const fhir = fhirRoutes(deps, createOutboundPipeline({ store: deps.store, consent: deps.consent, audit: deps.audit }));
      const router = declareRoutes(BASE_PATH, fhir, registry);
      router.use(fhirErrors);
      return router;
    },
  };
}

interface Context {
  readonly baseUrl: string;
  readonly pipeline: OutboundPipeline;
  readonly pages: PageTokens;
  readonly now: () => Date;
}

function fhirRoutes(deps: GatewayDeps, pipeline: OutboundPipeline): RouteSpec[] {
  const ctx: Context = { baseUrl: `${deps.config.publicUrl}${BASE_PATH}`, pipeline, pages: pageTokens(deps.secretKey), now: () => new Date() };
  const started = new Date().toISOString();
  const routes: RouteSpec[] = [{
    method: 'get', path: '/metadata', access: { public: true }, summary: 'CapabilityStatement: what this server serves, generated from its route table',
    handler: (req, res) => {
      const format = negotiate(req, single(searchParamsOf(req.query, undefined), '_format'));
      sendResource(res, 200, capabilityStatement(ctx.baseUrl, { name: 'Crossgate', version: GATEWAY_VERSION }, started), format);
    },
  }];
  for (const spec of RESOURCES) {
    if (spec.read) {
      routes.push({
        method: 'get', path: `/${spec.type}/:id`, access: FHIR_ACCESS, summary: `Read a ${spec.type}`,
        handler: spec.type === 'Binary' ? (req, res) => readBinary(ctx, req, res) : (req, res) => read(ctx, spec.type, req, res),
      });
    }
    if (spec.search) {
      const handler = (req: Request, res: Response) => search(ctx, spec, req, res);
      routes.push({ method: 'get', path: `/${spec.type}`, access: FHIR_ACCESS, summary: `Search ${spec.type}`, handler });
      routes.push({ method: 'post', path: `/${spec.type}/_search`, access: FHIR_ACCESS, summary: `Search ${spec.type} (form-encoded parameters)`, handler });
    }
  }
  return routes;
}

function requesterFor(req: Request): Requester {
  const requester = requesterOf(req.principal);
  if (!requester) throw new FhirError(403, 'forbidden', 'not allowed for your role or connection');
  return requester;
}

function exchangeOf(req: Request, requester: Requester, transaction: Exchange['transaction'], action: string): Exchange {
  const body = req.method === 'POST' && req.body && typeof req.body === 'object' ? `\n${new URLSearchParams(req.body as Record<string, string>).toString()}` : '';
  return {
    surface: 'fhir', transaction, action, requester,
    query: `${req.method} ${req.originalUrl}${body}`,
    requestId: req.requestId,
    ...(req.ip ? { sourceAddress: req.ip } : {}),
  };
}

async function read(ctx: Context, type: ResourceType, req: Request, res: Response): Promise<void> {
  const format = negotiate(req, single(searchParamsOf(req.query, undefined), '_format'));
  const id = String(req.params.id);
  const handler = HANDLERS[type].read!;
  const resource = await ctx.pipeline.run(exchangeOf(req, requesterFor(req), 'fhir-read', `${type}/read`), handler(id, ctx.baseUrl));
  // A record the caller may not see, for whatever reason, does not exist for them (consent-and-audit.md §4).
  if (!resource) throw new FhirError(404, 'not-found', `${type}/${id} is not known here`);
  const etag = `W/"${resource.meta?.versionId ?? '1'}"`;
  res.set('ETag', etag);
  if (resource.meta?.lastUpdated) res.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  // Only after this request's own permit: a revoked consent answers 404 above, never a stale 304.
  if (req.get('if-none-match')?.split(',').some((t) => t.trim() === etag)) {
    res.status(304).set('Cache-Control', 'no-store').end();
    return;
  }
  sendResource(res, 200, resource, format);
}

/** ITI-68 / Binary read: raw bytes unless FHIR JSON or XML is asked for (binary.html). */
async function readBinary(ctx: Context, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const formatParam = single(searchParamsOf(req.query, undefined), '_format');
  const accept = req.get('accept') ?? '';
  const asResource = formatParam !== undefined || /application\/(fhir\+)?(json|xml)/.test(accept);
  const found = await ctx.pipeline.run(exchangeOf(req, requesterFor(req), 'fhir-read', 'Binary/read'), {
    subjects: async (find) => {
      if (!isOurId(id)) return [];
      const owner = await find.ownerOf('DocumentReference', id);
      return owner ? [owner] : [];
    },
    async respond(reader, verdict) {
      if (verdict.permitted.length === 0) return undefined;
      const document = await reader.document(id);
      const content = document ? await reader.documentContent(document) : undefined;
      const stored = (await reader.stamps('DocumentReference', [id])).get(id);
      return document && content && stored ? { document, content, stored } : undefined;
    },
  });
  if (!found) throw new FhirError(404, 'not-found', `Binary/${id} is not known here`);
  const { document, content, stored } = found;
  if (asResource) {
    const binary: Binary = renderBinary(document, content, { baseUrl: ctx.baseUrl, versionId: String(stored.version), lastUpdated: stored.updatedAt });
    sendResource(res, 200, binary, negotiate(req, formatParam));
    return;
  }
  res.status(200).set({ 'Cache-Control': 'no-store', 'X-Security-Context': `Patient/${document.patientId}` }).type(document.mimeType).send(Buffer.from(content));
}

function countOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new FhirError(400, 'invalid', '_count must be a whole number from 1', '_count');
  return Math.min(Number(value), MAX_COUNT);
}

function callerKey(requester: Requester): { c: string; p?: string } {
  if (requester.kind === 'staff') return { c: `u:${requester.userId}` };
  return { c: `c:${requester.connectionId}`, p: requester.purpose.outcome === 'matched' ? requester.purpose.purpose : requester.purpose.outcome };
}

async function search(ctx: Context, spec: ResourceSpec, req: Request, res: Response): Promise<void> {
  const requester = requesterFor(req);
  const raw = searchParamsOf(req.query, req.method === 'POST' ? req.body : undefined);
  const format = negotiate(req, single(raw, '_format'));
  const pageToken = single(raw, '_page');
  const caller = callerKey(requester);
  const page = pageToken ? ctx.pages.open(pageToken, caller, ctx.now()) : undefined;
  if (page && page.t !== spec.type) throw new FhirError(400, 'invalid', `this page token continues a ${page.t} search`, '_page');

  const known = new Set([...(spec.search ?? []).map((p) => p.name), ...RESULT_PARAMETERS]);
  const params = new Map<string, string[]>();
  const ignored: string[] = [];
  for (const [name, values] of page ? Object.entries(page.q) : raw) {
    if (known.has(name)) params.set(name, values);
    else ignored.push(name);
  }
  if (ignored.length > 0 && /(^|[;,\s])handling=strict($|[;,\s])/.test(req.get('prefer') ?? '')) {
    throw new FhirError(400, 'not-supported', `parameters not supported for ${spec.type}: ${ignored.join(', ')}`, ignored[0]);
  }
  const count = countOf(single(params, '_count'));
  params.delete('_page');
  params.delete('_format');
  const handler = HANDLERS[spec.type].search!;
  const result: SearchResult = await ctx.pipeline.run(
    exchangeOf(req, requester, 'fhir-search', `${spec.type}?${[...params.keys()].filter((k) => k !== '_count').sort().join('&')}`),
    handler({ params, after: page?.k, count, baseUrl: ctx.baseUrl }),
  );
  const applied = new URLSearchParams([...params].flatMap(([name, values]) => values.map((v) => [name, v] as [string, string])));
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [
      { relation: 'self', url: `${ctx.baseUrl}/${spec.type}${applied.size ? `?${applied.toString()}` : ''}` },
      ...(result.next !== undefined
        ? [{ relation: 'next', url: `${ctx.baseUrl}/${spec.type}?_page=${ctx.pages.issue({ t: spec.type, q: Object.fromEntries(params), k: result.next, ...caller }, ctx.now())}` }]
        : []),
    ],
    entry: [
      ...result.matches.map((r): BundleEntry => ({ fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
      ...warnings(requester, ignored),
    ],
  };
  sendResource(res, 200, bundle, format);
}

/** Said in the Bundle (search.mode = outcome): what was ignored, and why a partner without a purpose sees nothing. */
function warnings(requester: Requester, ignored: readonly string[]): BundleEntry[] {
  const issues: { severity: 'warning'; code: IssueCode; diagnostics: string }[] = [];
  if (ignored.length > 0) issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `ignored parameters: ${ignored.join(', ')}` });
  if (requester.kind === 'partner' && requester.purpose.outcome !== 'matched') {
    issues.push({ severity: 'warning', code: 'security', diagnostics: 'this credential proves no purpose of use, so nothing is disclosed: use an access token from /oauth/token' });
  }
  return issues.length ? [{ resource: operationOutcome(issues), search: { mode: 'outcome' } }] : [];
}

const STATUS_CODE: Readonly<Record<number, IssueCode>> = { 400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 406: 'not-supported', 409: 'conflict', 413: 'too-costly', 415: 'not-supported' };

/** Every failure on the FHIR surface is an OperationOutcome; an unexpected one says only its request id. */
const fhirErrors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  let status = 500;
  let code: IssueCode = 'exception';
  let diagnostics = `internal error; request id ${req.requestId}`;
  let expression: string | undefined;
  if (error instanceof FhirError) {
    ({ status, code } = error);
    diagnostics = error.message;
    expression = error.expression;
    res.set(error.headers);
  } else if (error instanceof HttpError) {
    status = error.status;
    code = STATUS_CODE[status] ?? 'processing';
    diagnostics = error.message;
    res.set(error.headers);
  } else if (typeof (error as { status?: unknown }).status === 'number' && (error as { expose?: unknown }).expose === true) {
    status = (error as { status: number }).status;
    code = STATUS_CODE[status] ?? 'invalid';
    diagnostics = (error as Error).message;
  } else {
    req.log.error({ err: error }, 'unexpected error on the FHIR surface');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const format: Format = /xml/.test(req.get('accept') ?? '') ? 'xml' : 'json';
  sendResource(res, status, operationOutcome([{ severity: status >= 500 ? 'fatal' : 'error', code, diagnostics, ...(expression ? { expression } : {}) }]), format);
};
