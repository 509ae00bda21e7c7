import {
  CareProgramNames,
  CodeSystems,
  type CareProgramEnrolment,
  type Condition,
  type Issue,
} from '../../canonical/index.js';
import { cd, cdCode, fixedCode, fixedTranslation, ii, interval, templateIds } from './datatypes.js';
import { conceptName, paragraph, period, row, table, when } from './narrative.js';
import { byId, byTimeDesc } from './order.js';
import { noInformationSection, section, type SectionKind } from './section.js';
import { derivedUuid } from './uuid.js';
import { CODES, OID, TEMPLATES } from './vocabulary.js';
import { el, type XmlChild, type XmlNode } from './xml-writer.js';

/**
 * The problem list: each GP episode (ICPC-1-NL) as a Problem Concern Act around a Problem Observation, and each
 * ketenzorg programme enrolment as a care provision act (`PCPR`). An enrolment is the care group taking on a
 * concern for a period, not a problem of its own, so it sits inside the concern of the episode it was opened for;
 * an enrolment whose episode we do not hold is an entry of its own in the section. The programmes have no code in
 * a public code system (FHIR renders them in a system of ours, which has no OID), so the act's code is
 * `nullFlavor="OTH"` with the programme's name as original text.
 *
 * ICPC leads the observation's value; no ICPC → SNOMED CT mapping is confirmed in profiles/, so none is added.
 * Refuted and entered-in-error episodes are left out: a summary lists what the patient has.
 */
const PROBLEMS: SectionKind = { template: TEMPLATES.problemSection, code: CODES.problemSection, title: 'Problems' };

const ENDED: ReadonlySet<Condition['clinicalStatus']> = new Set(['inactive', 'remission', 'resolved']);

function problemValue(condition: Condition, reference: string, issues: Issue[]): XmlNode {
  const written = condition.codings.flatMap((c) => {
    const code = cdCode(c);
    return code ? [{ code, icpc: c.system === CodeSystems.icpc1nl.uri }] : [];
  });
  if (written.length < condition.codings.length) {
    issues.push({ severity: 'warning', code: 'CODE_SYSTEM_WITHOUT_OID', message: 'a problem coding whose system has no OID is given as text only', where: { path: `conditions/${condition.id}` } });
  }
  const primary = (written.find((w) => w.icpc) ?? written[0])?.code;
  return cd('value', primary, written.map((w) => w.code).filter((c) => c !== primary), reference, { 'xsi:type': 'CD' });
}

function programmeName(enrolment: CareProgramEnrolment): string {
  return `${CareProgramNames[enrolment.program]} (${enrolment.program})`;
}

function careProvision(enrolment: CareProgramEnrolment, reference: string): XmlNode {
  const ended = enrolment.status === 'ended';
  return el(
    'act',
    { classCode: 'PCPR', moodCode: 'EVN' },
    ii(enrolment.id),
    el('code', { nullFlavor: 'OTH' }, el('originalText', {}, el('reference', { value: `#${reference}-name` }))),
    el('text', {}, el('reference', { value: `#${reference}` })),
    el('statusCode', { code: ended ? 'completed' : 'active' }),
    interval(enrolment.period.start, enrolment.period.end, ended || enrolment.period.end !== undefined),
  );
}

export function problemSection(conditions: readonly Condition[], enrolments: readonly CareProgramEnrolment[], issues: Issue[]): XmlNode {
  const listed = conditions
    .filter((c) => {
      const left = c.verificationStatus === 'refuted' || c.verificationStatus === 'entered-in-error';
      if (left) issues.push({ severity: 'information', code: 'PROBLEM_LEFT_OUT', message: `a ${c.verificationStatus} problem is not part of the summary`, where: { path: `conditions/${c.id}` } });
      return !left;
    })
    .sort((a, b) => Number(ENDED.has(a.clinicalStatus)) - Number(ENDED.has(b.clinicalStatus)) || byTimeDesc(a.onset, b.onset) || byId(a, b));
  const programmes = [...enrolments].sort((a, b) => byTimeDesc(a.period.start, b.period.start) || byId(a, b));
  const programmeRef = new Map(programmes.map((e, i) => [e.id, `programme-${i + 1}`]));
  const problemRef = new Map(listed.map((c, i) => [c.id, `problem-${i + 1}`]));

  const programmeTable = programmes.length > 0 && table(
    { text: 'Care programmes' },
    ['Programme', 'Status', 'Period', 'For problem'],
    programmes.map((e) => {
      const ref = programmeRef.get(e.id)!;
      const problem = listed.find((c) => c.id === e.conditionId);
      return row(ref, [{ id: `${ref}-name`, text: programmeName(e) }, e.status, period(e.period.start, e.period.end), problem ? conceptName(problem.text, problem.codings) : '']);
    }),
  );

  if (listed.length === 0) {
    const text: XmlChild[] = [paragraph('No information: we hold no problems (episodes) for this patient.')];
    if (programmeTable) text.push(programmeTable);
    return noInformationSection(PROBLEMS, text);
  }

  const problemTable = table(
    { text: 'Problems' },
    ['Problem', 'Code', 'Status', 'Onset', 'Resolved', 'Verification'],
    listed.map((c) => {
      const ref = problemRef.get(c.id)!;
      const codes = c.codings.map((k) => k.code).join(', ');
      return row(ref, [{ id: `${ref}-name`, text: conceptName(c.text, c.codings) }, codes, c.clinicalStatus, when(c.onset), when(c.abatement), c.verificationStatus]);
    }),
  );

  const entries: XmlNode[] = listed.map((c) => {
    const ref = problemRef.get(c.id)!;
    const ended = ENDED.has(c.clinicalStatus);
    const observation = el(
      'observation',
      { classCode: 'OBS', moodCode: 'EVN' },
      templateIds(TEMPLATES.problemObservation),
      ii(c.id),
      fixedCode(CODES.problemType, fixedTranslation(CODES.problemTypeLoinc)),
      el('text', {}, el('reference', { value: `#${ref}` })),
      el('statusCode', { code: 'completed' }),
      interval(c.onset, c.abatement, ended && c.abatement !== undefined),
      problemValue(c, `${ref}-name`, issues),
    );
    const provisions = programmes.filter((e) => e.conditionId === c.id).map((e) => el('entryRelationship', { typeCode: 'REFR' }, careProvision(e, programmeRef.get(e.id)!)));
    return el(
      'act',
      { classCode: 'ACT', moodCode: 'EVN' },
      templateIds(TEMPLATES.problemConcernAct),
      ii(derivedUuid('problem-concern', c.id)),
      el('code', { code: 'CONC', codeSystem: OID.actClass, codeSystemName: 'HL7ActClass', displayName: 'Concern' }),
      el('statusCode', { code: ended ? 'completed' : 'active' }),
      // The concern runs from when the episode was recorded; a completed concern must say when it ended.
      interval(c.recorded ?? c.onset, c.abatement, ended),
      el('entryRelationship', { typeCode: 'SUBJ' }, observation),
      provisions,
    );
  });
  const unlinked = programmes.filter((e) => !problemRef.has(e.conditionId ?? '')).map((e) => careProvision(e, programmeRef.get(e.id)!));
  return section(PROBLEMS, [problemTable, ...(programmeTable ? [programmeTable] : [])], [...entries, ...unlinked]);
}
