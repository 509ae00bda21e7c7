import { IdentifierSystems, type CareProgramCode, type Identifier, type Issue } from '../../canonical/index.js';
import type { ProgrammeRule } from '../../profiles/icpc-programmes.js';
import { concernProgramme, enrolmentsOf, readConcern } from './concern.js';
import { child, childrenNamed, descend, hl7Time, idKey, identifiersOf, instanceId, type InstanceId } from './datatypes.js';
import { at, issue } from './issues.js';
import { readObservation } from './observation.js';
import { readPatient } from './patient.js';
import { noParty, refused, type ConditionRecord, type EnrolmentRecord, type KetenzorgItem, type KetenzorgResult, type ObservationRecord, type Party } from './result.js';
import { readXml, type XmlElement, type XmlLimits } from './xml.js';

/**
 * The Nictiz HL7v3 Ketenzorg 3.0.x responses (nl-ketenzorg-medlab.md §2): one interaction, or several in an
 * MCCI_IN200101 batch. Each `ControlActProcess/subject/organizer` (one patient) becomes one item.
 */
export interface Hl7v3Options extends XmlLimits {
  readonly programmeRules: readonly ProgrammeRule[];
}

const BATCH = 'MCCI_IN200101';
const CONCERNS = 'REPC_IN990111NL';
const INTERACTIONS: ReadonlySet<string> = new Set([CONCERNS, 'POOB_IN990003NL', 'POLB_IN364001NL03']);
/** Elements of the transmission wrapper; every other child of a batch is a message. */
const WRAPPER: ReadonlySet<string> = new Set([
  'id', 'creationTime', 'securityText', 'versionCode', 'interactionId', 'profileId', 'processingCode', 'processingModeCode',
  'acceptAckCode', 'batchTotalNumber', 'transmissionQuantity', 'acknowledgement', 'attentionLine', 'receiver', 'respondTo', 'sender',
]);
const LAB_STUDIES = '26436-6';

interface Wrapper {
  readonly id?: InstanceId;
  readonly interactionId?: string;
  readonly creationTime?: string;
  readonly senderDevices: Identifier[];
  readonly receiverDevices: Identifier[];
}

export function parseHl7v3(text: string, options: Hl7v3Options): KetenzorgResult {
  const read = readXml(text, options);
  if (!read.ok) return refused(read.issues, 'ketenzorg-hl7v3');
  const root = unwrapSoap(read.root);
  if (root.name !== BATCH && !INTERACTIONS.has(root.name)) {
    return refused([issue('fatal', 'INTERACTION_UNSUPPORTED', `interaction ${root.name} is not one we accept`, at(root))], 'ketenzorg-hl7v3');
  }
  const wrapper = readWrapper(root);
  const issues = checkWrapper(root, wrapper);
  const messages = root.name === BATCH ? root.children.filter((c) => !WRAPPER.has(c.name)) : [root];
  if (root.name === BATCH) issues.push(...checkBatch(root, messages));
  const concerns = concernIndex(messages, options.programmeRules);
  const items: KetenzorgItem[] = [];
  const messageIds: string[] = [];
  const seen: Seen = new Map();
  for (const message of messages) {
    if (!INTERACTIONS.has(message.name)) {
      issues.push(issue('fatal', 'INTERACTION_UNSUPPORTED', `interaction ${message.name} is not one we accept`, at(message)));
      continue;
    }
    const inner = message === root ? wrapper : readWrapper(message);
    if (message !== root) issues.push(...checkWrapper(message, inner));
    if (!inner.id) continue;
    const key = idKey(inner.id);
    messageIds.push(key);
    items.push(...readMessage(message, key, concerns, options.programmeRules, seen));
  }
  const sender = mergeParties([{ ...noParty(), devices: wrapper.senderDevices }, ...items.map((i) => i.author)]);
  return {
    format: 'ketenzorg-hl7v3',
    ...(wrapper.id ? { messageId: idKey(wrapper.id) } : {}),
    interaction: root.name,
    sender,
    acknowledgement: {
      ...(wrapper.id ? { messageId: wrapper.id } : {}),
      ...(wrapper.interactionId ? { interactionId: wrapper.interactionId } : {}),
      ...(wrapper.creationTime ? { creationTime: wrapper.creationTime } : {}),
      senderDevices: wrapper.senderDevices,
      receiverDevices: wrapper.receiverDevices,
      messageIds,
    },
    items,
    issues,
    rejected: issues.some(isFatal) || items.some((i) => i.rejected),
  };
}

const isFatal = (i: Issue) => i.severity === 'fatal';

/** Senders sometimes post the SOAP envelope as they received it; the interaction is the Body's first element. */
function unwrapSoap(root: XmlElement): XmlElement {
  return root.name === 'Envelope' ? (descend(root, 'Body')?.children[0] ?? root) : root;
}

