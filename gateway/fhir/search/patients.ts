import { familyKey } from '../../../canonical/index.js';
import type { PatientRecord } from '../../../store/index.js';
import type { Disclosure } from '../../outbound/pipeline.js';
import { FhirError } from '../outcome.js';
import { alternatives, isOurId, parseToken, single } from '../params.js';
import { renderAny } from '../render.js';
import { resolveRevIncludes } from './revincludes.js';
import { dateWindow, NOTHING, type SearchRequest, type SearchResult } from './request.js';

const GENDERS = new Set(['male', 'female', 'other', 'unknown']);
/** `_summary=count` decides consent for every matching patient, so it is bounded like a page of them. */
const MAX_COUNTED = 1000;

function familyKeyOf(family: string): string {
  const key = familyKey(family);
  if (!key) throw new FhirError(400, 'invalid', 'family must contain letters or digits', 'family');
  return key;
}

/** At most this many alternatives a parameter: each is a lookup of its own. */
const MAX_ALTERNATIVES = 20;
/** At most this many ids, a client resolving the references it holds in one search. */
const MAX_IDS = 100;

/** A parameter's comma-separated alternatives, none empty; undefined when it was not given. */
function optionalAlternatives(value: string | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const values = alternatives(value);
  if (values.some((v) => v.trim() === '')) throw new FhirError(400, 'invalid', `${name} has an empty value`, name);
  if (values.length > MAX_ALTERNATIVES) throw new FhirError(400, 'too-costly', `${name} has more than ${MAX_ALTERNATIVES} alternatives`, name);
  return values;
}

function isCalendarDate(date: string): boolean {
  const at = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === date;
}

/** Patients by identifier or demographics; each match is a patient of its own consent decision. */
export function patientSearch(request: SearchRequest): Disclosure<SearchResult> {
  const p = request.params;
  const ids = p.get('_id')?.flatMap(alternatives);
  if (ids?.some((id) => id.trim() === '')) throw new FhirError(400, 'invalid', '_id has an empty value', '_id');
  if (ids && ids.length > MAX_IDS) throw new FhirError(400, 'too-costly', `_id has more than ${MAX_IDS} alternatives`, '_id');
  // Commas separate alternatives, any of which matches (search.html#combining).
  const identifiers = optionalAlternatives(single(p, 'identifier'), 'identifier');
  const families = optionalAlternatives(single(p, 'family'), 'family');
  const givens = optionalAlternatives(single(p, 'given'), 'given');
  if (givens?.some((g) => !/[\p{L}\p{N}]/u.test(g))) throw new FhirError(400, 'invalid', 'given must contain letters or digits', 'given');
  // `name` matches any part of a name: the family name (as `family` reads it) or a given name (as `given` does).
  const names = optionalAlternatives(single(p, 'name'), 'name')?.map((n) => {
    const key = familyKey(n);
    if (!key) throw new FhirError(400, 'invalid', 'name must contain letters or digits', 'name');
    return { familyKey: key, given: n.trim().toLowerCase() };
  });
  const birthDate = single(p, 'birthdate');
  const gender = single(p, 'gender');
  const stored = dateWindow(p, '_lastUpdated');
  if (!ids && !identifiers && !families && !names && !birthDate) {
    throw new FhirError(400, 'too-costly', 'a Patient search must include _id, identifier, family, name or birthdate', 'Patient');
  }
  if (birthDate && !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) throw new FhirError(400, 'not-supported', 'birthdate is matched exactly: write YYYY-MM-DD', 'birthdate');
  if (birthDate && !isCalendarDate(birthDate)) {
    throw new FhirError(400, 'invalid', `birthdate: "${birthDate}" is not a calendar date`, 'birthdate');
  }
  if (gender && !GENDERS.has(gender)) throw new FhirError(400, 'invalid', 'gender must be male, female, other or unknown', 'gender');
  const counting = request.answer === 'count';
  const identifierOnly = identifiers?.length === 1 && !ids && !families && !names && !givens && !birthDate && !gender && !stored.from && !stored.to && request.after === undefined;
  const tokens = identifiers?.map((value) => {
    const t = parseToken(value, 'identifier');
    if (!t.system || !t.code) throw new FhirError(400, 'not-supported', 'identifier must be written system|value', 'identifier');
    return { system: t.system, code: t.code };
  });
  const keys = families?.map(familyKeyOf);
  // By id alone, a record merged into another is found as a read finds it: itself, replaced by the survivor,
  // decided by the survivor's consent (survivorOf).
  const idOnly = ids !== undefined && !identifiers && !families && !names && !givens && !birthDate && !gender && !stored.from && !stored.to;
  const survivorOf = new Map<string, string>();
  let matches: string[] = [];
  let next: string | undefined;
  return {
    async subjects(find) {
      let restrictTo = ids?.filter(isOurId);
      if (tokens) {
        const found = new Set((await Promise.all(tokens.map((t) => find.byIdentifier(t.system, t.code, { withRecord: identifierOnly }))))
          .filter((id): id is string => id !== undefined));
        restrictTo = restrictTo ? restrictTo.filter((id) => found.has(id)) : [...found];
      }
      if (restrictTo && restrictTo.length === 0) return [];
      if (identifierOnly) {
        // The identifier named one active patient, and nothing else narrows or pages it: that is the answer.
        matches = restrictTo!;
        return matches;
      }
      const limit = counting ? MAX_COUNTED : request.count;
      const page = await find.matching({
        ...(restrictTo ? { ids: restrictTo } : {}), ...(keys ? { familyKeys: keys } : {}), ...(givens ? { givens: givens.map((g) => g.trim().toLowerCase()) } : {}),
        ...(birthDate ? { birthDate } : {}), ...(gender ? { gender } : {}), ...(stored.from ? { storedFrom: stored.from } : {}), ...(stored.to ? { storedTo: stored.to } : {}),
        ...(idOnly ? { withMerged: true } : {}), ...(names ? { names } : {}),
      }, typeof request.after === 'string' && !counting ? request.after : undefined, limit + 1);
      if (counting && page.length > limit) throw new FhirError(400, 'too-costly', `more than ${MAX_COUNTED} patients match: narrow the search to count them`, 'Patient');
      matches = page.slice(0, limit);
      next = page.length > limit ? matches.at(-1) : undefined;
      if (!idOnly) return matches;
      const named = await Promise.all(matches.map((id) => find.byId(id)));
      matches.forEach((id, i) => {
        if (named[i] && named[i] !== id) survivorOf.set(id, named[i]!);
      });
      // A merged record whose chain ends at no active patient names no one; it is left out.
      matches = matches.filter((id, i) => named[i] !== undefined);
      return [...new Set(named.filter((id): id is string => id !== undefined))];
    },
    async respond(read, verdict) {
      const permitted = matches.filter((id) => verdict.permitted.includes(survivorOf.get(id) ?? id));
      if (counting) return { ...NOTHING, total: permitted.length };
      const records: PatientRecord[] = [];
      for (const id of permitted) {
        const survivor = survivorOf.get(id);
        const r = survivor ? await read.replacedPatient(id, survivor) : await read.patient(id);
        if (r) records.push(r);
      }
      const rendered = await renderAny(read, 'Patient', records, request.baseUrl);
      // A merged record's own records moved to the survivor: only active patients' are revincluded.
      const active = records.filter((r) => !survivorOf.has(r.patient.id)).map((r) => r.patient.id);
      const revincluded = await resolveRevIncludes(read, request.revinclude, active, request.baseUrl);
      return { ...NOTHING, matches: rendered, ...revincluded, ...(next ? { next } : {}) };
    },
  };
}
