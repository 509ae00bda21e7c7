import type { Request, Response } from 'express';
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import type { HistoryWindow } from '../outbound/consented-reader.js';
import type { ResourceType } from './capability-table.js';
import { exchangeOf, requesterFor, type Context } from './context.js';
import { negotiate, sendResource } from './format.js';
import { FhirError } from './outcome.js';
import { searchParamsOf, single } from './params.js';
import { HANDLERS } from './resources.js';

/** What a history answer holds at most: records have few versions (corrections, edits), so no paging. */
export const MAX_HISTORY = 100;

/** The parameters a history interaction applies (http.html#history); others are ignored unless handling is strict. */
const KNOWN = new Set(['_count', '_since', '_format', '_pretty']);

const INSTANT = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** A FHIR instant (datatypes.html#instant) as milliseconds since the epoch; undefined for anything else, 30 February too. */
function instantOf(value: string): number | undefined {
  const m = INSTANT.exec(value);
  if (!m) return undefined;
  const day = Number(m[3]);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, day)).getUTCDate() === day ? Date.parse(value) : undefined;
}

function windowOf(params: Map<string, string[]>): { window: HistoryWindow; applied: URLSearchParams } {
  const applied = new URLSearchParams();
  const since = single(params, '_since');
  const sinceAt = since === undefined ? undefined : instantOf(since);
  if (since !== undefined) {
    if (sinceAt === undefined) throw new FhirError(400, 'invalid', '_since must be an instant with a time zone, e.g. 2026-01-31T12:00:00Z', '_since');
    applied.set('_since', since);
  }
  const count = single(params, '_count');
  if (count !== undefined && (!/^\d+$/.test(count) || Number(count) < 1)) throw new FhirError(400, 'invalid', '_count must be a whole number from 1', '_count');
  const kept = Math.min(count === undefined ? MAX_HISTORY : Number(count), MAX_HISTORY);
  if (count !== undefined) applied.set('_count', String(kept));
  return { window: { count: kept, ...(sinceAt !== undefined ? { since: sinceAt } : {}) }, applied };
}

/**
 * `[type]/[id]/_history` (history-instance): the kept versions of one record, newest first, under the consent
 * decision and audit of a read; `total` counts the versions since `_since`, of which `_count` (at most 100) leave.
 */
export async function history(ctx: Context, type: ResourceType, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const params = searchParamsOf(req.query, undefined);
  const formatParam = single(params, '_format');
  const format = negotiate(req, formatParam);
  const ignored = [...params.keys()].filter((name) => !KNOWN.has(name));
  if (ignored.length > 0 && /(^|[;,\s])handling=strict($|[;,\s])/.test(req.get('prefer') ?? '')) {
    throw new FhirError(400, 'not-supported', `parameters not supported for a history: ${ignored.join(', ')}`, ignored[0]);
  }
  const { window, applied } = windowOf(params);
  const handler = HANDLERS[type as Exclude<ResourceType, 'AuditEvent'>].history!;
  const found = await ctx.pipeline.run(exchangeOf(req, requesterFor(req), 'fhir-read', `${type}/history`), handler(id, window, ctx.baseUrl));
  if (!found) throw new FhirError(404, 'not-found', `${type}/${id} is not known here`);
  if (formatParam !== undefined) applied.set('_format', formatParam);
  const query = applied.toString();
  sendResource(res, 200, historyBundle(`${ctx.baseUrl}/${type}/${id}`, found.versions, found.total, query), format);
}

/** A history Bundle: each version as the interaction that made it (the first created, later ones updates). */
function historyBundle(url: string, versions: readonly FhirResource[], total: number, query: string): Bundle {
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
    link: [{ relation: 'self', url: `${url}/_history${query ? `?${query}` : ''}` }],
    entry: versions.map(entry),
  };
}