function readWrapper(message: XmlElement): Wrapper {
  const creationTime = hl7Time(child(message, 'creationTime')?.attributes.value);
  const id = instanceId(child(message, 'id'));
  const interactionId = child(message, 'interactionId')?.attributes.extension;
  return {
    ...(id ? { id } : {}),
    ...(interactionId ? { interactionId } : {}),
    ...(creationTime ? { creationTime } : {}),
    senderDevices: identifiersOf(childrenNamed(descend(message, 'sender', 'device'), 'id')),
    receiverDevices: identifiersOf(childrenNamed(descend(message, 'receiver', 'device'), 'id')),
  };
}

function checkWrapper(message: XmlElement, wrapper: Wrapper): Issue[] {
  const issues: Issue[] = [];
  if (!wrapper.id) issues.push(issue('fatal', 'MESSAGE_ID_MISSING', 'the message has no id (root and extension)', at(child(message, 'id') ?? message)));
  if (wrapper.interactionId !== message.name) {
    issues.push(issue('fatal', 'INTERACTION_MISMATCH', `interactionId does not match the ${message.name} element`, at(child(message, 'interactionId') ?? message)));
  }
  // The message's time orders a later correction of its records after them: without it, they cannot be corrected.
  const made = child(message, 'creationTime');
  if (!wrapper.creationTime) {
    issues.push(made
      ? issue('warning', 'CREATION_TIME_INVALID', `creationTime ${JSON.stringify(made.attributes.value ?? '')} is not a valid HL7 time: a correction of these records sent later cannot be ordered after them`, at(made))
      : issue('warning', 'CREATION_TIME_MISSING', 'the message has no creationTime: a correction of its records sent later cannot be ordered after them', at(message)));
  }
  return issues;
}

function checkBatch(batch: XmlElement, messages: readonly XmlElement[]): Issue[] {
  const quantity = child(batch, 'transmissionQuantity');
  const declared = quantity?.attributes.value;
  if (declared === undefined || Number(declared) === messages.length) return [];
  return [issue('warning', 'BATCH_COUNT_MISMATCH', `transmissionQuantity says ${declared}, the batch holds ${messages.length}`, at(quantity!))];
}

/** Concern id → programme, over every concern message in the transmission, so findings can refer to them by id. */
function concernIndex(messages: readonly XmlElement[], rules: readonly ProgrammeRule[]): Map<string, CareProgramCode> {
  const index = new Map<string, CareProgramCode>();
  for (const message of messages) {
    if (message.name !== CONCERNS) continue;
    for (const act of organizers(message).flatMap((o) => componentsOf(o, 'act'))) {
      const id = instanceId(child(act, 'id'));
      const program = concernProgramme(act, rules);
      if (id && program) index.set(idKey(id), program);
    }
  }
  return index;
}

function organizers(message: XmlElement): XmlElement[] {
  return childrenNamed(child(message, 'ControlActProcess'), 'subject').flatMap((s) => childrenNamed(s, 'organizer'));
}

function componentsOf(organizer: XmlElement, name: string): XmlElement[] {
  return childrenNamed(organizer, 'component').flatMap((c) => childrenNamed(c, name));
}

function readMessage(message: XmlElement, key: string, concerns: ReadonlyMap<string, CareProgramCode>, rules: readonly ProgrammeRule[], seen: Seen): KetenzorgItem[] {
  const controlAct = child(message, 'ControlActProcess');
  const device = descend(controlAct, 'authorOrPerformer', 'participant', 'AssignedDevice');
  const deviceIds = identifiersOf(childrenNamed(device, 'id'));
  const author: Party = {
    devices: deviceIds.filter((i) => i.system === IdentifierSystems.aortaApplication.uri),
    systems: deviceIds.filter((i) => i.system !== IdentifierSystems.aortaApplication.uri),
    organizations: identifiersOf(childrenNamed(child(device, 'Organization'), 'id')),
    practitioners: [],
  };
  // Nothing the message reports can have happened after it was made: its creationTime bounds every date in it.
  const made = hl7Time(child(message, 'creationTime')?.attributes.value);
  return organizers(message).map((organizer, index) => readOrganizer(message.name, organizer, [key, index], author, concerns, rules, made, seen));
}

