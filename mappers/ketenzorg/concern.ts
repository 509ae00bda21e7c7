import { CodeSystems, startInstant, type CareProgramCode, type Coding, type Issue } from '../../canonical/index.js';
import { programmeOf, type ProgrammeRule } from '../../profiles/icpc-programmes.js';
import { child, childrenNamed, codingOf, descend, hl7Time, idKey, instanceId } from './datatypes.js';
import { stableId } from './ids.js';
import { at, issue, withoutIdIssue } from './issues.js';
import type { ConditionRecord, EnrolmentRecord } from './result.js';
import type { XmlElement } from './xml.js';

/**
 * A concern (act CONC, REPC_IN990111NL) → a Condition coded in ICPC and, when the ICPC code belongs to a
 * programme, that programme. The diagnosis sits in `entryRelationship/observation/value`; the concern's own
 * `effectiveTime` bounds the episode.
 */
export const SOURCE = 'ketenzorg-hl7v3';

/** The ICPC diagnosis of a concern act, or its diagnosis in another system when it has no ICPC one. */
export function concernDiagnosis(act: XmlElement): { coding?: Coding; observation?: XmlElement } {
  const observations = childrenNamed(act, 'entryRelationship').flatMap((r) => childrenNamed(r, 'observation'));
  const candidates = observations.map((o) => ({ observation: o, coding: codingOf(child(o, 'value')) }));
  const icpc = candidates.find((c) => c.coding?.system === CodeSystems.icpc1nl.uri);
  return icpc ?? candidates.find((c) => c.coding !== undefined) ?? {};
}

export function concernProgramme(act: XmlElement, rules: readonly ProgrammeRule[]): CareProgramCode | undefined {
  const { coding } = concernDiagnosis(act);
  return coding?.system === CodeSystems.icpc1nl.uri ? programmeOf(coding.code, rules) : undefined;
}

export interface ConcernRead {
  readonly condition?: ConditionRecord;
  readonly program?: CareProgramCode;
  readonly issues: Issue[];
}

export function readConcern(act: XmlElement, idParts: readonly (string | number)[], rules: readonly ProgrammeRule[]): ConcernRead {
  const { coding, observation } = concernDiagnosis(act);
  if (!coding) return { issues: [issue('error', 'CONCERN_NO_DIAGNOSIS', 'the concern carries no coded diagnosis', at(act))] };
  const issues: Issue[] = [];
  const isIcpc = coding.system === CodeSystems.icpc1nl.uri;
  if (!isIcpc) issues.push(issue('warning', 'CONCERN_NOT_ICPC', 'the concern is not coded in ICPC: kept, but it enrols in no programme', at(act)));
  const status = child(act, 'statusCode')?.attributes.code;
  const onset = hl7Time(descend(observation, 'effectiveTime', 'low')?.attributes.value) ?? hl7Time(descend(act, 'effectiveTime', 'low')?.attributes.value);
  const abatement = hl7Time(descend(act, 'effectiveTime', 'high')?.attributes.value);
  const text = child(act, 'text')?.text;
  const id = instanceId(child(act, 'id'));
  if (!id) issues.push(withoutIdIssue('concern', act));
  const condition: ConditionRecord = {
    // As observations: the concern's own id names it in every message that brings it.
    id: id ? stableId('condition', idKey(id)) : stableId(...idParts, 'condition'),
    codings: [coding],
    ...(text ? { text: text.slice(0, 300) } : {}),
    clinicalStatus: status === 'completed' ? 'resolved' : status === 'suspended' ? 'inactive' : 'active',
    verificationStatus: status === 'nullified' ? 'entered-in-error' : 'confirmed',
    ...(onset ? { onset } : {}),
    ...(abatement ? { abatement } : {}),
    provenance: { source: SOURCE, ...(id ? { sourceRecordId: idKey(id) } : {}) },
  };
  const program = isIcpc && status !== 'nullified' ? programmeOf(coding.code, rules) : undefined;
  return { condition, ...(program ? { program } : {}), issues };
}

/**
 * One enrolment per programme per patient, from the earliest concern that puts the patient in it. Its start is
 * that concern's onset: with no onset there is no honest start date, so no enrolment (a warning says why).
 */
export function enrolmentsOf(concerns: readonly { condition: ConditionRecord; program: CareProgramCode; act: XmlElement }[], idParts: readonly (string | number)[]): { enrolments: EnrolmentRecord[]; issues: Issue[] } {
  const enrolments: EnrolmentRecord[] = [];
  const issues: Issue[] = [];
  const programs = [...new Set(concerns.map((c) => c.program))];
  for (const program of programs) {
    const dated = concerns.filter((c) => c.program === program && c.condition.onset !== undefined);
    if (dated.length === 0) {
      const first = concerns.find((c) => c.program === program)!;
      issues.push(issue('warning', 'ENROLMENT_START_UNKNOWN', `the ${program} concern has no onset: no enrolment is made`, at(first.act)));
      continue;
    }
    const earliest = dated.reduce((a, b) => (startInstant(b.condition.onset!) < startInstant(a.condition.onset!) ? b : a));
    const active = concerns.some((c) => c.program === program && c.condition.clinicalStatus === 'active');
    const end = active ? undefined : earliest.condition.abatement;
    enrolments.push({
      id: stableId(earliest.condition.id, 'enrolment', program),
      program,
      status: active ? 'active' : 'ended',
      period: { start: earliest.condition.onset!, ...(end ? { end } : {}) },
      conditionId: earliest.condition.id,
      provenance: { source: SOURCE, ...(earliest.condition.provenance.sourceRecordId ? { sourceRecordId: earliest.condition.provenance.sourceRecordId } : {}) },
    });
  }
  return { enrolments, issues };
}
