import type { FhirResource } from 'fhir/r4.js';
import type { StoredWindow } from '../../../store/index.js';
import type { ConsentedReader } from '../../outbound/consented-reader.js';
import type { Disclosure } from '../../outbound/pipeline.js';
import { FhirError } from '../outcome.js';
import { alternatives, dateRange, instantParam, isOurId, single, type SearchParams } from '../params.js';
import { renderAny, type Renderable } from '../render.js';
import { keyset } from './scoped.js';
import { NOTHING, storedWindowFrom, type SearchResult } from './request.js';

/**
 * `Patient/[id]/$everything` (R4 OperationDefinition Patient-everything): the patient and their records, type
 * by type in the order below, paged across types. `start`/`end` bound care dates (effective time, onset,
 * document creation; records without one fall outside a bounded range, and enrolments are not bounded), `_since`
 * the time records were stored, `_type` the types.
 */
export const EVERYTHING_TYPES = ['Patient', 'Observation', 'Condition', 'DiagnosticReport', 'DocumentReference', 'EpisodeOfCare'] as const;
type EverythingType = (typeof EVERYTHING_TYPES)[number];

export const EVERYTHING_PARAMETERS = ['start', 'end', '_since', '_type', '_count', '_format', '_pretty', '_page', '_summary', '_elements'] as const;

interface Bounds {
  readonly from?: string;
  readonly to?: string;
  readonly stored: StoredWindow;
}

/** Where a page starts: the index of a type in the request's list, and the position within that type. */
interface Cursor {
  readonly i: number;
  readonly k?: unknown;
}

type Lister = (read: ConsentedReader, patientId: string, b: Bounds, count: number, after: unknown) => Promise<{ items: Renderable[]; next?: unknown }>;

const LISTERS: Readonly<Record<Exclude<EverythingType, 'Patient'>, Lister>> = {
  Observation: (read, id, b, count, after) => read.observations(id, { from: b.from, to: b.to, ...b.stored, ...keyset(count, after) }),
  Condition: (read, id, b, count, after) => read.conditions(id, { onsetFrom: b.from, onsetTo: b.to, ...b.stored, ...keyset(count, after) }),
  DiagnosticReport: (read, id, b, count, after) => read.reports(id, { from: b.from, to: b.to, ...b.stored, ...keyset(count, after) }),
  EpisodeOfCare: (read, id, b, count, after) => read.enrolments(id, { ...b.stored, ...keyset(count, after) }),
  async DocumentReference(read, id, b, count, after) {
    const start = typeof after === 'number' ? after : 0;
    const query = { creationFrom: b.from, creationTo: b.to, ...b.stored };
    const items = await read.documents(id, { ...query, limit: count, offset: start });
    const more = items.length === count && (await read.count(id, { type: 'DocumentReference', query })) > start + count;
    return { items, ...(more ? { next: start + count } : {}) };
  },
};

function typesOf(params: SearchParams): EverythingType[] {
  const asked = params.get('_type')?.flatMap((v) => alternatives(v));
  if (!asked) return [...EVERYTHING_TYPES];
  for (const t of asked) {
    if (!(EVERYTHING_TYPES as readonly string[]).includes(t)) throw new FhirError(400, 'not-supported', `_type ${t} is not one of ${EVERYTHING_TYPES.join(', ')}`, '_type');
  }
  return EVERYTHING_TYPES.filter((t) => asked.includes(t));
}

function boundsOf(params: SearchParams): Bounds {
  const start = single(params, 'start');
  const end = single(params, 'end');
  const since = single(params, '_since');
  return {
    ...(start ? { from: dateRange(start, 'start').from } : {}),
    ...(end ? { to: dateRange(end, 'end').to } : {}),
    stored: since ? storedWindowFrom(instantParam(since, '_since')) : {},
  };
}

const DIRECTORY_REFERENCE = /^(?:.*\/)?(Organization|Practitioner)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The Organizations and Practitioners a page's resources reference, each once, as includes: Patient-everything
 * returns "any resource referenced from those" (the managing practice, performers, care managers), so a client
 * can resolve every reference it was given. Directory entries, not about the patient: no consent applies to them.
 */
async function referencedDirectory(read: ConsentedReader, resources: readonly FhirResource[], baseUrl: string): Promise<FhirResource[]> {
  const wanted = new Map<string, 'Organization' | 'Practitioner'>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        const m = key === 'reference' && typeof v === 'string' ? DIRECTORY_REFERENCE.exec(v) : null;
        if (m) wanted.set(m[2]!, m[1] as 'Organization' | 'Practitioner');
        else visit(v);
      }
    }
  };
  visit(resources);
  const found = await Promise.all([...wanted].map(async ([id, type]) => {
    const record = type === 'Organization' ? await read.organization(id) : await read.practitioner(id);
    return record ? (await renderAny(read, type, [record], baseUrl))[0] : undefined;
  }));
  return found.filter((r): r is FhirResource => r !== undefined);
}

export interface EverythingRequest {
  readonly patientId: string;
  readonly params: SearchParams;
  readonly after: unknown;
  readonly count: number;
  readonly baseUrl: string;
}

/** Nothing (undefined) for a patient unknown or not permitted: the operation's route answers 404, as a read does. */
export function everything(request: EverythingRequest): Disclosure<SearchResult | undefined> {
  const types = typesOf(request.params);
  const bounds = boundsOf(request.params);
  const cursor = (request.after ?? { i: 0 }) as Cursor;
  return {
    subjects: async (find) => {
      const found = isOurId(request.patientId) ? await find.byId(request.patientId) : undefined;
      return found ? [found] : [];
    },
    async respond(read, verdict) {
      const patientId = verdict.permitted[0];
      if (!patientId) return undefined;
      const matches: FhirResource[] = [];
      let i = cursor.i;
      let k = cursor.k;
      let next: Cursor | undefined;
      while (i < types.length && matches.length < request.count) {
        const type = types[i]!;
        if (type === 'Patient') {
          const record = await read.patient(patientId);
          const [patient] = record ? await renderAny(read, 'Patient', [record], request.baseUrl) : [];
          if (patient && (!bounds.stored.storedFrom || (patient.meta?.lastUpdated ?? '') >= bounds.stored.storedFrom)) matches.push(patient);
        } else {
          const page = await LISTERS[type](read, patientId, bounds, request.count - matches.length, k);
          matches.push(...(await renderAny(read, type, page.items, request.baseUrl)));
          if (page.next !== undefined) {
            next = { i, k: page.next };
            break;
          }
        }
        i += 1;
        k = undefined;
      }
      if (!next && i < types.length) next = { i };
      const included = await referencedDirectory(read, matches, request.baseUrl);
      return { ...NOTHING, matches, included, ...(next ? { next } : {}) };
    },
  };
}
