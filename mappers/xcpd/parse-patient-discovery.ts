import { hasErrors, isOid, type Address, type Gender, type HumanName, type Identifier, type Issue, type PartialDate, type Telecom } from '../../canonical/index.js';
import { childNamed, childrenNamed, NS, pathOf, type XmlElement } from '../xml/index.js';
import { OID, REQUEST_INTERACTION } from './codes.js';
import { addressOf, bareOid, hl7Date, identifierOf, instanceIdentifier, issue, nameOf, telecomOf, type InstanceIdentifier, type QueryName } from './datatypes.js';

/**
 * ITI-55 Cross Gateway Patient Discovery, responding side: the `PRPA_IN201305UV02` element the gateway took out of
 * the SOAP Body → what the query asks, in canonical terms (ihe-xca-xcpd.md §4). Elements are matched by namespace
 * and local name, so any prefix or a default namespace reads the same; elements the standard does not need here
 * are ignored.
 *
 * Refused (`ok: false`): not a PRPA_IN201305UV02, a wrong interactionId, no controlActProcess/queryByParameter or
 * parameterList, no message id, query id, sender device or initiator home community id, a creationTime that is
 * no HL7 TS, a processingCode other than P, D or T, a gender outside F/M/UN, a birth time that is no HL7 TS, and a
 * query with neither a usable identifier nor both a name and a birth date (XCPD's minimum, as IPF's schematron
 * checks it). Every problem is reported, not only the first.
 * Kept with a warning: a value the canonical model cannot hold (an identifier without extension, a BSN failing
 * the 11-proef, a name without family part, an over-long value), a birth-time range, a repeated single parameter.
 */
export interface DiscoveryParameters {
  readonly gender?: Gender;
  readonly birthDate?: PartialDate;
  /** livingSubjectId: BSN and SSN included, each system in its canonical spelling. */
  readonly identifiers: readonly Identifier[];
  readonly names: readonly QueryName[];
  readonly mothersMaidenName?: HumanName;
  readonly addresses: readonly Address[];
  readonly telecom: readonly Telecom[];
  readonly principalCareProviderIds: readonly Identifier[];
}

export interface PatientDiscoveryQuery {
  /** The request's id, verbatim: the response's acknowledgement/targetMessage/id. */
  readonly messageId: InstanceIdentifier;
  /** HL7 TS as sent. */
  readonly creationTime: string;
  readonly processingCode: 'P' | 'D' | 'T';
  readonly processingModeCode?: string;
  readonly acceptAckCode?: string;
  readonly receiverDeviceId?: InstanceIdentifier;
  readonly senderDeviceId: InstanceIdentifier;
  /** The initiating community, a bare OID (`urn:oid:` removed). */
  readonly initiatorHomeCommunityId: string;
  readonly queryId: InstanceIdentifier;
  readonly statusCode?: string;
  readonly responseModalityCode?: string;
  /** `I` immediate; `D` asks for a deferred answer, which the gateway decides on. */
  readonly responsePriorityCode?: string;
  readonly parameters: DiscoveryParameters;
  /** The element as received, for the response to echo. */
  readonly queryByParameter: XmlElement;
  readonly warnings: readonly Issue[];
}

export type PatientDiscoveryParse = { readonly ok: true; readonly query: PatientDiscoveryQuery } | { readonly ok: false; readonly issues: Issue[] };

const hl7 = (name: string) => [NS.hl7, name] as const;
const code = (element: XmlElement | undefined) => element?.attributes.code?.trim() || undefined;
const PROCESSING_CODES = new Set(['P', 'D', 'T']);
const GENDERS: Readonly<Record<string, Gender>> = { F: 'female', M: 'male', UN: 'other' };

