import type { DiagnosticReport, Issue, Observation } from '../../canonical/index.js';
import { cd, cdCode, fixedCode, fixedTranslation, ii, templateIds, ts } from './datatypes.js';
import { conceptName, paragraph, rangeText, row, table, valueText, when } from './narrative.js';
import {
  FINAL_STATUSES,
  comments,
  interpretationText,
  notesCell,
  observationCode,
  observationEntry,
  observationValue,
  resultStatus,
} from './observation-entry.js';
import { byId, byTimeDesc, compareText } from './order.js';
import { noInformationSection, section, type SectionKind } from './section.js';
import { derivedUuid } from './uuid.js';
import { CODES, TEMPLATES } from './vocabulary.js';
import { el, type XmlChild, type XmlNode } from './xml-writer.js';

/**
 * The three sections built from observations. Which section a record lands in follows what each template can
 * hold: Vital Signs takes final vital-sign measurements with a UCUM quantity (its observations must be PQ and
 * `completed`); Social History takes final social-history records with a value; everything else, pending and
 * preliminary results, text answers and the COPD examinations included, is a Result. Results are grouped per
 * DiagnosticReport (one lab order); results without a report are grouped per moment of observation, lab and
 * non-lab apart, under the set codes Dutch ketenzorg messages use for such groups.
 */
export interface Routed {
  readonly results: readonly Observation[];
  readonly vitalSigns: readonly Observation[];
  readonly socialHistory: readonly Observation[];
}

export function routeObservations(observations: readonly Observation[]): Routed {
  const results: Observation[] = [];
  const vitalSigns: Observation[] = [];
  const socialHistory: Observation[] = [];
  for (const o of observations) {
    const final = FINAL_STATUSES.has(o.status);
    const q = o.value?.kind === 'quantity' ? o.value.quantity : undefined;
    if (o.category === 'vital-signs' && final && q?.unit !== undefined && q.comparator === undefined) vitalSigns.push(o);
    else if (o.category === 'social-history' && final && o.value !== undefined) socialHistory.push(o);
    else results.push(o);
  }
  return { results, vitalSigns, socialHistory };
}

/** Records with the same time in a fixed order (by name, then id), so the input's order never shows in the output. */
const byName = (a: Observation, b: Observation): number => compareText(conceptName(a.text, a.codings), conceptName(b.text, b.codings)) || byId(a, b);

interface Counter {
  next(): number;
}
const counter = (): Counter => {
  let n = 0;
  return { next: () => ++n };
};

interface Rendered {
  readonly entry: XmlNode;
  readonly row: XmlNode;
}

function statusText(status: Observation['status']): string {
  return status === 'registered' ? 'pending' : status;
}

const RESULT_HEADERS = ['Test', 'Result', 'Interpretation', 'Reference range', 'Date', 'Status', 'Comments'];

function renderResult(o: Observation, n: number, issues: Issue[]): Rendered {
  const id = `result-${n}`;
  const note = (i: number) => `${id}-note-${i + 1}`;
  const entry = observationEntry(TEMPLATES.resultObservation, o, {
    code: observationCode(o, `${id}-name`, false, issues),
    reference: id,
    status: resultStatus(o.status),
    value: observationValue(o, issues),
    comments: comments(o.notes, note),
  });
  const cells = [
    { id: `${id}-name`, text: conceptName(o.text, o.codings) },
    valueText(o.value, o.status),
    interpretationText(o.interpretation),
    rangeText(o.referenceRange),
    when(o.effective),
    statusText(o.status),
  ];
  return { entry, row: row(id, cells, notesCell(o.notes, note)) };
}

interface Group {
  readonly report?: DiagnosticReport;
  readonly laboratory: boolean;
  readonly effective: string | undefined;
  readonly members: readonly Observation[];
}

const REPORT_STATUS: Readonly<Record<DiagnosticReport['status'], string | undefined>> = {
  registered: 'active', partial: 'active', preliminary: 'active', final: 'completed', amended: 'completed', corrected: 'completed',
  cancelled: 'cancelled', 'entered-in-error': undefined,
};

function groupStatus(members: readonly Observation[]): string {
  if (members.every((m) => FINAL_STATUSES.has(m.status))) return 'completed';
  if (members.every((m) => m.status === 'cancelled')) return 'cancelled';
  return 'active';
}

