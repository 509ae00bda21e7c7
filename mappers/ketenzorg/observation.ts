import {
  CodeSystems,
  Interpretation,
  parseDecimal,
  type CareProgramCode,
  type Coding,
  type Issue,
  type ObservationCoding,
  type ObservationValue,
  type Quantity,
  type ReferenceRange,
} from '../../canonical/index.js';
import { confirmedLoinc, expectedUnit, nhgBepaling, type NhgBepaling } from '../../profiles/nhg-ketenzorg.js';
import { SOURCE } from './concern.js';
import { child, childrenNamed, codingOf, descend, hl7Time, idKey, instanceId, laterThan } from './datatypes.js';
import { stableId } from './ids.js';
import { at, issue, withoutIdIssue } from './issues.js';
import type { ObservationRecord } from './result.js';
import type { XmlElement } from './xml.js';

/**
 * One `component/observation` (POOB_IN990003NL general findings, POLB_IN364001NL03 lab results) → an
 * Observation. NHG Tabel 45 stays the primary code; LOINC is added only from a confirmed row of the profile
 * table. A practice-local code is kept as sent and flagged unmapped, never given an NHG number. A unit that is
 * not the bepaling's unit (or a spelling of it) refuses this observation: converting would guess at meaning.
 */
export interface ObservationContext {
  readonly idParts: readonly (string | number)[];
  readonly defaultCategory?: ObservationRecord['category'];
  /** When the message was made (its creationTime): no result in it can be of later. */
  readonly made?: string;
  /** Programmes of concerns the observation may refer to by id (from REPC messages in the same batch). */
  readonly programmeOfConcern: (key: string) => CareProgramCode | undefined;
  /** Programme of a referenced concern that carries its own ICPC diagnosis. */
  readonly programmeOfAct: (act: XmlElement) => CareProgramCode | undefined;
}

export interface ObservationRead {
  readonly observation?: ObservationRecord;
  readonly issues: Issue[];
}

const NHG_OID = CodeSystems.nhgTabel45.oid;
const STANDARD_SYSTEMS: ReadonlySet<string> = new Set([CodeSystems.nhgTabel45.uri, CodeSystems.loinc.uri, CodeSystems.snomed.uri]);
const STATUS: Readonly<Record<string, ObservationRecord['status']>> = {
  completed: 'final',
  active: 'preliminary',
  aborted: 'cancelled',
  cancelled: 'cancelled',
  nullified: 'entered-in-error',
};
const PROGRAMME_ORDER: readonly CareProgramCode[] = ['DM2', 'COPD', 'CVRM'];

export function readObservation(element: XmlElement, context: ObservationContext): ObservationRead {
  const issues: Issue[] = [];
  const codeElement = child(element, 'code');
  const coded = primaryCode(codeElement);
  if (!coded) return { issues: [issue('error', 'CODE_MISSING', 'the observation has no code with a code system', at(codeElement ?? element))] };
  const bepaling = coded.nhg ? nhgBepaling(coded.coding.code) : undefined;
  if (coded.nhg && !bepaling) {
    issues.push(issue('information', 'NHG_NOT_IN_TABLE', `NHG ${coded.coding.code} is not in our ketenzorg table: kept without unit or type checks`, at(codeElement!)));
  }
  const unmapped = !STANDARD_SYSTEMS.has(coded.coding.system);
  if (unmapped) issues.push(issue('warning', 'UNMAPPED_CODE', 'the observation has a local code: kept as sent, flagged unmapped', at(codeElement!)));

  const valueElement = child(element, 'value');
  const value = valueElement ? readValue(valueElement, bepaling, coded.coding.code) : { issues: [] };
  if ('refused' in value) return { issues: [...issues, value.refused] };
  issues.push(...value.issues);
  if (!valueElement) issues.push(issue('warning', 'VALUE_MISSING', 'the observation has no value', at(element)));

  const loinc = bepaling && confirmedLoinc(bepaling);
  const codings: ObservationCoding[] = [
    { ...coded.coding, ...(bepaling && !coded.coding.display ? { display: bepaling.display } : {}), role: unmapped ? 'local' : 'original' },
    ...(loinc ? [{ system: CodeSystems.loinc.uri, code: loinc, role: 'mapped' as const }] : []),
  ];
  const effectiveElement = child(element, 'effectiveTime');
  const effectiveText = effectiveElement?.attributes.value ?? child(effectiveElement, 'low')?.attributes.value;
  const effective = hl7Time(effectiveText);
  // A result without its time cannot be placed in a trend or against a target: refused, not kept undated.
  if (effectiveText !== undefined && effective === undefined) {
    return { issues: [...issues, issue('error', 'TIME_INVALID', `effectiveTime ${JSON.stringify(effectiveText)} is not a valid HL7 time: the observation was not filed`, at(effectiveElement!))] };
  }
  if (effective && context.made && laterThan(effective, context.made)) {
    return { issues: [...issues, issue('error', 'TIME_AFTER_MESSAGE', `effectiveTime ${effective} is later than the message was made (${context.made}): the observation was not filed`, at(effectiveElement!))] };
  }
  const interpretation = readInterpretation(child(element, 'interpretationCode'), issues);
  const range = readRange(descend(element, 'referenceRange', 'observationRange', 'value'), bepaling, issues);
  const id = instanceId(child(element, 'id'));
  if (!id) issues.push(withoutIdIssue('observation', element));
  const category = bepaling?.category ?? context.defaultCategory;
  return {
    observation: {
      // The sender's own id (globally unique) names the finding, so it is the same record whichever message brings
      // it again; only one without an id is named by where it sits.
      id: id ? stableId('observation', idKey(id)) : stableId(...context.idParts, 'observation'),
      status: STATUS[child(element, 'statusCode')?.attributes.code ?? 'completed'] ?? 'unknown',
      ...(category ? { category } : {}),
      codings,
      unmapped,
      ...(value.value ? { value: value.value } : {}),
      ...(effective ? { effective } : {}),
      ...(range ? { referenceRange: range } : {}),
      ...(interpretation ? { interpretation } : {}),
      notes: [],
      carePrograms: programmesOf(element, context),
      provenance: { source: SOURCE, ...(id ? { sourceRecordId: idKey(id) } : {}) },
    },
    issues,
  };
}

