import { CodeSystems, type Interpretation, type Issue, type Observation, type Quantity, type ReferenceRange } from '../../canonical/index.js';
import { cd, cdCode, fixedCode, ii, templateIds, ts, type CdCode } from './datatypes.js';
import { lines } from './narrative.js';
import { CODES, OID, TEMPLATES, type TemplateRef } from './vocabulary.js';
import { el, type XmlNode } from './xml-writer.js';

/**
 * The parts every observation entry shares (Result, Vital Sign and Social History Observation): code, status,
 * value, interpretation, reference range and comments, each mapped from the canonical record without adding
 * anything it does not hold.
 */

/**
 * The observation's codings as a CD. LOINC leads when the record carries it (only reviewed, confirmed mappings
 * put LOINC on a canonical observation), the NHG code (or whatever was sent) follows as a translation; without
 * LOINC the first coding we can name by OID leads. `loincRequired`: the element is bound to a LOINC value set
 * (vital signs, social history), so a record without LOINC gets `nullFlavor="OTH"` with its codes as translations
 * rather than a code outside the binding. Codings in systems without an OID (a lab's own codes) cannot be
 * written as CD at all: the entry keeps the test's name through the original text, and an issue says a code
 * was left out.
 */
export function observationCode(observation: Observation, reference: string, loincRequired: boolean, issues: Issue[]): XmlNode {
  const written = observation.codings.flatMap((c) => {
    const code = cdCode(c);
    return code ? [{ code, loinc: c.system === CodeSystems.loinc.uri && c.role !== 'local' }] : [];
  });
  if (written.length < observation.codings.length) {
    issues.push({
      severity: 'warning',
      code: 'CODE_SYSTEM_WITHOUT_OID',
      message: 'a coding whose system has no OID is given as text only',
      where: { path: `observations/${observation.id}` },
    });
  }
  const loinc = written.find((w) => w.loinc);
  const primary: CdCode | undefined = loinc?.code ?? (loincRequired ? undefined : written[0]?.code);
  const translations = written.map((w) => w.code).filter((c) => c !== primary);
  return cd('code', primary, translations, reference);
}

/** Result Status (2.16.840.1.113883.11.20.9.39): a test ordered but not yet answered is `active`, never completed. */
const RESULT_STATUS: Readonly<Record<Observation['status'], string | undefined>> = {
  registered: 'active', preliminary: 'active', final: 'completed', amended: 'completed', corrected: 'completed',
  cancelled: 'cancelled', 'entered-in-error': undefined, unknown: undefined,
};

export function resultStatus(status: Observation['status']): XmlNode {
  const code = RESULT_STATUS[status];
  return code ? el('statusCode', { code }) : el('statusCode', { nullFlavor: 'UNK' });
}

export const FINAL_STATUSES: ReadonlySet<Observation['status']> = new Set(['final', 'amended', 'corrected']);

const XSI_TYPE = 'xsi:type';

function pq(name: string, value: string, unit: string | undefined, extra: Readonly<Record<string, string>> = {}): XmlNode {
  return el(name, { ...extra, value, unit });
}

/**
 * A quantity: PQ with the decimal exactly as written and its UCUM unit; a comparator ("<5") makes it an interval
 * open on that side, the form CDA has for it. A unit we hold only as the sender wrote it is not UCUM and PQ
 * allows no other, so such a value is sent as text ("5 mg/l") rather than under a unit it does not have. No unit
 * at all is a dimensionless quantity (an INR), which is PQ's default unit "1".
 */
function quantityValue(q: Quantity): XmlNode {
  if (q.unit === undefined && q.unitText !== undefined) {
    return el('value', { [XSI_TYPE]: 'ST' }, `${q.comparator ?? ''}${q.value} ${q.unitText}`);
  }
  if (!q.comparator) return pq('value', q.value, q.unit, { [XSI_TYPE]: 'PQ' });
  const inclusive = q.comparator.endsWith('=') ? 'true' : 'false';
  const bound = q.comparator.startsWith('<') ? 'high' : 'low';
  return el('value', { [XSI_TYPE]: 'IVL_PQ' }, pq(bound, q.value, q.unit, { inclusive }));
}

