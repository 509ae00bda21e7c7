import { oidOf, type Address, type HumanName, type Issue, type Patient, type Telecom } from '../../canonical/index.js';
import { childNamed, nodeOfElement, NS, pathOf, writeXml, type XmlElement, type XmlNode } from '../xml/index.js';
import { OID, RESPONSE_INTERACTION, RESPONSE_TRIGGER_EVENT, type DiscoveryErrorCode, type RequestedAttribute } from './codes.js';
import { bareOid, instanceIdentifier, type InstanceIdentifier } from './datatypes.js';
import type { PatientDiscoveryQuery } from './parse-patient-discovery.js';

/**
 * ITI-55 responding side: the gateway's decision → the `PRPA_IN201306UV02` element for the SOAP Body, in one of
 * the five cases of ihe-xca-xcpd.md §4:
 *   match (cases 1 and 2) ... AA, OK, one subject/registrationEvent per patient, custodian = our home community;
 *   ambiguous (case 3) ...... AA, OK, no subject, detectedIssueEvent asking for more attributes;
 *   no-match (case 4) ....... AA, NF;
 *   error (case 5) .......... AE, AE, acknowledgementDetail INTERR, the XCPD error code, queryAck aborted.
 * Always: a new id and the given creationTime (no clock here), receiver = the initiator and sender = us, the
 * request id as targetMessage, the queryId in queryAck and the request's queryByParameter echoed.
 * Only what the gateway passes in is disclosed: it decides which patients and which of their identifiers leave.
 */
export interface MatchedPatient {
  /** Our id of the patient: the initiator uses it next in $XDSDocumentEntryPatientId. */
  readonly id: { readonly root: string; readonly extension: string };
  readonly patient: Patient;
  /** How closely the query's demographics matched, 0–100 (100: found by our own id); sent as the queryMatchObservation. */
  readonly matchScore?: number;
}

export type DiscoveryOutcome =
  | { readonly kind: 'match'; readonly patients: readonly MatchedPatient[] }
  | { readonly kind: 'ambiguous'; readonly requested: readonly RequestedAttribute[] }
  | { readonly kind: 'no-match' }
  | { readonly kind: 'error'; readonly code: DiscoveryErrorCode };

export interface ResponseContext {
  readonly responseId: { readonly root: string; readonly extension: string };
  /** HL7 TS. */
  readonly creationTime: string;
  /** Our home community id, a bare OID (`urn:oid:` is removed if given). */
  readonly homeCommunityId: string;
  /** Our device id root; the home community id when absent. */
  readonly deviceId?: string;
}

export type ResponseQuery = Pick<PatientDiscoveryQuery, 'messageId' | 'processingCode' | 'senderDeviceId' | 'initiatorHomeCommunityId' | 'queryId' | 'queryByParameter'>;

type Attributes = Readonly<Record<string, string | undefined>>;

function el(name: string, attributes: Attributes = {}, ...children: XmlNode[]): XmlNode {
  return { name, attributes: Object.entries(attributes).filter((a): a is [string, string] => a[1] !== undefined), children };
}

function text(name: string, value: string, attributes: Attributes = {}): XmlNode {
  return { ...el(name, attributes), text: value };
}

const ii = (name: string, id: InstanceIdentifier) => el(name, { root: id.root, extension: id.extension });

const ERROR_TEXT: Readonly<Record<DiscoveryErrorCode, string>> = {
  InternalError: 'The responding gateway could not answer because of an internal error.',
  ResponderBusy: 'The responding gateway is busy; try again later.',
  AnswerNotAvailable: 'The responding gateway cannot give an answer to this query.',
};

