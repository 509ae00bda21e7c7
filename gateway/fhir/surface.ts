import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Binary, FhirResource } from 'fhir/r4.js';
import { renderBinary } from '../../mappers/fhir/binary.js';
import { subsetResource } from '../../mappers/fhir/subset.js';
import { udapMetadata } from '../auth/oauth.js';
import type { GatewayDeps, Surface } from '../http/app.js';
import { declareRoutes, HttpError, wellEncodedForm, type Access, type RouteSpec } from '../http/routes.js';
import { createOutboundPipeline, type Disclosure, type OutboundPipeline } from '../outbound/pipeline.js';
import { capabilityStatement, RESOURCES, specOf, type ResourceType } from './capability-table.js';
import { exchangeOf, failedExchange, requesterFor, type Context } from './context.js';
import { negotiate, sendResource, type Format } from './format.js';
import { FhirError, operationOutcome, type IssueCode } from './outcome.js';
import { pageTokens } from './page-token.js';
import { isOurId, searchParamsOf, single } from './params.js';
import { history } from './history-route.js';
import { HANDLERS } from './resources.js';
import { resultShape } from './result-shape.js';
import { auditEventSearch, patientEverything, search } from './search-route.js';
import { decodedComponent, firstUndecodable } from '../http/percent-encoding.js';
import { tokenBuckets } from '../http/rate-limit.js';
import { GATEWAY_VERSION } from '../version.js';

/** Partners with a FHIR-capable connection, and clinic staff; compliance officers are not care providers. */
export const FHIR_ACCESS: Access = { anyOf: [{ connections: ['fhir', 'carequality'] }, { roles: ['member', 'provider', 'admin'] }] };
/** The audit log, as AuditEvents: compliance officers and admins, never partners. */
export const COMPLIANCE_ACCESS: Access = { roles: ['compliance', 'admin'] };

export const BASE_PATH = '/fhir/R4';

export function fhirSurface(): Surface {
  return {
    name: 'fhir',
    mountPath: BASE_PATH,
    router(deps, registry) {
      const pipeline = createOutboundPipeline({ store: deps.store, consent: deps.consent, audit: deps.audit });
      // FHIR's paths are case-sensitive (`/patient` is no type of ours).
      const router = declareRoutes(BASE_PATH, fhirRoutes(deps, pipeline), registry, { caseSensitive: true, before: [wellFormed, throttled(deps.config.fhirRateLimits)] });
      router.use(notServed);
      router.use(fhirErrors(pipeline));
      return router;
    },
  };
}

function fhirRoutes(deps: GatewayDeps, pipeline: OutboundPipeline): RouteSpec[] {
  const ctx: Context = {
    baseUrl: `${deps.config.publicUrl}${BASE_PATH}`,
    tokenEndpoint: udapMetadata(deps.config.publicUrl).token_endpoint,
    pipeline,
    pages: pageTokens(deps.secretKey),
    now: () => new Date(),
    // The audit log's search only: the FHIR routes never hold the Store.
    trail: { search: (filter) => deps.store.audit.search(filter) },
    audit: deps.audit,
    auditEvents: { homeCommunityId: deps.config.homeCommunityId, gatewayName: 'Crossgate' },
  };
  const started = new Date().toISOString();
  const routes: RouteSpec[] = [
    {
      method: 'get', path: '/metadata', access: { public: true }, summary: 'CapabilityStatement: what this server serves, generated from its route table',
      handler: (req, res) => {
        const format = negotiate(req, single(searchParamsOf(req.query, undefined), '_format'));
        sendResource(res, 200, capabilityStatement(ctx, { name: 'Crossgate', version: GATEWAY_VERSION }, started), format);
      },
    },
    {
      // UDAP clients discover the server under the FHIR base they were given (UDAP Discovery §2).
      method: 'get', path: '/.well-known/udap', access: { public: true }, summary: 'UDAP server metadata under the FHIR base, the same as /.well-known/udap',
      handler: (_req, res) => void res.json(udapMetadata(deps.config.publicUrl)),
    },
    {
      method: 'get', path: '/Patient/:id/$everything', access: FHIR_ACCESS, summary: "Patient $everything: the patient's records, paged",
      handler: (req, res) => patientEverything(ctx, req, res),
    },
    {
      method: 'post', path: '/Patient/:id/$everything', access: FHIR_ACCESS, readsOwnBody: true,
      summary: 'Patient $everything invoked by POST (as FHIR clients do by default), its parameters as a Parameters resource or a form',
      handler: async (req, res) => {
        await readOperationBody(req, res);
        await patientEverything(ctx, req, res);
      },
    },
  ];
  for (const spec of RESOURCES) {
    const access = spec.audience === 'compliance' ? COMPLIANCE_ACCESS : FHIR_ACCESS;
    if (spec.read) {
      routes.push({
        method: 'get', path: `/${spec.type}/:id`, access, summary: `Read a ${spec.type}`,
        handler: spec.type === 'Binary' ? (req, res) => readBinary(ctx, req, res) : (req, res) => read(ctx, spec.type, req, res),
      });
    }
    if (spec.vread) {
      routes.push({
        method: 'get', path: `/${spec.type}/:id/_history/:vid`, access, summary: `Read one version of a ${spec.type}`,
        handler: (req, res) => vread(ctx, spec.type, req, res),
      });
      routes.push({
        method: 'get', path: `/${spec.type}/:id/_history`, access, summary: `Every kept version of a ${spec.type}, newest first`,
        handler: (req, res) => history(ctx, spec.type, req, res),
      });
    }
    if (spec.search) {
      const handler = spec.type === 'AuditEvent' ? (req: Request, res: Response) => auditEventSearch(ctx, spec, req, res) : (req: Request, res: Response) => search(ctx, spec, req, res);
      routes.push({ method: 'get', path: `/${spec.type}`, access, summary: `Search ${spec.type}`, handler });
      routes.push({ method: 'post', path: `/${spec.type}/_search`, access, summary: `Search ${spec.type} (form-encoded parameters)`, handler });
    }
  }
  return routes;
}

