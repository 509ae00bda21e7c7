import type { Request, Response } from 'express';
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import { subsetResource } from '../../mappers/fhir/subset.js';
import type { Requester } from '../outbound/requester.js';
import { auditEventPage, auditQuery } from './audit-events.js';
import { RESULT_PARAMETERS, type IncludeName, type ResourceSpec, type RevIncludeName } from './capability-table.js';
import { callerKey, exchangeOf, requesterFor, type Context } from './context.js';
import { negotiate, sendResource } from './format.js';
import { FhirError, operationOutcome, type IssueCode } from './outcome.js';
import type { PageState } from './page-token.js';
import { searchParamsOf, single } from './params.js';
import { HANDLERS } from './resources.js';
import { resultShape, type ResultShape } from './result-shape.js';
import { EVERYTHING_PARAMETERS, everything } from './search/everything.js';
import { MAX_INCLUDED } from './search/includes.js';
import type { SearchResult } from './search/request.js';

const DEFAULT_COUNT = 20;
const MAX_COUNT = 100;

function countOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new FhirError(400, 'invalid', '_count must be a whole number from 1', '_count');
  return Number(value);
}

/** A search request as received: its applied parameters, what was ignored, and the page it continues. */
interface Received {
  readonly requester: Requester;
  readonly caller: { c: string; p?: string };
  readonly format: ReturnType<typeof negotiate>;
  /** `_format` as asked, kept on the links so that following them gives the same format. */
  readonly formatParam?: string;
  /** The page token this request continues, which is this page's own address. */
  readonly pageToken?: string;
  /** `_count` asked for beyond the cap, said in the answer. */
  readonly countCapped?: number;
  readonly params: Map<string, string[]>;
  readonly ignored: readonly string[];
  readonly page?: PageState;
  readonly count: number;
  readonly shape: ResultShape;
}

/**
 * Reads the parameters a search of `label` (a type, or an operation on one patient) knows; a page token brings
 * back the parameters of the search it continues. Unknown parameters and `_include` values are ignored and
 * said so, or refused with `Prefer: handling=strict` (search.html#errors).
 */
function receive(
  ctx: Context, req: Request, label: string, known: ReadonlySet<string>, served: Readonly<Partial<Record<'_include' | '_revinclude', readonly string[]>>>,
  body: unknown = formBody(req),
): Received {
  const requester = requesterFor(req);
  const raw = searchParamsOf(req.query, body);
  const formatParam = single(raw, '_format');
  const format = negotiate(req, formatParam);
  const pageToken = single(raw, '_page');
  const caller = callerKey(requester);
  const page = pageToken ? ctx.pages.open(pageToken, caller, ctx.now()) : undefined;
  if (page && page.t !== label) throw new FhirError(400, 'invalid', `this page token continues a ${page.t} search`, '_page');
  const params = new Map<string, string[]>();
  const ignored: string[] = [];
  for (const [name, values] of page ? Object.entries(page.q) : raw) {
    refuseModifier(name, known, served);
    const includes = name === '_include' || name === '_revinclude' ? served[name] ?? [] : undefined;
    if (!known.has(name) && !includes?.length) ignored.push(name);
    else if (!includes) params.set(name, values);
    else {
      const supported = values.filter((v) => includes.includes(v));
      ignored.push(...values.filter((v) => !includes.includes(v)).map((v) => `${name}=${v}`));
      if (supported.length) params.set(name, supported);
    }
  }
  if (ignored.length > 0 && /(^|[;,\s])handling=strict($|[;,\s])/.test(req.get('prefer') ?? '')) {
    throw new FhirError(400, 'not-supported', `parameters not supported for ${label}: ${ignored.join(', ')}`, ignored[0]);
  }
  const asked = countOf(single(params, '_count'));
  const count = Math.min(asked, MAX_COUNT);
  if (asked > count) params.set('_count', [String(count)]);
  const shape = resultShape(params);
  params.delete('_page');
  params.delete('_format');
  params.delete('_pretty');
  return {
    requester, caller, format, params, ignored, ...(page ? { page, pageToken } : {}), count, shape,
    ...(formatParam !== undefined ? { formatParam } : {}), ...(asked > count ? { countCapped: asked } : {}),
  };
}

/** A POST search's form-encoded parameters; any other body would be read as none, and the search widened (http.html#search). */
function formBody(req: Request): unknown {
  if (req.method !== 'POST') return undefined;
  if (req.is('application/x-www-form-urlencoded') === false) {
    throw new FhirError(415, 'not-supported', 'a search by POST sends its parameters as application/x-www-form-urlencoded', 'Content-Type');
  }
  return req.body;
}