/** The NHG code when sent, as the code or as a translation of a local code; otherwise the code as sent. */
function primaryCode(code: XmlElement | undefined): { coding: Coding; nhg: boolean } | undefined {
  const sent = codingOf(code);
  if (code?.attributes.codeSystem === NHG_OID && sent) return { coding: sent, nhg: true };
  const translation = childrenNamed(code, 'translation').find((t) => t.attributes.codeSystem === NHG_OID);
  const nhg = codingOf(translation);
  if (nhg) return { coding: nhg, nhg: true };
  return sent ? { coding: sent, nhg: false } : undefined;
}

type ValueRead = { value?: ObservationValue; issues: Issue[] } | { refused: Issue };

function readValue(element: XmlElement, bepaling: NhgBepaling | undefined, code: string): ValueRead {
  if (element.attributes.nullFlavor) return { issues: [issue('warning', 'VALUE_MISSING', 'the value is a nullFlavor', at(element))] };
  const type = element.attributes.type ?? '';
  const value = valueOf(element, type);
  if (value === 'unsupported') return { refused: issue('error', 'VALUE_TYPE_UNSUPPORTED', `value type ${type || '(none)'} is not supported`, at(element)) };
  if (value === undefined) {
    const comma = element.attributes.value?.includes(',') ? ': HL7v3 writes a decimal with a point, and a comma may be a thousands separator' : '';
    return { refused: issue('error', 'VALUE_INVALID', `the ${type} value ${JSON.stringify(element.attributes.value ?? '')} cannot be read${comma}`, at(element)) };
  }
  if (bepaling && !bepaling.kinds.includes(value.kind)) {
    return { refused: issue('error', 'VALUE_TYPE_MISMATCH', `NHG ${code} is answered with ${bepaling.kinds.join(' or ')}, not ${value.kind}`, at(element)) };
  }
  if (value.kind !== 'quantity' || !bepaling?.unit) return { value, issues: [] };
  const written = value.quantity.unit ?? '';
  const unit = expectedUnit(bepaling, written);
  if (!unit) return { refused: issue('error', 'UNIT_MISMATCH', `NHG ${code} expects unit ${bepaling.unit}, not ${written || '(none)'}`, at(element)) };
  const quantity: Quantity = { value: value.quantity.value, unit, ...(written !== unit ? { unitText: written } : {}) };
  return { value: { kind: 'quantity', quantity }, issues: [] };
}

/**
 * PQ and INT values are XML Schema numbers (HL7v3 datatypes R1): a point is the only decimal mark. A comma is
 * refused rather than read as one: "5,8" could as well be 58 written with a thousands separator.
 */