async function read(ctx: Context, type: ResourceType, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  // No id starts with an underscore (datatypes.html#id): these name interactions, asked of us the wrong way.
  if (id === '_search') throw new FhirError(405, 'not-supported', `a search by ${type}/_search is a POST (or GET ${type}?…)`, undefined, { Allow: 'POST' });
  if (id === '_history') throw new FhirError(404, 'not-supported', `the history of every ${type} is not served here: ask for one, ${type}/[id]/_history`);
  if (id.startsWith('$')) throw new FhirError(404, 'not-supported', `${type}/${id} is not served here: operations are on one record (see ${BASE_PATH}/metadata)`);
  const handler = HANDLERS[type as Exclude<ResourceType, 'AuditEvent'>].read!;
  await answerRead(ctx, req, res, `${type}/read`, `${type}/${id}`, handler(id, ctx.baseUrl));
}

async function vread(ctx: Context, type: ResourceType, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const vid = String(req.params.vid);
  const handler = HANDLERS[type as Exclude<ResourceType, 'AuditEvent'>].vread!;
  // Versions are counted from 1; anything else names no version, which is answered as one not kept.
  const version = /^[1-9]\d{0,8}$/.test(vid) ? Number(vid) : 0;
  await answerRead(ctx, req, res, `${type}/vread`, `${type}/${id}/_history/${vid}`, handler(id, version, ctx.baseUrl));
}

/** One resource through the pipeline, in the format and shape asked, or 404 for what the caller may not see. */
async function answerRead(ctx: Context, req: Request, res: Response, action: string, named: string, disclosure: Disclosure<FhirResource | undefined>): Promise<void> {
  const params = searchParamsOf(req.query, undefined);
  const format = negotiate(req, single(params, '_format'));
  const shape = resultShape(params);
  if (shape.answer === 'count') throw new FhirError(400, 'invalid', '_summary=count applies to searches', '_summary');
  const resource = await ctx.pipeline.run(exchangeOf(req, requesterFor(req), 'fhir-read', action), disclosure);
  // A record the caller may not see, for whatever reason, does not exist for them (consent-and-audit.md §4).
  if (!resource) throw new FhirError(404, 'not-found', `${named} is not known here`);
  if (notModified(req, res, resource.meta?.versionId ?? '1', resource.meta?.lastUpdated)) return;
  sendResource(res, 200, shape.subset ? subsetResource(resource, shape.subset) : resource, format);
}

/**
 * Sets the read's ETag (its version) and Last-Modified, and answers 304 when If-None-Match names that version;
 * If-Modified-Since is answered by express's freshness check on send. Only after this request's own permit: a
 * revoked consent answers 404 before this, never a stale 304.
 */