/**
 * An operation's parameters sent by POST (operations.html#executing): a Parameters resource of simple values, or a
 * form; no body at all is no parameters.
 */
function operationBody(req: Request): unknown {
  if (req.method === 'POST' && req.is(['application/fhir+xml', 'application/xml'])) {
    throw new FhirError(415, 'not-supported', "an operation's Parameters are read as application/fhir+json (or a form), not XML", 'Content-Type');
  }
  if (req.method !== 'POST' || !req.is(['application/fhir+json', 'application/json'])) return formBody(req);
  const body = req.body as { resourceType?: unknown; parameter?: unknown } | null | undefined;
  // Clients send `{}` (or null) for an operation without parameters.
  if (body === null || body === undefined || (typeof body === 'object' && Object.keys(body).length === 0)) return {};
  if (body.resourceType !== 'Parameters') throw new FhirError(400, 'invalid', 'the body of an operation is a Parameters resource', 'resourceType');
  const values: Record<string, string[]> = {};
  for (const [i, parameter] of (Array.isArray(body.parameter) ? body.parameter : []).entries()) {
    const p = parameter as Record<string, unknown>;
    const valueKey = Object.keys(p).find((k) => k.startsWith('value'));
    const value = valueKey ? p[valueKey] : undefined;
    if (typeof p.name !== 'string' || !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new FhirError(400, 'invalid', `parameter[${i}] needs a name and a simple value (valueString, valueDate, valueInteger, ...)`, `Parameters.parameter[${i}]`);
    }
    (values[p.name] ??= []).push(String(value));
  }
  return values;
}

/**
 * A parameter we serve, written with a modifier we do not (`code:not`, `family:exact`, `_include:iterate`): ignoring
 * it would answer a different question, so it is refused whatever the handling (search.html#modifiers).
 */
function refuseModifier(name: string, known: ReadonlySet<string>, served: Readonly<Partial<Record<string, readonly string[]>>>): void {
  const colon = name.indexOf(':');
  if (colon <= 0 || known.has(name)) return;
  const base = name.slice(0, colon);
  if (known.has(base) || served[base]?.length) {
    throw new FhirError(400, 'not-supported', `parameter ${base}: the modifier ${name.slice(colon)} is not supported`, name);
  }
}

type Issue = { severity: 'warning'; code: IssueCode; diagnostics: string };

/** Said in the Bundle (search.mode = outcome): what was ignored or capped, and why a partner without a purpose sees nothing. */
function warnings(r: Received, includeCapped: boolean): BundleEntry[] {
  const { requester, ignored } = r;
  const issues: Issue[] = [];
  if (ignored.length > 0) issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `ignored parameters: ${ignored.join(', ')}` });
  if (r.countCapped !== undefined) issues.push({ severity: 'warning', code: 'too-costly', diagnostics: `_count ${r.countCapped} is more than a page holds: pages of ${MAX_COUNT}` });
  if (includeCapped) issues.push({ severity: 'warning', code: 'too-costly', diagnostics: `at most ${MAX_INCLUDED} resources are included per page; some were left out` });
  if (requester.kind === 'partner' && requester.purpose.outcome !== 'matched') {
    issues.push({ severity: 'warning', code: 'security', diagnostics: 'this credential proves no purpose of use, so nothing is disclosed: use an access token from /oauth/token' });
  }
  return issues.length ? [{ resource: operationOutcome(issues), search: { mode: 'outcome' } }] : [];
}

/** The searchset: links with the applied parameters only, matches (subsetted if asked), includes, and warnings. */
function searchset(ctx: Context, path: string, r: Received, result: SearchResult): Bundle {
  const applied = new URLSearchParams([...r.params].flatMap(([name, values]) => values.map((v) => [name, v] as [string, string])));
  const format = r.formatParam !== undefined ? new URLSearchParams({ _format: r.formatParam }).toString() : '';
  const query = (q: string) => [q, format].filter(Boolean).join('&');
  // A later page's self link shows the parameters applied, as the first's does, and its own page token (which wins).
  const selfQuery = query([applied.toString(), r.pageToken !== undefined ? `_page=${r.pageToken}` : ''].filter(Boolean).join('&'));
  const self = { relation: 'self', url: `${ctx.baseUrl}/${path}${selfQuery ? `?${selfQuery}` : ''}` };
  if (r.shape.answer === 'count') return { resourceType: 'Bundle', type: 'searchset', total: result.total ?? 0, link: [self] };
  const entry = (mode: 'match' | 'include') => (resource: FhirResource): BundleEntry => ({
    fullUrl: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode },
  });
  const matches = r.shape.subset ? result.matches.map((m) => subsetResource(m, r.shape.subset!)) : result.matches;
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: [
      self,
      ...(result.next !== undefined
        ? [{ relation: 'next', url: `${ctx.baseUrl}/${path}?${query(`_page=${ctx.pages.issue({ t: path, q: Object.fromEntries(r.params), k: result.next, ...r.caller }, ctx.now())}`)}` }]
        : []),
    ],
    entry: [...matches.map(entry('match')), ...result.included.map(entry('include')), ...warnings(r, result.includeCapped)],
  };
}

