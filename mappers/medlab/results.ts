import {
  CodeSystems, parseDecimal, type Interpretation, type Issue, type ObservationInput, type Quantity,
} from '../../canonical/index.js';
import { ucumOf } from '../../profiles/lab-units.js';
import { conceptOfLabcode } from '../../profiles/nhg-lab-concepts.js';
import { issueAt, valueOf } from './issues.js';
import { senderScoped } from './parties.js';
import type { Segment } from './syntax.js';

/**
 * One BEP result line read into the parts of an Observation (ids, patient, report and time are added by the
 * caller). Element numbers follow §8.3: 1 kind, 2 test name, 3 result, 4 changed, 5 unit, 6 flag, 7 lower limit,
 * 8 upper limit, 9 test code.
 */
export type ResultParts = Pick<ObservationInput, 'status' | 'category' | 'codings' | 'unmapped' | 'text' | 'value' | 'referenceRange' | 'interpretation'>;

export type ResultReading =
  | { readonly kind: 'header'; readonly issues: Issue[] }
  | { readonly kind: 'rejected'; readonly issues: Issue[] }
  | { readonly kind: 'result'; readonly parts: ResultParts; readonly issues: Issue[] };

/**
 * Flag values: H/L/N (Zato), HIGH/LOW and `>`/`<` (mmerlijn's reader and writer), §8.4. The full MEDLAB set is
 * unconfirmed; anything else is reported, never guessed.
 */
const FLAGS: Record<string, Interpretation> = { H: 'H', HIGH: 'H', '>': 'H', L: 'L', LOW: 'L', '<': 'L', N: 'N' };

const COMPARATOR = /^(<=|>=|<|>)\s*(.+)$/;

export function readResult(bep: Segment, sender: string): ResultReading {
  const issues: Issue[] = [];
  const kind = valueOf(bep, 1);
  const name = valueOf(bep, 2);
  const result = valueOf(bep, 3);
  const code = valueOf(bep, 9);
  // §8.4: a kind-1 line without a result is a heading (`DIVERSEN`); Zato writes real results with kind 1.
  if (kind !== '0' && result === '') return { kind: 'header', issues };
  if (kind === '1') issues.push(issueAt('warning', 'HEADER_KIND_WITH_RESULT', 'BEP element 1 marks a heading, but the line carries a result; it was read as a result', bep, 1));
  else if (kind !== '0') issues.push(issueAt('warning', 'UNKNOWN_RESULT_KIND', 'BEP element 1 is neither 0 (result) nor 1 (heading); the line was read as a result', bep, 1));
  if (!code) {
    issues.push(issueAt('error', 'MISSING_TEST_CODE', 'BEP element 9 carries no test code; the result was not filed', bep, 9));
    return { kind: 'rejected', issues };
  }

  const concept = conceptOfLabcode(code);
  const unitWritten = valueOf(bep, 5);
  const ucum = unitWritten ? ucumOf(unitWritten) : undefined;
  const quantity = readQuantity(result, unitWritten, ucum);
  const expected = concept?.unit?.confirmed ? concept.unit.ucum : undefined;
  if (quantity && expected && ucum !== expected) {
    const message = unitWritten
      ? `BEP element 5: the unit is not ${expected}, the unit NHG ${concept!.nhg} is reported in; the result was not filed`
      : `BEP element 5 is empty, while NHG ${concept!.nhg} is reported in ${expected}; the result was not filed`;
    issues.push(issueAt('error', unitWritten ? 'UNIT_MISMATCH' : 'MISSING_UNIT', message, bep, 5));
    return { kind: 'rejected', issues };
  }
  if (!quantity && result && unitWritten) {
    issues.push(issueAt('information', 'UNIT_WITH_TEXT_RESULT', 'BEP element 5 gives a unit for a result that is not a number; the unit was not kept', bep, 5));
  }
  if (!concept) issues.push(issueAt('warning', 'UNMAPPED_CODE', 'BEP element 9 is not a labcode in the NHG concept map; the result was kept with its own code', bep, 9));
  if (!result) issues.push(issueAt('warning', 'EMPTY_RESULT', 'BEP element 3 is empty', bep, 3));

  const flag = valueOf(bep, 6).toUpperCase();
  const interpretation = FLAGS[flag];
  if (flag && !interpretation) issues.push(issueAt('warning', 'UNKNOWN_FLAG', 'BEP element 6 is not a known flag; no interpretation was given', bep, 6));
  const referenceRange = readRange(valueOf(bep, 7), valueOf(bep, 8), ucum);

  const ownCoding = { system: senderScoped(sender, 'test-code'), code, ...(name ? { display: name } : {}), role: 'original' as const };
  const codings: ResultParts['codings'] = concept
    ? [
        { system: CodeSystems.nhgTabel45.uri, code: concept.nhg, ...(concept.displayConfirmed ? { display: concept.display } : {}), role: 'mapped' },
        ...(concept.loinc?.confirmed ? [{ system: CodeSystems.loinc.uri, code: concept.loinc.code, role: 'mapped' as const }] : []),
        ownCoding,
      ]
    : [ownCoding];
  const changed = valueOf(bep, 4);
  return {
    kind: 'result',
    issues,
    parts: {
      // Element 4 "changed-result indicator": a result changed after it was sent is FHIR's `corrected` (inferred).
      status: changed && changed !== '0' ? 'corrected' : 'final',
      category: concept?.category ?? 'laboratory',
      codings,
      unmapped: !concept,
      ...(name ? { text: name } : {}),
      ...(quantity ? { value: { kind: 'quantity' as const, quantity } } : result ? { value: { kind: 'string' as const, text: result } } : {}),
      ...(referenceRange ? { referenceRange } : {}),
      ...(interpretation ? { interpretation } : {}),
    },
  };
}

