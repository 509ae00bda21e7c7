import { issuesFromZod, type Issue } from '../../canonical/index.js';
import { header } from './header.js';
import { CcdInput, type CcdData } from './input.js';
import { paragraph } from './narrative.js';
import { byTimeDesc } from './order.js';
import { problemSection } from './problems.js';
import { resultsSection, routeObservations, socialHistorySection, vitalSignsSection } from './results.js';
import { noInformationSection } from './section.js';
import { CODES, TEMPLATES } from './vocabulary.js';
import { el, serialize, type Serialized, type Slot } from './xml-writer.js';

/**
 * An on-demand C-CDA R2.1 Continuity of Care Document for one patient, from the canonical records we hold. Pure:
 * the same input gives the same bytes (records are put in a fixed order whatever order they come in; the only
 * time in the document is the input's `effectiveTime`). A record of another patient refuses the whole document,
 * since a summary must never carry someone else's data; entered-in-error records are left out.
 *
 * Sections: the five the brief names plus Social History, which CCD R2.1 requires (CONF:1198-30687). We receive no
 * allergies and no medications, so those sections always say "no information" and why.
 */
export interface CcdResult {
  readonly xml: string;
  readonly issues: Issue[];
}

export function renderCcd(input: CcdInput): CcdResult {
  const parsed = parseCcdInput(input);
  if (!parsed.ok) return { xml: '', issues: parsed.issues };
  const { serialized, issues } = renderDocument(parsed.data, parsed.data.documentId.root);
  return { xml: serialized.xml, issues };
}

export type ParsedCcdInput = { readonly ok: true; readonly data: CcdData } | { readonly ok: false; readonly issues: Issue[] };

export function parseCcdInput(input: CcdInput): ParsedCcdInput {
  const parsed = CcdInput.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error, 'INVALID_CCD_INPUT') };
  const data = parsed.data;
  const others = [
    ...data.conditions.map((r) => ['conditions', r] as const),
    ...data.enrolments.map((r) => ['enrolments', r] as const),
    ...data.observations.map((r) => ['observations', r] as const),
    ...data.reports.map((r) => ['reports', r] as const),
  ].filter(([, r]) => r.patientId !== data.patient.id);
  if (others.length > 0) {
    return {
      ok: false,
      issues: others.map(([kind, r]) => ({ severity: 'error', code: 'OTHER_PATIENT', message: 'a record of another patient was passed for this document', where: { path: `${kind}/${r.id}` } })),
    };
  }
  return { ok: true, data };
}

const ALLERGIES = { template: TEMPLATES.allergiesSection, code: CODES.allergiesSection, title: 'Allergies and Intolerances' };
const MEDICATIONS = { template: TEMPLATES.medicationsSection, code: CODES.medicationsSection, title: 'Medications' };

const NOT_RECEIVED = (what: string) =>
  `No information: the records this summary is made from (GP chronic-care and laboratory messages) do not carry ${what}. This does not mean the patient has none.`;

export interface RenderedDocument {
  readonly serialized: Serialized;
  readonly issues: Issue[];
}

/** The document of parsed input, with its id (ClinicalDocument id and setId) given, or left to a slot to fill. */
export function renderDocument(data: CcdData, documentRoot: string | Slot): RenderedDocument {
  const issues: Issue[] = [];
  const observations = data.observations.filter((o) => {
    if (o.status === 'entered-in-error') issues.push({ severity: 'information', code: 'ENTERED_IN_ERROR_LEFT_OUT', message: 'an observation entered in error is not part of the summary', where: { path: `observations/${o.id}` } });
    return o.status !== 'entered-in-error';
  });
  const routed = routeObservations(observations);
  const unknownStatus = routed.results.filter((o) => o.status === 'unknown');
  for (const o of unknownStatus) issues.push({ severity: 'warning', code: 'RESULT_STATUS_UNKNOWN', message: 'a result without a known status is sent with statusCode UNK', where: { path: `observations/${o.id}` } });

  const body = el(
    'structuredBody',
    {},
    noInformationSection(ALLERGIES, [paragraph(NOT_RECEIVED('allergies or intolerances'))]),
    noInformationSection(MEDICATIONS, [paragraph(NOT_RECEIVED('medications'))]),
    problemSection(data.conditions, data.enrolments, issues),
    resultsSection(routed.results, data.reports, issues),
    socialHistorySection(routed.socialHistory, issues),
    vitalSignsSection(routed.vitalSigns, issues),
  );
  const root = el(
    'ClinicalDocument',
    { xmlns: 'urn:hl7-org:v3', 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xmlns:sdtc': 'urn:hl7-org:sdtc' },
    header(data, documentRoot, servicePeriod(data)),
    el('component', {}, body),
  );
  const serialized = serialize(root);
  if (serialized.removed > 0) {
    issues.push({ severity: 'warning', code: 'CHARACTERS_REMOVED', message: `${serialized.removed} character(s) that XML 1.0 cannot carry were left out of the document` });
  }
  return { serialized, issues };
}

/** The period the summary covers: from the earliest to the latest moment any record we put in it names. */
export function servicePeriod(data: CcdData): { low?: string; high?: string } {
  const times = [
    ...data.conditions.flatMap((c) => (c.verificationStatus === 'refuted' || c.verificationStatus === 'entered-in-error' ? [] : [c.onset, c.abatement, c.recorded])),
    ...data.enrolments.flatMap((e) => [e.period.start, e.period.end]),
    ...data.observations.flatMap((o) => (o.status === 'entered-in-error' ? [] : [o.effective])),
    ...data.reports.flatMap((r) => (r.status === 'entered-in-error' ? [] : [r.effective])),
  ].filter((t): t is string => t !== undefined);
  if (times.length === 0) return {};
  const sorted = [...times].sort(byTimeDesc).reverse();
  return { low: sorted[0]!, high: sorted.at(-1)! };
}
