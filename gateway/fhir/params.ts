import { FhirError } from './outcome.js';

/**
 * A search request's parameters as FHIR sees them: name (with its modifier) → values, every occurrence kept
 * (repeats AND, commas within one value OR). Parameters of the result (`_count`, `_format`, ...) sit beside the
 * filters; the caller says which names it knows.
 */
export type SearchParams = ReadonlyMap<string, readonly string[]>;

export function searchParamsOf(query: unknown, body: unknown): Map<string, string[]> {
  const params = new Map<string, string[]>();
  const add = (source: unknown) => {
    if (!source || typeof source !== 'object') return;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
      params.set(name, [...(params.get(name) ?? []), ...values]);
    }
  };
  add(query);
  add(body);
  return params;
}

/** The one value of a parameter that may appear once, or undefined; a second occurrence is an error. */
export function single(params: SearchParams, name: string): string | undefined {
  const values = params.get(name);
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new FhirError(400, 'invalid', `parameter ${name} may be given only once`, name);
  return values[0];
}

export interface Token {
  readonly system?: string;
  readonly code?: string;
}

/** `system|code`, `|code` (no system), `system|` (any code of the system) or `code` (any system). */
export function parseToken(value: string, name: string): Token {
  if (value === '') throw new FhirError(400, 'invalid', `parameter ${name} has an empty value`, name);
  const bar = value.indexOf('|');
  if (bar < 0) return { code: value };
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (!system && !code) throw new FhirError(400, 'invalid', `parameter ${name} must be system|code, not "|"`, name);
  return { ...(system ? { system } : {}), ...(code ? { code } : {}) };
}

/** Comma-separated alternatives of one value (an escaped `\,` is a comma inside a value). */
export function alternatives(value: string): string[] {
  return value.split(/(?<!\\),/).map((v) => v.replace(/\\,/g, ','));
}

export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our resources' ids are UUIDs: anything else cannot name one, so it is simply not found. */
export function isOurId(id: string): boolean {
  return UUID.test(id);
}

/** A reference parameter's target id: `id`, `Type/id` or an absolute URL on our own base. */
export function referenceId(value: string, type: string, name: string, baseUrl: string): string {
  let rest = value;
  if (rest.startsWith(`${baseUrl}/`)) rest = rest.slice(baseUrl.length + 1);
  if (rest.startsWith(`${type}/`)) rest = rest.slice(type.length + 1);
  if (!FHIR_ID.test(rest)) throw new FhirError(400, 'invalid', `parameter ${name} must reference a ${type} (${type}/id)`, name);
  return rest;
}

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

type ServedPrefix = Exclude<DatePrefix, 'ne' | 'ap'>;

/** A date value's prefix and the instants [start, end) it covers at the precision written. */
export function dateBounds(value: string, name: string): { prefix: ServedPrefix; start: string; end: string } {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?)$/.exec(value);
  if (!m) throw new FhirError(400, 'invalid', `parameter ${name}: "${value}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime, with an optional prefix)`, name);
  const prefix = (m[1] ?? 'eq') as DatePrefix;
  if (prefix === 'ne' || prefix === 'ap') {
    throw new FhirError(400, 'not-supported', `parameter ${name}: the prefix ${prefix} is not supported (eq, ge, gt, le, lt, sa, eb are)`, name);
  }
  return { prefix, ...precisionRange(m[2]!, name) };
}

/** A date parameter as a half-open instant range [from, to), from its prefix and the precision written. */
export function dateRange(value: string, name: string): { from?: string; to?: string } {
  const { prefix, start, end } = dateBounds(value, name);
  switch (prefix) {
    case 'eq': return { from: start, to: end };
    case 'ge': return { from: start };
    case 'gt': case 'sa': return { from: end };
    case 'lt': case 'eb': return { to: start };
    case 'le': return { to: end };
  }
}

/** The instants a date value covers at the precision it was written with: [start, end). */
function precisionRange(value: string, name: string): { start: string; end: string } {
  const [datePart, timePart] = value.split('T') as [string, string | undefined];
  const [y, mo, d] = datePart.split('-').map(Number) as [number, number | undefined, number | undefined];
  const invalid = () => new FhirError(400, 'invalid', `parameter ${name}: "${value}" is not a valid date`, name);
  if ((mo !== undefined && (mo < 1 || mo > 12)) || (d !== undefined && (d < 1 || d > 31))) throw invalid();
  if (timePart !== undefined) {
    const instant = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
    if (Number.isNaN(instant.getTime())) throw invalid();
    const seconds = /T\d{2}:\d{2}:\d{2}/.test(value);
    // A fraction of a second is taken to the millisecond, the precision of the instants we serve.
    const fraction = /T\d{2}:\d{2}:\d{2}\.\d/.test(value);
    const end = new Date(instant.getTime() + (fraction ? 1 : seconds ? 1000 : 60_000));
    return { start: instant.toISOString(), end: end.toISOString() };
  }
  const start = new Date(Date.UTC(y, (mo ?? 1) - 1, d ?? 1));
  if (d !== undefined && start.getUTCDate() !== d) throw invalid();
  const end = d !== undefined ? new Date(Date.UTC(y, mo! - 1, d + 1)) : mo !== undefined ? new Date(Date.UTC(y, mo, 1)) : new Date(Date.UTC(y + 1, 0, 1));
  return { start: start.toISOString(), end: end.toISOString() };
}

const INSTANT = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** A parameter of type instant (datatypes.html#instant: a time with its zone; no 30 February), in UTC. */
export function instantParam(value: string, name: string): string {
  const m = INSTANT.exec(value);
  const day = Number(m?.[3]);
  if (!m || new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, day)).getUTCDate() !== day) {
    throw new FhirError(400, 'invalid', `${name} must be an instant with a time zone, e.g. 2026-01-31T12:00:00Z`, name);
  }
  return new Date(Date.parse(value)).toISOString();
}