export function parsePatientDiscoveryRequest(message: XmlElement): PatientDiscoveryParse {
  if (message.ns !== NS.hl7 || message.name !== REQUEST_INTERACTION) {
    return { ok: false, issues: [issue('fatal', 'NOT_PATIENT_DISCOVERY', `the message must be an HL7v3 ${REQUEST_INTERACTION} (namespace urn:hl7-org:v3)`, message)] };
  }
  const issues: Issue[] = [];
  const refuse = (severity: 'fatal' | 'error', code: string, text: string, where: XmlElement) => issues.push(issue(severity, code, text, where));

  const interaction = childNamed(message, ...hl7('interactionId'));
  if (interaction?.attributes.extension?.trim() !== REQUEST_INTERACTION || bareOid(interaction.attributes.root ?? '') !== OID.interaction) {
    refuse('fatal', 'INTERACTION_ID_WRONG', `interactionId must be ${REQUEST_INTERACTION} under root ${OID.interaction}`, interaction ?? message);
  }
  const messageId = instanceIdentifier(childNamed(message, ...hl7('id')));
  if (!messageId) refuse('error', 'MESSAGE_ID_MISSING', 'the message has no id with a root', childNamed(message, ...hl7('id')) ?? message);

  const creation = childNamed(message, ...hl7('creationTime'));
  const creationTime = creation?.attributes.value?.trim() ?? '';
  if (!creation || !creationTime) refuse('error', 'CREATION_TIME_MISSING', 'the message has no creationTime value', creation ?? message);
  else if (!hl7Date(creationTime)) refuse('error', 'CREATION_TIME_INVALID', 'creationTime is not an HL7 timestamp (YYYYMMDDhhmmss[.ffff][+ZZzz])', creation);

  const processing = childNamed(message, ...hl7('processingCode'));
  const processingCode = code(processing);
  if (!processingCode || !PROCESSING_CODES.has(processingCode)) refuse('error', 'PROCESSING_CODE_INVALID', 'processingCode must be P, D or T', processing ?? message);

  const senderDevice = pathOf(message, hl7('sender'), hl7('device'));
  const senderDeviceId = instanceIdentifier(senderDevice && childNamed(senderDevice, ...hl7('id')));
  if (!senderDeviceId) refuse('error', 'SENDER_DEVICE_ID_MISSING', 'sender/device has no id with a root', senderDevice ?? message);
  const organizationId = senderDevice && pathOf(senderDevice, hl7('asAgent'), hl7('representedOrganization'), hl7('id'));
  const homeCommunityId = bareOid(organizationId?.attributes.root ?? '');
  if (!homeCommunityId) {
    refuse('error', 'HOME_COMMUNITY_ID_MISSING', 'sender/device/asAgent/representedOrganization/id/@root must carry the home community id', organizationId ?? senderDevice ?? message);
  } else if (!isOid(homeCommunityId)) {
    refuse('error', 'HOME_COMMUNITY_ID_INVALID', 'the home community id must be an OID', organizationId!);
  }

  const controlAct = childNamed(message, ...hl7('controlActProcess'));
  const queryByParameter = controlAct && childNamed(controlAct, ...hl7('queryByParameter'));
  if (!queryByParameter) {
    refuse('fatal', 'QUERY_MISSING', 'controlActProcess/queryByParameter is missing', controlAct ?? message);
    return { ok: false, issues };
  }
  const queryId = instanceIdentifier(childNamed(queryByParameter, ...hl7('queryId')));
  if (!queryId) refuse('error', 'QUERY_ID_MISSING', 'queryByParameter has no queryId with a root', queryByParameter);
  const parameterList = childNamed(queryByParameter, ...hl7('parameterList'));
  if (!parameterList) {
    refuse('error', 'PARAMETER_LIST_MISSING', 'queryByParameter has no parameterList', queryByParameter);
    return { ok: false, issues };
  }
  const parameters = readParameters(parameterList, issues);
  const usableId = parameters.identifiers.length > 0;
  if (!usableId && (parameters.names.length === 0 || !parameters.birthDate)) {
    refuse('error', 'PARAMETERS_INSUFFICIENT', 'without a usable livingSubjectId the query needs both a livingSubjectName and a livingSubjectBirthTime', parameterList);
  }
  if (hasErrors(issues) || !messageId || !senderDeviceId || !queryId) return { ok: false, issues };

  const optionalCode = (name: string, from: XmlElement) => code(childNamed(from, ...hl7(name)));
  const receiverDevice = pathOf(message, hl7('receiver'), hl7('device'));
  return {
    ok: true,
    query: {
      messageId,
      creationTime,
      processingCode: processingCode as PatientDiscoveryQuery['processingCode'],
      processingModeCode: optionalCode('processingModeCode', message),
      acceptAckCode: optionalCode('acceptAckCode', message),
      receiverDeviceId: instanceIdentifier(receiverDevice && childNamed(receiverDevice, ...hl7('id'))),
      senderDeviceId,
      initiatorHomeCommunityId: homeCommunityId,
      queryId,
      statusCode: optionalCode('statusCode', queryByParameter),
      responseModalityCode: optionalCode('responseModalityCode', queryByParameter),
      responsePriorityCode: optionalCode('responsePriorityCode', queryByParameter),
      parameters,
      queryByParameter,
      warnings: issues,
    },
  };
}