export function renderPatientDiscoveryResponse(query: ResponseQuery, outcome: DiscoveryOutcome, context: ResponseContext): string {
  const ourCommunity = bareOid(context.homeCommunityId);
  const patients = outcome.kind === 'match' ? outcome.patients : [];
  // A match without patients names no one: it is answered as case 4, not as a legacy "OK with no subject".
  const noOne = outcome.kind === 'no-match' || (outcome.kind === 'match' && patients.length === 0);
  const failed = outcome.kind === 'error';
  const ackCode = failed ? 'AE' : 'AA';
  const acknowledgement = el(
    'acknowledgement',
    {},
    el('typeCode', { code: ackCode }),
    el('targetMessage', {}, ii('id', query.messageId)),
    ...(failed
      ? [el('acknowledgementDetail', { typeCode: 'E' }, el('code', { code: 'INTERR', codeSystem: OID.acknowledgementDetailCode }), text('text', ERROR_TEXT[outcome.code]))]
      : []),
  );
  const queryAck = el(
    'queryAck',
    {},
    ii('queryId', query.queryId),
    el('statusCode', { code: failed ? 'aborted' : 'deliveredResponse' }),
    el('queryResponseCode', { code: failed ? 'AE' : noOne ? 'NF' : 'OK' }),
    ...(failed
      ? []
      : [
          el('resultTotalQuantity', { value: String(patients.length) }),
          el('resultCurrentQuantity', { value: String(patients.length) }),
          el('resultRemainingQuantity', { value: '0' }),
        ]),
  );
  const controlAct = el(
    'controlActProcess',
    { classCode: 'CACT', moodCode: 'EVN' },
    el('code', { code: RESPONSE_TRIGGER_EVENT, codeSystem: OID.interaction }),
    ...patients.map((p) => subject(p, ourCommunity)),
    ...(outcome.kind === 'ambiguous' ? [attributesRequested(outcome.requested)] : []),
    ...(failed ? [errorReason(outcome.code)] : []),
    queryAck,
    nodeOfElement(query.queryByParameter),
  );
  const receiver = device(query.senderDeviceId, bareOid(query.initiatorHomeCommunityId));
  return responseMessage(context, query.processingCode, receiver, acknowledgement, controlAct);
}

/**
 * A request the parser refused (parsePatientDiscoveryRequest's issues): an application error (AE) that names every
 * problem in an acknowledgementDetail (HL7 AcknowledgementDetailCode SYN, the text our code and message, the
 * location the element path), a queryAck with queryResponseCode AE, and whatever of the request could be read
 * echoed back (its id, sender, queryId, queryByParameter), so the initiator can correlate it. Errors and fatal
 * issues only: warnings did not cause the refusal.
 */
export function renderPatientDiscoveryRefusal(message: XmlElement, issues: readonly Issue[], context: ResponseContext): string {
  const hl7 = (name: string) => [NS.hl7, name] as const;
  const messageId = instanceIdentifier(childNamed(message, ...hl7('id')));
  const sender = pathOf(message, hl7('sender'), hl7('device'));
  const senderId = instanceIdentifier(sender && childNamed(sender, ...hl7('id')));
  const initiator = sender && pathOf(sender, hl7('asAgent'), hl7('representedOrganization'), hl7('id'))?.attributes.root;
  const queryByParameter = pathOf(message, hl7('controlActProcess'), hl7('queryByParameter'));
  const queryId = instanceIdentifier(queryByParameter && childNamed(queryByParameter, ...hl7('queryId')));
  const processing = childNamed(message, ...hl7('processingCode'))?.attributes.code;
  const details = issues
    .filter((i) => i.severity === 'fatal' || i.severity === 'error')
    .map((i) => el(
      'acknowledgementDetail',
      { typeCode: 'E' },
      el('code', { code: 'SYN', codeSystem: OID.acknowledgementDetailCode }),
      text('text', `${i.code}: ${i.message}`),
      ...(i.where?.path ? [text('location', i.where.path)] : []),
    ));
  return responseMessage(
    context,
    processing === 'D' || processing === 'T' ? processing : 'P',
    senderId ? device(senderId, bareOid(initiator ?? senderId.root)) : undefined,
    el('acknowledgement', {}, el('typeCode', { code: 'AE' }), ...(messageId ? [el('targetMessage', {}, ii('id', messageId))] : []), ...details),
    el(
      'controlActProcess',
      { classCode: 'CACT', moodCode: 'EVN' },
      el('code', { code: RESPONSE_TRIGGER_EVENT, codeSystem: OID.interaction }),
      el('queryAck', {}, ...(queryId ? [ii('queryId', queryId)] : []), el('statusCode', { code: 'aborted' }), el('queryResponseCode', { code: 'AE' })),
      ...(queryByParameter ? [nodeOfElement(queryByParameter)] : []),
    ),
  );
}