function notModified(req: Request, res: Response, versionId: string, lastUpdated: string | undefined): boolean {
  const etag = `W/"${versionId}"`;
  res.set('ETag', etag);
  if (lastUpdated) res.set('Last-Modified', new Date(lastUpdated).toUTCString());
  if (!req.get('if-none-match')?.split(',').some((t) => t.trim() === etag)) return false;
  res.status(304).set('Cache-Control', 'no-store').end();
  return true;
}

/** What asks for the Binary resource rather than the document: FHIR's own types only (binary.html). */
const FHIR_TYPES = ['application/fhir+json', 'application/fhir+xml'];

/** The weight an Accept header gives a media type: its best matching range, exact or by wildcard when allowed. */
function acceptWeight(accept: string, type: string, wildcards: boolean): number {
  let best = 0;
  for (const range of accept.split(',')) {
    const [name = '', ...parameters] = range.split(';').map((p) => p.trim().toLowerCase());
    const matches = name === type || (wildcards && (name === '*/*' || name === `${type.split('/')[0]}/*`));
    if (!matches) continue;
    const q = parameters.find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (Number.isFinite(weight) && weight > best) best = weight;
  }
  return best;
}

/**
 * Binary answers its bytes unless FHIR JSON or XML is asked for (binary.html): by `_format`, or by an Accept that
 * names a FHIR format above the document's own type (q-values weighed; a wildcard never asks for the resource).
 * An Accept that allows neither is refused with 406 (ITI-68 §2:3.68.4.2.3).
 */
function binaryAsResource(accept: string, formatParam: string | undefined, mimeType: string): boolean {
  if (formatParam !== undefined) return true;
  if (accept.trim() === '') return false;
  const resource = Math.max(...FHIR_TYPES.map((t) => acceptWeight(accept, t, false)));
  const own = acceptWeight(accept, mimeType.toLowerCase().split(';')[0]!.trim(), true);
  if (resource === 0 && own === 0) {
    throw new FhirError(406, 'not-supported', `this document is ${mimeType}: ask for it, or for application/fhir+json or application/fhir+xml`, 'Accept');
  }
  return resource > own;
}

/** ITI-68 / Binary read: raw bytes unless FHIR JSON or XML is asked for (binary.html). */
async function readBinary(ctx: Context, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const formatParam = single(searchParamsOf(req.query, undefined), '_format');
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
  if (notModified(req, res, String(stored.version), stored.updatedAt)) return;
  if (binaryAsResource(req.get('accept') ?? '', formatParam, document.mimeType)) {
    const binary: Binary = renderBinary(document, content, { baseUrl: ctx.baseUrl, versionId: String(stored.version), lastUpdated: stored.updatedAt });
    sendResource(res, 200, binary, negotiate(req, formatParam));
    return;
  }
  // The document's type as it was given: express's type() and set() would add a charset it never declared.
  res.status(200).set({ 'Cache-Control': 'no-store', 'X-Security-Context': `Patient/${document.patientId}` });
  res.setHeader('Content-Type', document.mimeType);
  res.send(Buffer.from(content));
}

/**
 * Each caller's requests within its allowance (fhir.md §9: 429 with Retry-After), `$everything` within one of its
 * own besides. A caller is its partner connection, its staff member, or else its address.
 */
function throttled(limits: GatewayDeps['config']['fhirRateLimits']) {
  const requests = tokenBuckets(limits.requestsPerMinute);
  const everything = tokenBuckets(limits.everythingPerMinute);
  return (req: Request, _res: Response, next: (error?: unknown) => void): void => {
    const p = req.principal;
    const key = p.type === 'connection' ? `c:${p.connection.id}` : p.type === 'user' ? `u:${p.userId}` : `a:${req.ip ?? ''}`;
    const now = Date.now();
    const taken = requests.take(key, now);
    const refused = !taken.allowed ? taken : req.path.endsWith('/$everything') ? everything.take(key, now) : taken;
    if (refused.allowed) {
      next();
      return;
    }
    const what = taken.allowed ? '$everything requests' : 'requests';
    next(new FhirError(429, 'throttled', `too many ${what} from this caller: try again in ${refused.retryAfterSeconds} s`, undefined, { 'Retry-After': String(refused.retryAfterSeconds) }));
  };
}

const operationParsers = [
  express.json({ type: ['application/fhir+json', 'application/json'], limit: '64kb' }), express.urlencoded({ extended: false, limit: '64kb', verify: wellEncodedForm }),
];

