import { childNamed, childrenNamed, NS, type XmlElement } from '../xml/index.js';
import { bareOid, excerpt } from './ids.js';
import { registryError, type RegistryError } from './registry-error.js';
import {
  parseAssociationType,
  parseCode,
  parseEntryType,
  parsePatientId,
  parseStatus,
  parseString,
  parseTime,
  parseUuid,
  splitSlotValue,
  type Parsed,
} from './slot-values.js';
import {
  needsHome,
  STORED_QUERIES,
  storedQueryNamed,
  type ParameterSpec,
  type QueryReturnType,
  type StoredQuery,
  type StoredQuerySpec,
  type ValueKind,
} from './stored-queries.js';

/**
 * ITI-38 `query:AdhocQueryRequest` (the SOAP Body's first child) → the stored query to execute, or the
 * RegistryErrors to answer with (ihe-xca-xcpd.md §2.1–2.5). Every problem found is reported, not only the first.
 * Attributes and slots the stored query does not define are ignored: peers send `lid`, `maxResults`, `slotType`…
 */
export type AdhocQueryParse = { readonly ok: true; readonly query: StoredQuery } | { readonly ok: false; readonly errors: RegistryError[] };

export interface AdhocQueryOptions {
  /** Our home community id, a bare OID (a `urn:oid:` form is accepted too). */
  readonly homeCommunityId: string;
}

/** The pre-CP-429 place of `home` (krasserm/ipf#24), still sent by some initiators. */
const LEGACY_HOME: ParameterSpec = { slot: '$homeCommunityId', kind: 'string', cardinality: 'single' };

const PARSE_KIND: Readonly<Record<ValueKind, (text: string) => Parsed<unknown>>> = {
  string: parseString,
  patientId: parsePatientId,
  code: parseCode,
  time: parseTime,
  status: parseStatus,
  uuid: parseUuid,
  entryType: parseEntryType,
  associationType: parseAssociationType,
};

export function parseAdhocQueryRequest(el: XmlElement, options: AdhocQueryOptions): AdhocQueryParse {
  if (el.ns !== NS.query || el.name !== 'AdhocQueryRequest') {
    return { ok: false, errors: [registryError('XDSRegistryError', 'the request is not a query:AdhocQueryRequest')] };
  }
  const errors: RegistryError[] = [];
  const returnType = readReturnType(el, errors);
  const adhoc = childNamed(el, NS.rim, 'AdhocQuery');
  if (!adhoc) return { ok: false, errors: [...errors, registryError('XDSRegistryError', 'the request has no rim:AdhocQuery')] };
  const id = adhoc.attributes.id ?? '';
  const name = storedQueryNamed(id);
  if (!name) {
    const context = id.trim() === '' ? 'the AdhocQuery has no stored query id' : `unknown stored query ${excerpt(id)}`;
    return { ok: false, errors: [...errors, registryError('XDSUnknownStoredQuery', context)] };
  }
  const spec: StoredQuerySpec = STORED_QUERIES[name];
  const slots = slotsByName(adhoc);
  const home = readHome(adhoc.attributes.home, slots, spec, options, errors);
  const params = readParameters(spec, slots, errors);
  if (errors.length > 0 || returnType === undefined) return { ok: false, errors };
  // The table and the reader above define the shape StoredQuery derives from the same table.
  const query = { name, id: spec.id, returnType, ...(home === undefined ? {} : { home }), params } as StoredQuery;
  return { ok: true, query };
}

function readReturnType(el: XmlElement, errors: RegistryError[]): QueryReturnType | undefined {
  const value = childNamed(el, NS.query, 'ResponseOption')?.attributes.returnType?.trim();
  if (value === undefined || value === '' || value === 'LeafClass') return 'LeafClass';
  if (value === 'ObjectRef') return 'ObjectRef';
  errors.push(registryError('XDSRegistryError', `returnType ${excerpt(value)} is not supported: use LeafClass or ObjectRef`));
  return undefined;
}