/** The PRPA_IN201306UV02 message around an acknowledgement and its controlActProcess; no receiver when the request named no sender. */
function responseMessage(context: ResponseContext, processingCode: string, receiver: XmlNode | undefined, acknowledgement: XmlNode, controlAct: XmlNode): string {
  const ourCommunity = bareOid(context.homeCommunityId);
  const message = el(
    RESPONSE_INTERACTION,
    { xmlns: NS.hl7, ITSVersion: 'XML_1.0' },
    ii('id', context.responseId),
    el('creationTime', { value: context.creationTime }),
    el('interactionId', { root: OID.interaction, extension: RESPONSE_INTERACTION }),
    el('processingCode', { code: processingCode }),
    el('processingModeCode', { code: 'T' }),
    el('acceptAckCode', { code: 'NE' }),
    ...(receiver ? [el('receiver', { typeCode: 'RCV' }, receiver)] : []),
    el('sender', { typeCode: 'SND' }, device({ root: context.deviceId ?? ourCommunity }, ourCommunity)),
    acknowledgement,
    controlAct,
  );
  return writeXml(message, { indent: '  ' });
}

function device(id: InstanceIdentifier, homeCommunityId: string): XmlNode {
  return el(
    'device',
    { classCode: 'DEV', determinerCode: 'INSTANCE' },
    ii('id', id),
    el('asAgent', { classCode: 'AGNT' }, el('representedOrganization', { classCode: 'ORG', determinerCode: 'INSTANCE' }, el('id', { root: homeCommunityId }))),
  );
}

function detectedIssue(...details: XmlNode[]): XmlNode {
  return el(
    'reasonOf',
    { typeCode: 'RSON' },
    el('detectedIssueEvent', { classCode: 'ALRT', moodCode: 'EVN' }, el('code', { code: 'ActAdministrativeDetectedIssueCode', codeSystem: OID.actCode }), ...details),
  );
}

function attributesRequested(requested: readonly RequestedAttribute[]): XmlNode {
  return detectedIssue(
    ...[...new Set(requested)].map((code) =>
      el('triggerFor', { typeCode: 'TRIG' }, el('actOrderRequired', { classCode: 'ACT', moodCode: 'RQO' }, el('code', { code, codeSystem: OID.attributeRequested }))),
    ),
  );
}

function errorReason(code: DiscoveryErrorCode): XmlNode {
  return detectedIssue(
    el('mitigatedBy', { typeCode: 'MITGT' }, el('detectedIssueManagement', { classCode: 'ACT', moodCode: 'EVN' }, el('code', { code, codeSystem: OID.errorCode }))),
  );
}

function subject({ id, patient, matchScore }: MatchedPatient, ourCommunity: string): XmlNode {
  return el(
    'subject',
    { typeCode: 'SUBJ' },
    el(
      'registrationEvent',
      { classCode: 'REG', moodCode: 'EVN' },
      el('id', { nullFlavor: 'NA' }),
      el('statusCode', { code: 'active' }),
      el(
        'subject1',
        { typeCode: 'SBJ' },
        el('patient', { classCode: 'PAT' }, ii('id', id), el('statusCode', { code: 'active' }), person(patient, id), ...(matchScore === undefined ? [] : [matchObservation(matchScore)])),
      ),
      el(
        'custodian',
        { typeCode: 'CST' },
        el('assignedEntity', { classCode: 'ASSIGNED' }, el('id', { root: ourCommunity }), el('code', { code: 'NotHealthDataLocator', codeSystem: OID.healthDataLocator })),
      ),
    ),
  );
}

const GENDER_CODES: Readonly<Record<Patient['gender'], string | undefined>> = { female: 'F', male: 'M', other: 'UN', unknown: undefined };

/**
 * The degree of match as PDQv3 gives it (PRPA_MT201310UV02 subjectOf1, after patientPerson): an INT from 0 to 100
 * under the code IHE_PDQ. The xsi prefix is declared on the value itself, the one place the message uses it.
 */
function matchObservation(score: number): XmlNode {
  const value = String(Math.max(0, Math.min(100, Math.round(score))));
  return el(
    'subjectOf1',
    { typeCode: 'SBJ' },
    el('queryMatchObservation', { classCode: 'COND', moodCode: 'EVN' }, el('code', { code: 'IHE_PDQ' }), el('value', { 'xmlns:xsi': NS.xsi, 'xsi:type': 'INT', value })),
  );
}