/** Parses an operation's body: FHIR JSON (a Parameters resource) or a form. */
async function readOperationBody(req: Request, res: Response): Promise<void> {
  for (const parse of operationParsers) {
    await new Promise<void>((resolve, reject) => parse(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
  }
}

/**
 * Refuses what the router would otherwise read loosely: the base path in another case (express's mount is
 * case-insensitive) and a query with malformed percent-encoding, which the query parser
 * turns into replacement characters and a search that matches something else (a wider prefix, say).
 */
function wellFormed(req: Request, _res: Response, next: (error?: unknown) => void): void {
  if (!req.originalUrl.startsWith(BASE_PATH)) {
    next(new FhirError(404, 'not-supported', `${req.originalUrl.split('?')[0]} is not served here: the FHIR base is ${BASE_PATH}`));
    return;
  }
  const query = req.originalUrl.indexOf('?');
  if (decodedComponent(query < 0 ? req.originalUrl : req.originalUrl.slice(0, query)) === undefined) {
    next(new FhirError(400, 'invalid', 'the path is not percent-encoded UTF-8'));
    return;
  }
  const bad = query < 0 ? undefined : firstUndecodable(req.originalUrl.slice(query + 1));
  if (!bad) next();
  else if (bad.name === undefined) next(new FhirError(400, 'invalid', 'a parameter name is not percent-encoded UTF-8'));
  else next(new FhirError(400, 'invalid', `parameter ${bad.name}: the value is not percent-encoded UTF-8`, bad.name));
}

/**
 * A path no route serves, in FHIR's terms (http.html#status): an interaction a served type does not support is
 * 405, anything else (an unknown type, a path with more segments) 404; both say where the server describes itself.
 */
function notServed(req: Request, _res: Response, next: (error: unknown) => void): void {
  const [, type = '', ...rest] = req.path.split('/');
  const spec = specOf(type);
  const interaction = spec && rest.length <= 1 && rest[0] !== '_search' && req.method !== 'GET';
  next(interaction
    ? new FhirError(405, 'not-supported', `${req.method} is not supported on ${type}: this server reads and searches only (see ${BASE_PATH}/metadata)`, undefined, { Allow: 'GET' })
    : new FhirError(404, 'not-supported', `${req.method} ${BASE_PATH}${req.path} is not served here (see ${BASE_PATH}/metadata)`));
}

const STATUS_CODE: Readonly<Record<number, IssueCode>> = { 400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 406: 'not-supported', 409: 'conflict', 413: 'too-long', 415: 'not-supported' };

/**
 * Every failure on the FHIR surface is an OperationOutcome; an unexpected one says only its request id. A request
 * refused before it reached the pipeline is put on the audit trail first, so every exchange is there; a partner
 * credential taken from the cache unconfirmed is confirmed before that record names the partner, so a credential
 * revoked in another process gets its 401 and the trail its failed credentials, not a complaint about a parameter.
 */
const fhirErrors = (pipeline: OutboundPipeline): ErrorRequestHandler => (error: unknown, req, res, next) => {
  const exchange = failedExchange(req);
  if (!exchange || pipeline.audited(exchange)) {
    answerError(error, req, res);
    return;
  }
  const requester = exchange.requester;
  const confirmed = requester.kind === 'partner' && requester.confirm ? requester.confirm() : Promise.resolve();
  confirmed
    .then(() => error, (refusal: unknown) => refusal)
    .then(async (answered) => {
      const reason = answered instanceof FhirError || answered instanceof HttpError ? answered.message : 'failed while answering';
      await pipeline.refused(exchange, reason);
      answerError(answered, req, res);
    })
    .catch(next);
};

/**
 * The OperationOutcome for a failure on the FHIR surface, also for one raised before its router (authentication
 * refusing a token), so a FHIR client always reads the protocol's own error form.
 */
export function answerError(error: unknown, req: Request, res: Response): void {
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
  sendResource(res, status, operationOutcome([{ severity: status >= 500 ? 'fatal' : 'error', code, diagnostics, ...(expression ? { expression } : {}) }]), errorFormat(req));
};

/** The format the request asked for (`_format`, else Accept), or JSON when what it asked for is itself the error. */
function errorFormat(req: Request): Format {
  const param = typeof req.query._format === 'string' ? req.query._format : undefined;
  try {
    return negotiate(req, param);
  } catch {
    return 'json';
  }
}