/** Search of a consent-gated type: the handler's disclosure through the outbound pipeline. */
export async function search(ctx: Context, spec: ResourceSpec, req: Request, res: Response): Promise<void> {
  const known = new Set([...(spec.search ?? []).map((p) => p.name), ...RESULT_PARAMETERS]);
  const r = receive(ctx, req, spec.type, known, { _include: spec.include ?? [], _revinclude: spec.revinclude ?? [] });
  const handler = HANDLERS[spec.type as Exclude<ResourceSpec['type'], 'AuditEvent'>].search!;
  const result = await ctx.pipeline.run(
    exchangeOf(req, r.requester, 'fhir-search', `${spec.type}?${[...r.params.keys()].filter((k) => k !== '_count').sort().join('&')}`),
    handler({
      params: r.params, after: r.page?.k, count: r.count, baseUrl: ctx.baseUrl, answer: r.shape.answer, total: r.shape.total,
      include: (r.params.get('_include') ?? []) as IncludeName[], revinclude: (r.params.get('_revinclude') ?? []) as RevIncludeName[],
    }),
  );
  sendResource(res, 200, searchset(ctx, spec.type, r, result), r.format);
}

/** `Patient/[id]/$everything`, audited as an operation; its pages are bound to the patient as well as the caller. */
export async function patientEverything(ctx: Context, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const path = `Patient/${id}/$everything`;
  const r = receive(ctx, req, path, new Set(EVERYTHING_PARAMETERS), {}, operationBody(req));
  if (r.shape.answer === 'count') throw new FhirError(400, 'not-supported', '_summary=count is not supported by $everything', '_summary');
  const result = await ctx.pipeline.run(
    exchangeOf(req, r.requester, 'fhir-operation', 'Patient/$everything'),
    everything({ patientId: id, params: r.params, after: r.page?.k, count: r.count, baseUrl: ctx.baseUrl }),
  );
  // A patient the caller may not see, for whatever reason, does not exist for them (consent-and-audit.md §4).
  if (!result) throw new FhirError(404, 'not-found', `Patient/${id} is not known here`);
  sendResource(res, 200, searchset(ctx, path, r, result), r.format);
}

/** AuditEvent search: not a disclosure about patients but a use of the audit log, recorded as one before it is read. */
export async function auditEventSearch(ctx: Context, spec: ResourceSpec, req: Request, res: Response): Promise<void> {
  const r = receive(ctx, req, spec.type, new Set([...(spec.search ?? []).map((p) => p.name), ...RESULT_PARAMETERS]), {});
  if (r.shape.answer === 'count') throw new FhirError(400, 'not-supported', '_summary=count is not supported for AuditEvent', '_summary');
  if (r.requester.kind !== 'staff') throw new FhirError(403, 'forbidden', 'not allowed for your role or connection');
  const query = auditQuery(r.params, ctx.baseUrl);
  const applied = new URLSearchParams([...r.params].flatMap(([name, values]) => values.map((v) => [name, v] as [string, string])));
  await ctx.audit.append({
    transaction: 'audit-access', action: 'fhir-search-audit-event', outcome: 'success', actor: { type: 'user', userId: r.requester.userId },
    detail: { query: applied.toString().slice(0, 1000), ...(r.page ? { page: 'continued' } : {}) }, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
  });
  const page = await auditEventPage(ctx.trail, query, r.page?.k, r.count, ctx.auditEvents);
  const result: SearchResult = { matches: page.events, included: [], includeCapped: false, ...(page.next !== undefined ? { next: page.next } : {}) };
  sendResource(res, 200, searchset(ctx, spec.type, r, result), r.format);
}