function readOrganizer(
  interaction: string,
  organizer: XmlElement,
  idParts: readonly (string | number)[],
  messageAuthor: Party,
  concerns: ReadonlyMap<string, CareProgramCode>,
  rules: readonly ProgrammeRule[],
  made: string | undefined,
  seen: Seen,
): KetenzorgItem {
  /**
   * A record id twice in one transmission (a batch carrying a finding's older and newer message, or the sender's
   * id used twice) would be two records with one id: the same record is filed once, and of two that differ the
   * one whose message was made later, as a correction would be.
   */
  const place = <R extends { readonly id: string }>(list: R[], record: R, element: XmlElement, test?: (r: R) => string) => {
    const earlier = seen.get(record.id);
    if (!earlier) {
      list.push(record);
      seen.set(record.id, { list, record, made });
      return;
    }
    // Compared only when an id comes twice: serialising every record would cost every message.
    if (JSON.stringify(earlier.record) === JSON.stringify(record)) return;
    const named = (record as { provenance?: { sourceRecordId?: string } }).provenance?.sourceRecordId ?? record.id;
    // Another test under the same id is not a newer version of it, as across messages (filing's RECORD_ID_OF_OTHER_TEST).
    if (test && test(earlier.record as R) !== test(record)) {
      issues.push(issue('error', 'RECORD_ID_OF_OTHER_TEST', `${named} came earlier in this transmission for another test: only the first is filed; give each finding an id of its own`, at(element)));
      return;
    }
    const order = madeOrder(made, earlier.made);
    issues.push(repeatedIssue(element, order, named));
    if (order !== 'later') return;
    earlier.list.splice(earlier.list.indexOf(earlier.record), 1);
    list.push(record);
    seen.set(record.id, { list, record, made });
  };
  const gp = childrenNamed(organizer, 'participant').find((p) => p.attributes.typeCode === 'CST');
  const author: Party = { ...messageAuthor, practitioners: identifiersOf(childrenNamed(child(gp, 'participantRole'), 'id')) };
  const base = { messageId: String(idParts[0]), ...(made ? { creationTime: made } : {}), interaction, author };
  const { patient, issues } = readPatient(organizer, made);
  if (!patient || issues.some(isFatal)) return { ...base, conditions: [], enrolments: [], observations: [], issues, rejected: true };

  const conditions: ConditionRecord[] = [];
  const enrolling: { condition: ConditionRecord; program: CareProgramCode; act: XmlElement }[] = [];
  const observations: ObservationRecord[] = [];
  const labStudies = child(organizer, 'code')?.attributes.code === LAB_STUDIES;
  childrenNamed(organizer, 'component').forEach((component, position) => {
    const act = child(component, 'act');
    const observation = child(component, 'observation');
    if (interaction === CONCERNS && act) {
      const read = readConcern(act, [...idParts, position], rules);
      issues.push(...read.issues);
      if (read.condition) place(conditions, read.condition, act);
      if (read.condition && read.program) enrolling.push({ condition: read.condition, program: read.program, act });
    } else if (interaction !== CONCERNS && observation) {
      const read = readObservation(observation, {
        idParts: [...idParts, position],
        ...(labStudies ? { defaultCategory: 'laboratory' as const } : {}),
        ...(made ? { made } : {}),
        programmeOfConcern: (k) => concerns.get(k),
        programmeOfAct: (a) => concernProgramme(a, rules),
      });
      issues.push(...read.issues);
      if (read.observation) place(observations, read.observation, observation, testOf);
    } else {
      issues.push(issue('warning', 'COMPONENT_UNSUPPORTED', `a component without a${interaction === CONCERNS ? 'n act' : 'n observation'} is skipped`, at(component)));
    }
  });
  const enrolled = enrolmentsOf(enrolling, idParts);
  issues.push(...enrolled.issues);
  const enrolments: EnrolmentRecord[] = [];
  for (const e of enrolled.enrolments) place(enrolments, e, organizer);
  return { ...base, patient, conditions, enrolments, observations, issues, rejected: false };
}

/** The records a transmission has brought so far, by id, each with its item's list and its message's time. */
type Seen = Map<string, { readonly list: { readonly id: string }[]; readonly record: { readonly id: string }; readonly made: string | undefined }>;

/** Whether the message made at `made` was made after the one made at `earlier`: only full times compare. */
function madeOrder(made: string | undefined, earlier: string | undefined): 'later' | 'earlier' | 'unknown' {
  if (!made?.includes('T') || !earlier?.includes('T')) return 'unknown';
  const [a, b] = [Date.parse(made), Date.parse(earlier)];
  if (Number.isNaN(a) || Number.isNaN(b) || a === b) return 'unknown';
  return a > b ? 'later' : 'earlier';
}

/** What an observation measured: its first coding. */
function testOf(observation: ObservationRecord): string {
  const [first] = observation.codings;
  return first ? `${first.system}|${first.code}` : '';
}

function repeatedIssue(element: XmlElement, order: 'later' | 'earlier' | 'unknown', named: string): Issue {
  return order === 'unknown'
    ? issue('error', 'RECORD_ID_REPEATED', `${named} came earlier in this transmission with other content, and the message times do not say which is newer: only the first is filed`, at(element))
    : issue('warning', 'RECORD_ID_REPEATED', `${named} came earlier in this transmission with other content, in a message made ${order === 'later' ? 'before this one: this one' : 'after this one: that one'} is filed`, at(element));
}

function mergeParties(parties: readonly Party[]): Party {
  const merge = (pick: (p: Party) => Identifier[]) => {
    const seen = new Map<string, Identifier>();
    for (const id of parties.flatMap(pick)) seen.set(`${id.system}|${id.value}`, id);
    return [...seen.values()];
  };
  return { devices: merge((p) => p.devices), systems: merge((p) => p.systems), organizations: merge((p) => p.organizations), practitioners: merge((p) => p.practitioners) };
}
