import { Coding, DateTime, Identifier, oidOf, Period, type Issue } from '../../../canonical/index.js';
import type { FhirCoding, FhirConcept, FhirIdentifier, FhirPeriod } from './fhir-shapes.js';
import { at, checkCanonical, error, warning, type Where } from './issues.js';

/** FHIR data types read into their canonical form, each problem at the element it concerns. */

export interface Parsed<T> {
  readonly value?: T;
  readonly issues: Issue[];
}

/** `{ key: value }` when the value is given, else nothing: spreads into a record without writing `undefined`. */
export function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value !== undefined ? ({ [key]: value } as { [P in K]: string }) : {};
}

export function parseIdentifier(raw: FhirIdentifier, where: Where): Parsed<Identifier> {
  const issues: Issue[] = [];
  if (!raw.system) issues.push(error('required', at(where, 'system'), 'is required: an identifier is matched by system and value'));
  if (!raw.value) issues.push(error('required', at(where, 'value'), 'is required'));
  const period: Parsed<Period> = raw.period ? parsePeriod(raw.period, at(where, 'period')) : { issues: [] };
  issues.push(...period.issues);
  if (issues.length > 0) return { issues };
  const checked = checkCanonical(Identifier, {
    system: raw.system,
    value: raw.value,
    ...(raw.use ? { use: raw.use } : {}),
    ...(period.value ? { period: period.value } : {}),
    ...(raw.assigner?.display ? { assignerName: raw.assigner.display } : {}),
  }, where);
  return checked.value ? { value: checked.value, issues: [] } : { issues: checked.issues };
}

export function parseDateTime(raw: string, where: Where): Parsed<string> {
  return DateTime.safeParse(raw).success
    ? { value: raw, issues: [] }
    : { issues: [error('value', where, 'must be a FHIR date or dateTime, with a time zone when a time is given')] };
}

export function parsePeriod(raw: FhirPeriod, where: Where): Parsed<Period> {
  const start = raw.start !== undefined ? parseDateTime(raw.start, at(where, 'start')) : undefined;
  const end = raw.end !== undefined ? parseDateTime(raw.end, at(where, 'end')) : undefined;
  const issues = [...(start?.issues ?? []), ...(end?.issues ?? [])];
  if (issues.length > 0) return { issues };
  const checked = checkCanonical(Period, { ...(start?.value ? { start: start.value } : {}), ...(end?.value ? { end: end.value } : {}) }, where);
  return checked.value ? { value: checked.value, issues: [] } : { issues: checked.issues };
}

/**
 * A code as XDS carries it: one coding scheme and one code. The scheme is written as an OID on the XDS wire, so a
 * system without a known OID is kept as written, with a warning that partners will see it so.
 */
export function parseCoding(raw: FhirCoding, where: Where): Parsed<Coding> {
  const issues: Issue[] = [];
  if (!raw.system) issues.push(error('required', at(where, 'system'), 'is required: an XDS code names its coding scheme'));
  if (!raw.code) issues.push(error('required', at(where, 'code'), 'is required'));
  if (issues.length > 0) return { issues };
  const checked = checkCanonical(Coding, {
    system: raw.system,
    code: raw.code,
    ...(raw.display ? { display: raw.display } : {}),
    ...(raw.version ? { version: raw.version } : {}),
  }, where);
  if (!checked.value) return { issues: checked.issues };
  const noOid = oidOf(checked.value.system) === undefined;
  return {
    value: checked.value,
    issues: noOid ? [warning('informational', at(where, 'system'), 'has no known OID: XDS partners receive the system as written for its coding scheme')] : [],
  };
}

/**
 * A CodeableConcept as one XDS code. Its further codings are translations of the same concept, which an XDS
 * code cannot hold: the first is kept and the rest are named in a warning.
 */
export function parseConcept(raw: FhirConcept | undefined, where: Where, xdsName: string): Parsed<Coding> {
  if (!raw) return { issues: [error('required', where, `is required (XDS ${xdsName})`)] };
  const [first, ...more] = raw.coding ?? [];
  if (!first) return { issues: [error('required', at(where, 'coding'), `is required: XDS ${xdsName} is a code, not text`)] };
  const parsed = parseCoding(first, at(where, 'coding', 0));
  const dropped = more.length > 0 ? [warning('informational', at(where, 'coding'), `has ${more.length + 1} codings: only the first is kept as XDS ${xdsName}`)] : [];
  return { ...(parsed.value ? { value: parsed.value } : {}), issues: [...parsed.issues, ...dropped] };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** FHIR base64Binary (whitespace allowed between groups), strictly: a lenient decoder would quietly drop bad characters. */
export function decodeBase64(raw: string, where: Where): Parsed<Uint8Array> {
  const compact = raw.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return { issues: [error('value', where, 'must be base64')] };
  return { value: new Uint8Array(Buffer.from(compact, 'base64')), issues: [] };
}