export function observationValue(observation: Observation, issues: Issue[]): XmlNode {
  const value = observation.value;
  // A pending test has no value yet: NAV is "not available now, expected later".
  if (!value) return el('value', { [XSI_TYPE]: 'ST', nullFlavor: observation.status === 'registered' ? 'NAV' : 'NI' });
  switch (value.kind) {
    case 'quantity':
      return quantityValue(value.quantity);
    case 'coded': {
      const code = cdCode(value.coding);
      if (!code) {
        issues.push({ severity: 'warning', code: 'CODE_SYSTEM_WITHOUT_OID', message: 'a coded value whose system has no OID is given as text only', where: { path: `observations/${observation.id}` } });
        return el('value', { [XSI_TYPE]: 'ST' }, value.coding.display ?? value.coding.code);
      }
      return cd('value', code, [], undefined, { [XSI_TYPE]: 'CD' });
    }
    case 'string':
      return el('value', { [XSI_TYPE]: 'ST' }, value.text);
    case 'boolean':
      return el('value', { [XSI_TYPE]: 'BL', value: String(value.value) });
    case 'date':
      return el('value', { [XSI_TYPE]: 'TS', value: ts(value.date) });
    case 'period':
      return el(
        'value',
        { [XSI_TYPE]: 'IVL_TS' },
        value.period.start !== undefined && el('low', { value: ts(value.period.start) }),
        value.period.end !== undefined && el('high', { value: ts(value.period.end) }),
      );
  }
}

const INTERPRETATION_DISPLAY: Record<Interpretation, string> = {
  H: 'High', HH: 'Critical high', L: 'Low', LL: 'Critical low', N: 'Normal', A: 'Abnormal', AA: 'Critical abnormal',
  POS: 'Positive', NEG: 'Negative', IND: 'Indeterminate',
};

export function interpretationText(code: Interpretation | undefined): string {
  return code ? INTERPRETATION_DISPLAY[code] : '';
}

function interpretationCode(code: Interpretation | undefined): XmlNode | undefined {
  return code
    ? el('interpretationCode', { code, codeSystem: OID.interpretation, codeSystemName: 'ObservationInterpretation', displayName: INTERPRETATION_DISPLAY[code] })
    : undefined;
}

/**
 * A reference range as IVL_PQ when its unit is known (or the result itself is dimensionless); limits stated
 * without a unit next to a result that has one are sent as text, since a unitless PQ would claim the unit "1".
 */
export function referenceRange(range: ReferenceRange | undefined, resultUnit: string | undefined): XmlNode | undefined {
  if (!range) return undefined;
  const hasLimits = range.low !== undefined || range.high !== undefined;
  const asQuantity = hasLimits && (range.unit !== undefined || resultUnit === undefined);
  const limitsText = hasLimits ? `${range.low ?? ''}–${range.high ?? ''}` : undefined;
  const value = asQuantity
    ? el(
        'value',
        { [XSI_TYPE]: 'IVL_PQ' },
        range.low !== undefined && pq('low', range.low, range.unit),
        range.high !== undefined && pq('high', range.high, range.unit),
      )
    : el('value', { [XSI_TYPE]: 'ST' }, [limitsText, range.text].filter(Boolean).join('; '));
  return el('referenceRange', {}, el('observationRange', {}, range.text !== undefined && el('text', {}, range.text), value));
}

/** Comment Activity per stored note, its text pointing at the note's place in the narrative. */
export function comments(notes: readonly string[], referenceOf: (index: number) => string): XmlNode[] {
  return notes.map((_, i) =>
    el(
      'entryRelationship',
      { typeCode: 'SUBJ', inversionInd: 'true' },
      el(
        'act',
        { classCode: 'ACT', moodCode: 'EVN' },
        templateIds(TEMPLATES.commentActivity),
        fixedCode(CODES.annotationComment),
        el('text', {}, el('reference', { value: `#${referenceOf(i)}` })),
      ),
    ),
  );
}

/** The narrative list of notes an observation's comments point to. */
export function notesCell(notes: readonly string[], referenceOf: (index: number) => string): XmlNode {
  return el('td', {}, notes.map((n, i) => [i > 0 && el('br'), el('content', { ID: referenceOf(i) }, lines(n))]));
}

export function observationEntry(
  template: TemplateRef,
  observation: Observation,
  parts: { code: XmlNode; reference: string; status: XmlNode; value: XmlNode; comments: readonly XmlNode[] },
): XmlNode {
  const quantityUnit = observation.value?.kind === 'quantity' ? observation.value.quantity.unit : undefined;
  return el(
    'observation',
    { classCode: 'OBS', moodCode: 'EVN' },
    templateIds(template),
    ii(observation.id),
    parts.code,
    el('text', {}, el('reference', { value: `#${parts.reference}` })),
    parts.status,
    observation.effective ? el('effectiveTime', { value: ts(observation.effective) }) : el('effectiveTime', { nullFlavor: 'UNK' }),
    parts.value,
    interpretationCode(observation.interpretation),
    parts.comments,
    referenceRange(observation.referenceRange, quantityUnit),
  );
}