/** A number as written (`0.40`, `7,1`), or one behind a comparator (`<5`); text results give undefined. */
function readQuantity(result: string, unitWritten: string, ucum: string | undefined): Quantity | undefined {
  const compared = COMPARATOR.exec(result);
  const value = parseDecimal(compared ? compared[2]! : result);
  if (!value) return undefined;
  return {
    value,
    ...(compared ? { comparator: compared[1] as NonNullable<Quantity['comparator']> } : {}),
    ...(ucum ? { unit: ucum } : {}),
    ...(unitWritten && unitWritten !== ucum ? { unitText: unitWritten } : {}),
  };
}

/** Limits that are numbers become low/high; a limit written otherwise (`neg`, `<5`) keeps both as text. */
function readRange(low: string, high: string, ucum: string | undefined): ResultParts['referenceRange'] {
  if (!low && !high) return undefined;
  const lowValue = low ? parseDecimal(low) : undefined;
  const highValue = high ? parseDecimal(high) : undefined;
  if ((low && !lowValue) || (high && !highValue)) return { text: [low, high].filter(Boolean).join(' - ') };
  return { ...(lowValue ? { low: lowValue } : {}), ...(highValue ? { high: highValue } : {}), ...(ucum ? { unit: ucum } : {}) };
}

/** NUB: a test ordered and not done yet. It has only a name (§8.3), so the name is its only, local, code. */
export function readPending(nub: Segment, sender: string): ResultReading {
  const name = valueOf(nub, 1);
  if (!name) return { kind: 'rejected', issues: [issueAt('warning', 'EMPTY_PENDING_TEST', 'NUB element 1 names no test', nub, 1)] };
  return {
    kind: 'result',
    issues: [],
    parts: {
      status: 'registered',
      category: 'laboratory',
      codings: [{ system: senderScoped(sender, 'test-name'), code: name, display: name, role: 'local' }],
      unmapped: true,
      text: name,
    },
  };
}