/** Each parameter's `value` children, in document order, across repeated parameter elements. */
function valuesOf(parameterList: XmlElement, name: string): XmlElement[] {
  return childrenNamed(parameterList, ...hl7(name)).flatMap((p) => childrenNamed(p, ...hl7('value')));
}

/** The one value of a parameter XCPD allows once; a repeat is reported and only the first is used. */
function singleValue(parameterList: XmlElement, name: string, issues: Issue[]): XmlElement | undefined {
  const values = valuesOf(parameterList, name);
  if (values.length > 1) issues.push(issue('warning', 'PARAMETER_REPEATED', `${name} is allowed once; only the first value is used`, values[1]!));
  return values[0];
}

function readParameters(parameterList: XmlElement, issues: Issue[]): DiscoveryParameters {
  const gender = readGender(singleValue(parameterList, 'livingSubjectAdministrativeGender', issues), issues);
  const birthDate = readBirthTime(singleValue(parameterList, 'livingSubjectBirthTime', issues), issues);
  const maiden = singleValue(parameterList, 'mothersMaidenName', issues);
  const mothersMaidenName = maiden && nameOf(maiden, issues, 'maiden')?.name;
  const present = <T>(list: (T | undefined)[]) => list.filter((v): v is T => v !== undefined);
  return {
    ...(gender ? { gender } : {}),
    ...(birthDate ? { birthDate } : {}),
    identifiers: present(valuesOf(parameterList, 'livingSubjectId').map((v) => identifierOf(v, issues))),
    names: present(valuesOf(parameterList, 'livingSubjectName').map((v) => nameOf(v, issues))),
    ...(mothersMaidenName ? { mothersMaidenName } : {}),
    addresses: present(valuesOf(parameterList, 'patientAddress').map((v) => addressOf(v, issues))),
    telecom: present(valuesOf(parameterList, 'patientTelecom').map((v) => telecomOf(v, issues))),
    principalCareProviderIds: present(valuesOf(parameterList, 'principalCareProviderId').map((v) => identifierOf(v, issues))),
  };
}

function readGender(value: XmlElement | undefined, issues: Issue[]): Gender | undefined {
  if (!value || value.attributes.nullFlavor !== undefined) return undefined;
  const system = value.attributes.codeSystem;
  const gender = GENDERS[code(value) ?? ''];
  if (!gender || (system !== undefined && bareOid(system) !== OID.administrativeGender)) {
    issues.push(issue('error', 'GENDER_INVALID', `livingSubjectAdministrativeGender must be F, M or UN of AdministrativeGender (${OID.administrativeGender})`, value));
    return undefined;
  }
  return gender;
}

/** An IVL_TS: the point in `@value`; a range (low/high) is not a birth date and is left to the other parameters. */
function readBirthTime(value: XmlElement | undefined, issues: Issue[]): PartialDate | undefined {
  if (!value || value.attributes.nullFlavor !== undefined) return undefined;
  const point = value.attributes.value;
  if (point === undefined) {
    const range = childNamed(value, ...hl7('low')) ?? childNamed(value, ...hl7('high'));
    if (range) issues.push(issue('warning', 'BIRTH_TIME_RANGE', 'a birth-time range is not used for matching', value));
    return undefined;
  }
  const date = hl7Date(point);
  if (!date) issues.push(issue('error', 'BIRTH_TIME_INVALID', 'livingSubjectBirthTime is not an HL7 timestamp (YYYY[MM[DD]]…)', value));
  return date;
}

/**
 * What identity's demographic matching takes (identity/match.ts `Demographics`, repeated here because mappers may
 * not import identity): the subject's identifiers, names, birth date, gender and the first postal code.
 */
export interface MatchDemographics {
  readonly identifiers: readonly Pick<Identifier, 'system' | 'value'>[];
  readonly names: readonly Pick<HumanName, 'family' | 'familyPrefix' | 'partnerFamily' | 'partnerPrefix' | 'given' | 'initials'>[];
  readonly birthDate?: string;
  readonly gender?: Gender;
  readonly postalCode?: string;
}

export function demographicsOf(query: Pick<PatientDiscoveryQuery, 'parameters'>): MatchDemographics {
  const { identifiers, names, birthDate, gender, addresses } = query.parameters;
  const postalCode = addresses.find((a) => a.postalCode)?.postalCode;
  return {
    identifiers,
    names: names.map((n) => n.name),
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    ...(postalCode ? { postalCode } : {}),
  };
}