/** Appends to the list under a key, creating it: grouping without copying a list per record. */
function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

function groups(observations: readonly Observation[], reports: readonly DiagnosticReport[]): Group[] {
  const byObservationId = new Map(observations.map((o) => [o.id, o]));
  const byReportId = new Map<string, Observation[]>();
  for (const o of observations) if (o.reportId !== undefined) push(byReportId, o.reportId, o);
  const claimed = new Set<string>();
  const out: Group[] = [];
  for (const report of [...reports].sort(byId)) {
    if (report.status === 'entered-in-error') continue;
    const order = new Map(report.observationIds.map((id, i) => [id, i]));
    const candidates = [...report.observationIds.flatMap((id) => byObservationId.get(id) ?? []), ...(byReportId.get(report.id) ?? [])];
    const members = [...new Set(candidates)]
      .filter((o) => !claimed.has(o.id))
      .sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity) || byId(a, b));
    if (members.length === 0) continue;
    members.forEach((m) => claimed.add(m.id));
    out.push({ report, laboratory: report.category === 'laboratory', effective: report.effective ?? latest(members), members });
  }
  const loose = new Map<string, Observation[]>();
  for (const o of observations) if (!claimed.has(o.id)) push(loose, `${o.category === 'laboratory' ? 'L' : 'D'}|${o.effective ?? ''}`, o);
  for (const [key, members] of loose) {
    const effective = key.slice(2) || undefined;
    const sorted = [...members].sort(byName);
    out.push({ laboratory: key.startsWith('L'), effective, members: sorted });
  }
  return out.sort((a, b) => byTimeDesc(a.effective, b.effective) || compareText(a.report?.id ?? a.members[0]!.id, b.report?.id ?? b.members[0]!.id));
}

function latest(members: readonly Observation[]): string | undefined {
  return members.map((m) => m.effective).filter((e): e is string => e !== undefined).sort(byTimeDesc)[0];
}

function earliest(members: readonly Observation[]): string | undefined {
  return members.map((m) => m.effective).filter((e): e is string => e !== undefined).sort(byTimeDesc).at(-1);
}

function organizerCode(group: Group, caption: string, issues: Issue[]): XmlNode {
  if (!group.report) return fixedCode(group.laboratory ? CODES.laboratoryStudies : CODES.diagnosticStudies, el('originalText', {}, el('reference', { value: `#${caption}` })));
  const written = group.report.codings.flatMap((c) => cdCode(c) ?? []);
  if (written.length < group.report.codings.length) {
    issues.push({ severity: 'warning', code: 'CODE_SYSTEM_WITHOUT_OID', message: 'a report coding whose system has no OID is given as text only', where: { path: `reports/${group.report.id}` } });
  }
  return cd('code', written[0], written.slice(1), caption);
}

const RESULTS: SectionKind = { template: TEMPLATES.resultsSection, code: CODES.resultsSection, title: 'Results' };

export function resultsSection(observations: readonly Observation[], reports: readonly DiagnosticReport[], issues: Issue[]): XmlNode {
  if (observations.length === 0) {
    return noInformationSection(RESULTS, [paragraph('No information: we hold no laboratory or other results for this patient.')]);
  }
  const n = counter();
  const text: XmlChild[] = [];
  const entries: XmlNode[] = [];
  groups(observations, reports).forEach((group, g) => {
    const caption = `results-group-${g + 1}`;
    const rendered = group.members.map((m) => renderResult(m, n.next(), issues));
    const name = group.report ? conceptName(undefined, group.report.codings) : group.laboratory ? 'Laboratory results' : 'Other results';
    const heading = [name, when(group.effective)].filter(Boolean).join(', ');
    text.push(table({ id: caption, text: heading }, RESULT_HEADERS, rendered.map((r) => r.row)));
    if (group.report?.conclusion) text.push(paragraph(`Conclusion: ${group.report.conclusion}`));
    const low = earliest(group.members) ?? group.report?.effective;
    const high = latest(group.members) ?? group.report?.effective;
    const status = group.report ? (REPORT_STATUS[group.report.status] ?? 'active') : groupStatus(group.members);
    entries.push(
      el(
        'organizer',
        { classCode: group.report ? 'BATTERY' : 'CLUSTER', moodCode: 'EVN' },
        templateIds(TEMPLATES.resultOrganizer),
        ii(group.report?.id ?? derivedUuid('result-group', ...group.members.map((m) => m.id))),
        group.report?.identifiers.flatMap((i) => {
          const code = cdCode({ system: i.system, code: i.value });
          return code ? [ii(code.codeSystem, i.value)] : [];
        }),
        organizerCode(group, caption, issues),
        el('statusCode', { code: status }),
        low !== undefined && high !== undefined && el('effectiveTime', {}, el('low', { value: ts(low) }), el('high', { value: ts(high) })),
        rendered.map((r) => el('component', {}, r.entry)),
      ),
    );
  });
  return section(RESULTS, text, entries);
}

