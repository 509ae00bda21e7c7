import type { Request, Response } from 'express';
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import { subsetResource } from '../../mappers/fhir/subset.js';
import type { HistoryWindow } from '../outbound/consented-reader.js';
import type { ResourceType } from './capability-table.js';
import { callerKey, exchangeOf, requesterFor, type Context } from './context.js';
import { negotiate, sendResource } from './format.js';
import { FhirError } from './outcome.js';
import { instantParam, searchParamsOf, single } from './params.js';
import { HANDLERS } from './resources.js';
import { resultShape } from './result-shape.js';

/** Versions a page holds at most (and by default). */
export const MAX_HISTORY = 100;

/** The parameters a history interaction applies (http.html#history); others are ignored unless handling is strict. */
const KNOWN = new Set(['_count', '_since', '_format', '_pretty', '_page', '_summary', '_elements']);

/** The window the parameters ask for, and the parameters as applied (for the links). */
function windowOf(params: ReadonlyMap<string, readonly string[]>, offset: number): { window: HistoryWindow; applied: [string, string][] } {
  const applied: [string, string][] = [];
  const since = single(params, '_since');
  const sinceAt = since === undefined ? undefined : Date.parse(instantParam(since, '_since'));
  if (since !== undefined) applied.push(['_since', since]);
  const count = single(params, '_count');
  if (count !== undefined && (!/^\d+$/.test(count) || Number(count) < 1)) throw new FhirError(400, 'invalid', '_count must be a whole number from 1', '_count');
  const kept = Math.min(count === undefined ? MAX_HISTORY : Number(count), MAX_HISTORY);
  if (count !== undefined) applied.push(['_count', String(kept)]);
  for (const name of ['_summary', '_elements']) for (const value of params.get(name) ?? []) applied.push([name, value]);
  return { window: { count: kept, offset, ...(sinceAt !== undefined ? { since: sinceAt } : {}) }, applied };
}

/**
 * `[type]/[id]/_history` (history-instance): the kept versions of one record, newest first, under the consent
 * decision and audit of a read; `total` counts the versions since `_since`, a page holds `_count` (at most 100)
 * and links to the next. `_summary` and `_elements` shape each version as they shape a read.
 */
export async function history(ctx: Context, type: ResourceType, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const path = `${type}/${id}/_history`;
  const raw = searchParamsOf(req.query, undefined);
  const formatParam = single(raw, '_format');
  const format = negotiate(req, formatParam);
  const requester = requesterFor(req);
  const caller = callerKey(requester);
  const pageToken = single(raw, '_page');
  const page = pageToken ? ctx.pages.open(pageToken, caller, ctx.now()) : undefined;
  if (page && (page.t !== path || typeof page.k !== 'number')) throw new FhirError(400, 'invalid', `this page token does not continue the history of ${type}/${id}`, '_page');
  // A page token brings back the parameters of the history it continues.
  const params = page ? new Map(Object.entries(page.q)) : raw;
  const ignored = [...params.keys()].filter((name) => !KNOWN.has(name));
  if (ignored.length > 0 && /(^|[;,\s])handling=strict($|[;,\s])/.test(req.get('prefer') ?? '')) {
    throw new FhirError(400, 'not-supported', `parameters not supported for a history: ${ignored.join(', ')}`, ignored[0]);
  }
  const shape = resultShape(params);
  if (shape.answer === 'count') throw new FhirError(400, 'not-supported', '_summary=count is not supported for a history', '_summary');
  const offset = page ? (page.k as number) : 0;
  const { window, applied } = windowOf(params, offset);
  const handler = HANDLERS[type as Exclude<ResourceType, 'AuditEvent'>].history!;
  const found = await ctx.pipeline.run(exchangeOf(req, requester, 'fhir-read', `${type}/history`), handler(id, window, ctx.baseUrl));
  if (!found) throw new FhirError(404, 'not-found', `${type}/${id} is not known here`);
  // The links keep `_format`, as a search's do; the next one carries the parameters in its token.
  const query = (pairs: readonly [string, string][]) => {
    const q = new URLSearchParams([...pairs, ...(formatParam !== undefined ? [['_format', formatParam] as [string, string]] : [])]).toString();
    return q ? `?${q}` : '';
  };
  const carried: Record<string, string[]> = {};
  for (const [name, value] of applied) (carried[name] ??= []).push(value);
  const next = offset + found.versions.length < found.total
    ? query([['_page', ctx.pages.issue({ t: path, q: carried, k: offset + window.count, ...caller }, ctx.now())]])
    : undefined;
  const versions = shape.subset ? found.versions.map((v) => subsetResource(v, shape.subset!)) : found.versions;
  const links = {
    self: `${ctx.baseUrl}/${path}${query([...applied, ...(pageToken ? [['_page', pageToken] as [string, string]] : [])])}`,
    ...(next ? { next: `${ctx.baseUrl}/${path}${next}` } : {}),
  };
  sendResource(res, 200, historyBundle(`${ctx.baseUrl}/${type}/${id}`, versions, found.total, links), format);
}

/** A history Bundle: each version as the interaction that made it (the first created, later ones updates). */
function historyBundle(url: string, versions: readonly FhirResource[], total: number, links: { self: string; next?: string }): Bundle {
  const entry = (resource: FhirResource): BundleEntry => {
    const versionId = resource.meta?.versionId ?? '1';
    const first = versionId === '1';
    return {
      fullUrl: url,
      resource,
      request: first ? { method: 'POST', url: resource.resourceType } : { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
      response: { status: first ? '201 Created' : '200 OK', etag: `W/"${versionId}"`, ...(resource.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}) },
    };
  };
  return {
    resourceType: 'Bundle',
    type: 'history',
    total,
    link: [{ relation: 'self', url: links.self }, ...(links.next ? [{ relation: 'next', url: links.next }] : [])],
    entry: versions.map(entry),
  };
}