/** Each slot's `Value` texts, per slot element, by slot name. */
function slotsByName(adhoc: XmlElement): Map<string, string[][]> {
  const slots = new Map<string, string[][]>();
  for (const slot of childrenNamed(adhoc, NS.rim, 'Slot')) {
    const name = slot.attributes.name ?? '';
    const values = childrenNamed(slot, NS.rim, 'ValueList').flatMap((list) => childrenNamed(list, NS.rim, 'Value').map((v) => v.text));
    slots.set(name, [...(slots.get(name) ?? []), values]);
  }
  return slots;
}

/** `home` from the attribute or the legacy slot, bare; checked against ours, required when no patient is named. */
function readHome(
  attribute: string | undefined, slots: ReadonlyMap<string, string[][]>, spec: StoredQuerySpec, options: AdhocQueryOptions, errors: RegistryError[],
): string | undefined {
  const given: string[] = [];
  if (attribute !== undefined && attribute.trim() !== '') given.push(attribute);
  const legacy = readParameter(LEGACY_HOME, slots.get(LEGACY_HOME.slot) ?? []);
  if (legacy.state === 'error') errors.push(legacy.error);
  if (legacy.state === 'value') given.push(legacy.value as string);
  if (given.length === 0) {
    if (needsHome(spec)) errors.push(registryError('XDSMissingHomeCommunityId', 'this query names no patient, so AdhocQuery/@home must name the community asked'));
    return undefined;
  }
  const ours = bareOid(options.homeCommunityId);
  const unknown = [...new Set(given.map(bareOid))].filter((h) => h !== ours);
  for (const h of unknown) errors.push(registryError('XDSUnknownCommunity', `unknown home community ${excerpt(h)}`));
  return ours;
}

function readParameters(spec: StoredQuerySpec, slots: ReadonlyMap<string, string[][]>, errors: RegistryError[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [key, parameter] of Object.entries(spec.parameters)) {
    const read = readParameter(parameter, slots.get(parameter.slot) ?? []);
    if (read.state !== 'absent') given.add(key);
    if (read.state === 'error') errors.push(read.error);
    else if (read.state === 'value') params[key] = read.value;
    else if (parameter.required) errors.push(registryError('XDSStoredQueryMissingParam', `the required parameter ${parameter.slot} is missing`));
    else if (parameter.whenAbsent) params[key] = [...parameter.whenAbsent];
  }
  for (const group of spec.oneOf ?? []) {
    const names = group.map((key) => spec.parameters[key]!.slot).join(', ');
    const count = group.filter((key) => given.has(key)).length;
    if (count === 0) errors.push(registryError('XDSStoredQueryMissingParam', `one of the parameters ${names} is required`));
    if (count > 1) errors.push(registryError('XDSRegistryError', `only one of the parameters ${names} may be given`));
  }
  return params;
}

type ParameterRead =
  | { readonly state: 'absent' }
  | { readonly state: 'value'; readonly value: unknown }
  | { readonly state: 'error'; readonly error: RegistryError };

/** One parameter from the slots of its name (each a list of `Value` texts); no slot and no values alike mean absent. */
function readParameter(parameter: ParameterSpec, slots: readonly (readonly string[])[]): ParameterRead {
  const fail = (code: 'XDSRegistryError' | 'XDSStoredQueryParamNumber', reason: string): ParameterRead => ({
    state: 'error',
    error: registryError(code, `${parameter.slot}: ${reason}`),
  });
  const groups: unknown[][] = [];
  for (const values of slots) {
    const group: unknown[] = [];
    for (const text of values) {
      const items = splitSlotValue(text);
      if (!items.ok) return fail('XDSRegistryError', items.reason);
      for (const item of items.value) {
        const parsed = PARSE_KIND[parameter.kind](item);
        if (!parsed.ok) return fail('XDSRegistryError', parsed.reason);
        group.push(parsed.value);
      }
    }
    if (group.length > 0) groups.push(group);
  }
  if (groups.length === 0) return { state: 'absent' };
  switch (parameter.cardinality) {
    case 'andOr':
      return { state: 'value', value: groups };
    case 'list':
      return groups.length > 1 ? fail('XDSRegistryError', 'the parameter may be given in one slot only') : { state: 'value', value: groups[0] };
    case 'single': {
      const count = groups.flat().length;
      return count > 1 ? fail('XDSStoredQueryParamNumber', `the parameter takes one value, ${count} were given`) : { state: 'value', value: groups[0]![0] };
    }
  }
}