function xmlDecimal(text: string | undefined) {
  return text === undefined || text.includes(',') ? undefined : parseDecimal(text);
}

function valueOf(element: XmlElement, type: string): ObservationValue | 'unsupported' | undefined {
  switch (type) {
    case 'PQ':
    case 'INT': {
      const decimal = xmlDecimal(element.attributes.value);
      if (!decimal || (type === 'INT' && decimal.includes('.'))) return undefined;
      const unit = element.attributes.unit?.trim();
      return { kind: 'quantity', quantity: { value: decimal, ...(unit && unit !== '1' ? { unit } : {}) } };
    }
    case 'CD':
    case 'CE':
    case 'CV':
    case 'CO': {
      const coding = codingOf(element);
      return coding ? { kind: 'coded', coding } : undefined;
    }
    case 'ST':
      return element.text ? { kind: 'string', text: element.text.slice(0, 4000) } : undefined;
    case 'BL':
      return element.attributes.value === 'true' || element.attributes.value === 'false' ? { kind: 'boolean', value: element.attributes.value === 'true' } : undefined;
    case 'TS': {
      const date = hl7Time(element.attributes.value);
      return date ? { kind: 'date', date } : undefined;
    }
    case 'IVL_TS': {
      const start = hl7Time(child(element, 'low')?.attributes.value);
      const end = hl7Time(child(element, 'high')?.attributes.value);
      if (!start && !end) return undefined;
      return { kind: 'period', period: { ...(start ? { start } : {}), ...(end ? { end } : {}) } };
    }
    default:
      return 'unsupported';
  }
}

function readInterpretation(element: XmlElement | undefined, issues: Issue[]): ObservationRecord['interpretation'] {
  const code = element?.attributes.code;
  if (!element || code === undefined) return undefined;
  const parsed = Interpretation.safeParse(code);
  if (parsed.success) return parsed.data;
  issues.push(issue('warning', 'INTERPRETATION_UNKNOWN', 'interpretationCode is not one we know (H, L, N, …): left out', at(element)));
  return undefined;
}

/** IVL_PQ; an infinite bound (nullFlavor NINF/PINF) is simply absent. A bound in another unit drops the range. */
function readRange(element: XmlElement | undefined, bepaling: NhgBepaling | undefined, issues: Issue[]): ReferenceRange | undefined {
  if (!element) return undefined;
  const bounds: { low?: Quantity; high?: Quantity } = {};
  for (const side of ['low', 'high'] as const) {
    const bound = child(element, side);
    if (!bound || bound.attributes.nullFlavor) continue;
    const value = xmlDecimal(bound.attributes.value);
    if (!value) {
      issues.push(issue('warning', 'RANGE_INVALID', 'a reference range limit cannot be read: range left out', at(bound)));
      return undefined;
    }
    const written = bound.attributes.unit?.trim();
    const unit = written && bepaling?.unit ? expectedUnit(bepaling, written) : written;
    if (written && bepaling?.unit && !unit) {
      issues.push(issue('warning', 'RANGE_UNIT_MISMATCH', `reference range unit ${written} is not ${bepaling.unit}: range left out`, at(bound)));
      return undefined;
    }
    bounds[side] = { value, ...(unit ? { unit } : {}) };
  }
  const { low, high } = bounds;
  if (!low && !high) return undefined;
  if (low?.unit && high?.unit && low.unit !== high.unit) {
    issues.push(issue('warning', 'RANGE_UNIT_MISMATCH', 'reference range limits are in different units: range left out', at(element)));
    return undefined;
  }
  const unit = low?.unit ?? high?.unit;
  return { ...(low ? { low: low.value } : {}), ...(high ? { high: high.value } : {}), ...(unit ? { unit } : {}) };
}

/** Programmes of the concerns this observation refers to (entryRelationship REFR → act CONC). */
function programmesOf(element: XmlElement, context: ObservationContext): CareProgramCode[] {
  const found = new Set<CareProgramCode>();
  for (const relationship of childrenNamed(element, 'entryRelationship')) {
    if (relationship.attributes.typeCode !== 'REFR') continue;
    for (const act of childrenNamed(relationship, 'act')) {
      const inline = context.programmeOfAct(act);
      const id = instanceId(child(act, 'id'));
      const program = inline ?? (id ? context.programmeOfConcern(idKey(id)) : undefined);
      if (program) found.add(program);
    }
  }
  return PROGRAMME_ORDER.filter((p) => found.has(p));
}