/** patientPerson in the schema's order: name, telecom, administrativeGenderCode, birthTime, addr, asOtherIDs. */
function person(patient: Patient, mainId: MatchedPatient['id']): XmlNode {
  const gender = GENDER_CODES[patient.gender];
  const otherIds = patient.identifiers.flatMap((identifier) => {
    const oid = oidOf(identifier.system);
    // A system without an OID cannot be written as an II; the main id is already the patient's id.
    if (!oid || (oid === bareOid(mainId.root) && identifier.value === mainId.extension)) return [];
    const scoping = el('scopingOrganization', { classCode: 'ORG', determinerCode: 'INSTANCE' }, el('id', { root: oid }));
    return [el('asOtherIDs', { classCode: 'PAT' }, el('id', { root: oid, extension: identifier.value }), scoping)];
  });
  return el(
    'patientPerson',
    { classCode: 'PSN', determinerCode: 'INSTANCE' },
    ...patient.names.map(nameNode),
    ...patient.telecom.map(telecomNode),
    el('administrativeGenderCode', gender ? { code: gender, codeSystem: OID.administrativeGender } : { nullFlavor: 'UNK' }),
    ...(patient.birthDate ? [el('birthTime', { value: patient.birthDate.replace(/-/g, '') })] : []),
    ...patient.addresses.map(addressNode),
    ...otherIds,
  );
}

const spaced = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(' ');

/**
 * The own surname is written whole, prefix included ("van der Berg"): initiators outside the Netherlands read
 * `family` and know no `VV` qualifier, and a Dutch reader splits the prefix off again. A partner's surname follows
 * with the `SP` qualifier (before the own one when the person uses it first). Initials go out only when no given
 * name does, since they are derived from the given names otherwise.
 */
function nameNode(name: HumanName): XmlNode {
  const own = text('family', spaced(name.familyPrefix, name.family));
  const partner = name.partnerFamily ? [text('family', spaced(name.partnerPrefix, name.partnerFamily), { qualifier: 'SP' })] : [];
  const partnerFirst = name.assembly === 'partner' || name.assembly === 'partner-own';
  const initials = name.given.length === 0 && name.initials ? [text('given', name.initials, { qualifier: 'IN' })] : [];
  return el('name', {}, ...name.given.map((g) => text('given', g)), ...initials, ...(partnerFirst ? [...partner, own] : [own, ...partner]));
}

const TELECOM_USES: Readonly<Record<NonNullable<Telecom['use']>, string | undefined>> = { home: 'HP', work: 'WP', mobile: 'MC', temp: 'TMP', old: undefined };
const TELECOM_SCHEMES: Readonly<Record<Telecom['system'], string>> = { phone: 'tel:', fax: 'fax:', email: 'mailto:', sms: 'sms:', url: '', other: '' };

/** A TEL is a URL: the canonical value gets its scheme back, a phone number without spaces (RFC 3966). */
function telecomNode(telecom: Telecom): XmlNode {
  const scheme = TELECOM_SCHEMES[telecom.system];
  const value = telecom.system === 'phone' || telecom.system === 'fax' || telecom.system === 'sms' ? telecom.value.replace(/\s+/g, '') : telecom.value;
  return el('telecom', { value: value.toLowerCase().startsWith(scheme) ? value : `${scheme}${value}`, use: telecom.use && TELECOM_USES[telecom.use] });
}

const ADDRESS_USES: Readonly<Record<NonNullable<Address['use']>, string | undefined>> = { home: 'HP', work: 'WP', temp: 'TMP', old: undefined, billing: undefined };

/** Street lines as kept; a Dutch street and house number without lines become the one street line. */
function addressNode(address: Address): XmlNode {
  const lines = address.lines.length > 0 ? address.lines : [spaced(address.street, address.houseNumber)].filter(Boolean);
  const parts: [string, string | undefined][] = [
    ['city', address.city],
    ['county', address.district],
    ['state', address.state],
    ['postalCode', address.postalCode],
    ['country', address.country],
  ];
  return el(
    'addr',
    { use: address.use && ADDRESS_USES[address.use] },
    ...lines.map((line) => text('streetAddressLine', line)),
    ...parts.flatMap(([name, value]) => (value ? [text(name, value)] : [])),
  );
}