const VITAL_SIGNS: SectionKind = { template: TEMPLATES.vitalSignsSection, code: CODES.vitalSignsSection, title: 'Vital Signs' };

export function vitalSignsSection(observations: readonly Observation[], issues: Issue[]): XmlNode {
  if (observations.length === 0) {
    return noInformationSection(VITAL_SIGNS, [paragraph('No information: we hold no vital sign measurements for this patient.')]);
  }
  const byMoment = new Map<string, Observation[]>();
  for (const o of observations) push(byMoment, o.effective ?? '', o);
  const moments = [...byMoment.keys()].sort((a, b) => byTimeDesc(a || undefined, b || undefined));
  const n = counter();
  const rows: XmlNode[] = [];
  const entries = moments.map((moment) => {
    const members = [...byMoment.get(moment)!].sort(byName);
    const components = members.map((o) => {
      const id = `vital-${n.next()}`;
      const note = (i: number) => `${id}-note-${i + 1}`;
      rows.push(row(id, [when(o.effective), { id: `${id}-name`, text: conceptName(o.text, o.codings) }, valueText(o.value, o.status), interpretationText(o.interpretation)], notesCell(o.notes, note)));
      return el(
        'component',
        {},
        observationEntry(TEMPLATES.vitalSignObservation, o, {
          code: observationCode(o, `${id}-name`, true, issues),
          reference: id,
          status: el('statusCode', { code: 'completed' }),
          value: observationValue(o, issues),
          comments: comments(o.notes, note),
        }),
      );
    });
    return el(
      'organizer',
      { classCode: 'CLUSTER', moodCode: 'EVN' },
      templateIds(TEMPLATES.vitalSignsOrganizer),
      ii(derivedUuid('vital-signs-organizer', ...members.map((m) => m.id))),
      fixedCode(CODES.vitalSignsOrganizer, fixedTranslation(CODES.vitalSignsPanel)),
      el('statusCode', { code: 'completed' }),
      moment ? el('effectiveTime', { value: ts(moment) }) : el('effectiveTime', { nullFlavor: 'UNK' }),
      components,
    );
  });
  return section(VITAL_SIGNS, [table(undefined, ['Date', 'Measurement', 'Value', 'Interpretation', 'Comments'], rows)], entries);
}

const SOCIAL_HISTORY: SectionKind = { template: TEMPLATES.socialHistorySection, code: CODES.socialHistorySection, title: 'Social History' };

export function socialHistorySection(observations: readonly Observation[], issues: Issue[]): XmlNode {
  if (observations.length === 0) {
    return noInformationSection(SOCIAL_HISTORY, [paragraph('No information: we hold no social history (such as smoking or alcohol use) for this patient.')]);
  }
  const sorted = [...observations].sort((a, b) => byTimeDesc(a.effective, b.effective) || byId(a, b));
  const rows: XmlNode[] = [];
  const entries = sorted.map((o, i) => {
    const id = `social-${i + 1}`;
    const note = (k: number) => `${id}-note-${k + 1}`;
    rows.push(row(id, [{ id: `${id}-name`, text: conceptName(o.text, o.codings) }, valueText(o.value, o.status), when(o.effective)], notesCell(o.notes, note)));
    return observationEntry(TEMPLATES.socialHistoryObservation, o, {
      code: observationCode(o, `${id}-name`, true, issues),
      reference: id,
      status: el('statusCode', { code: 'completed' }),
      value: observationValue(o, issues),
      comments: comments(o.notes, note),
    });
  });
  return section(SOCIAL_HISTORY, [table(undefined, ['Item', 'Value', 'Date', 'Comments'], rows)], entries);
}
