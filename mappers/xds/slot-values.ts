import { isOid } from '../../canonical/index.js';
import { bareOid, urnUuid } from './ids.js';
import { ASSOCIATION_TYPES, AVAILABILITY_STATUS, DOCUMENT_ENTRY_TYPE, type AssociationType, type AvailabilityStatus, type DocumentEntryType } from './vocabulary.js';

/**
 * The syntax of stored-query slot values (ihe-xca-xcpd.md §2.1; IPF `QuerySlotHelper`), apart from what the
 * query means: a `rim:Value` holds one item `'text'` or a list `('a','b')`; a quote inside an item is doubled
 * (`'O''Brien'`). Items are returned as strings, whatever they look like (numeric-looking ids stay strings).
 * Unquoted items are accepted too: real initiators send `(urn:uuid:…,urn:uuid:…)` for `$XDSDocumentEntryType`
 * and unquoted times. Reasons never repeat the value, so they are safe to send back in a codeContext.
 */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

export function splitSlotValue(text: string): Parsed<string[]> {
  const value = text.trim();
  if (!value.startsWith('(')) {
    const item = readItem(value, 0);
    if (!item.ok) return item;
    if (item.value.end === value.length) return ok([item.value.text]);
    return bad(value[item.value.end] === ',' ? 'several items must be written as a list in parentheses' : 'the value has text after its closing quote');
  }
  if (!value.endsWith(')')) return bad('a list opened with ( is not closed with )');
  const inner = value.slice(1, -1);
  if (inner.trim() === '') return ok([]);
  const items: string[] = [];
  let at = 0;
  for (;;) {
    const item = readItem(inner, at);
    if (!item.ok) return item;
    items.push(item.value.text);
    at = skipSpace(inner, item.value.end);
    if (at === inner.length) return ok(items);
    if (inner[at] !== ',') return bad('list items must be separated by commas');
    at += 1;
  }
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at += 1;
  return at;
}

/** One item from `at`: a quoted string with doubled quotes, or a bare token up to the next comma. */
function readItem(text: string, from: number): Parsed<{ text: string; end: number }> {
  const start = skipSpace(text, from);
  if (text[start] === "'") {
    let out = '';
    let at = start + 1;
    for (;;) {
      const quote = text.indexOf("'", at);
      if (quote === -1) return bad('a quoted string is not closed');
      out += text.slice(at, quote);
      if (text[quote + 1] !== "'") return ok({ text: out, end: skipSpace(text, quote + 1) });
      out += "'";
      at = quote + 2;
    }
  }
  let end = start;
  while (end < text.length && text[end] !== ',') end += 1;
  const token = text.slice(start, end).trim();
  if (token === '') return bad('the value or a list item is empty');
  if (/['()]/.test(token)) return bad('an unquoted item holds a quote or a parenthesis');
  return ok({ text: token, end });
}

/** An HL7 CX patient id as XDS writes it, `id^^^&OID&ISO`, with the assigning authority's OID taken apart. */
export interface PatientId {
  /** Normalised to `id^^^&OID&ISO`, the form the gateway compares and renders. */
  readonly cx: string;
  readonly id: string;
  readonly assigningAuthority: string;
}

/**
 * CX.1 and CX.4 (universal id, type ISO) are required. A namespace id or a `urn:oid:` in CX.4 and further
 * components are tolerated and dropped: XDS forbids them (IPF `CXValidator`), but refusing a peer for them gains
 * nothing, and the id and OID that identify the patient are unaffected.
 */
export function parsePatientId(text: string): Parsed<PatientId> {
  const components = text.trim().split('^');
  const id = components[0]!;
  const authority = (components[3] ?? '').split('&');
  const oid = bareOid(authority[1] ?? '');
  if (id === '') return bad('the patient id has no ID number (CX.1) in id^^^&OID&ISO');
  if (authority.length !== 3 || !isOid(oid) || authority[2] !== 'ISO') {
    return bad('the patient id has no assigning authority &OID&ISO (CX.4) in id^^^&OID&ISO');
  }
  return ok({ cx: `${id}^^^&${oid}&ISO`, id, assigningAuthority: oid });
}

/** A code as queried, `code^^scheme` (HL7 CE; a display name in the second component is ignored). */
export interface QueryCode {
  readonly code: string;
  readonly scheme: string;
}

export function parseCode(text: string): Parsed<QueryCode> {
  const [code = '', , scheme = ''] = text.split('^');
  if (code.trim() === '' || scheme.trim() === '') return bad('a code is not written code^^scheme');
  return ok({ code, scheme });
}

/**
 * An XDS time (HL7 DTM, UTC, truncated at any precision from the year to the second). `start` is the first
 * instant it covers, written as canonical `startInstant` writes instants (`…T00:00:00.000Z`), so the two compare
 * as strings: a From bound selects times at or after it, a To bound times before it.
 */
export interface QueryTime {
  readonly value: string;
  readonly start: string;
}

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\d{2})?)?)?)?)?$/;

export function parseTime(text: string): Parsed<QueryTime> {
  const value = text.trim();
  const match = DTM.exec(value);
  if (!match) return bad('a time is not written YYYY[MM[DD[hh[mm[ss]]]]]');
  const year = match[1]!;
  const [month = '01', day = '01', hour = '00', minute = '00', second = '00'] = match.slice(2);
  const start = `${year}-${month}-${day}T${hour}:${minute}:${second}.000Z`;
  // Date.UTC rolls 20240231 over to March (and years below 100 into the 1900s): only an unchanged round trip
  // proves every field was in range.
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  if (date.toISOString() !== start) return bad('a time names a date or time that does not exist');
  return ok({ value, start });
}

/** The availability status URN; the bare names of XDS.a are accepted too. */
export function parseStatus(text: string): Parsed<AvailabilityStatus> {
  for (const [name, urn] of Object.entries(AVAILABILITY_STATUS) as [AvailabilityStatus, string][]) {
    if (text === urn || text === name) return ok(name);
  }
  return bad('a status is not urn:oasis:names:tc:ebxml-regrep:StatusType:Approved or :Deprecated');
}

export function parseUuid(text: string): Parsed<string> {
  const uuid = urnUuid(text);
  return uuid ? ok(uuid) : bad('an entryUUID is not a UUID');
}

export function parseEntryType(text: string): Parsed<DocumentEntryType> {
  const uuid = urnUuid(text);
  for (const [type, id] of Object.entries(DOCUMENT_ENTRY_TYPE) as [DocumentEntryType, string][]) {
    if (uuid === id) return ok(type);
  }
  return bad('a DocumentEntry type is neither the stable nor the on-demand objectType UUID');
}

export function parseAssociationType(text: string): Parsed<AssociationType> {
  const known = ASSOCIATION_TYPES.find((t) => t === text);
  return known ? ok(known) : bad('an association type is not one XDS defines');
}

export function parseString(text: string): Parsed<string> {
  return text === '' ? bad('the value is an empty string') : ok(text);
}
