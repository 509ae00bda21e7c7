import type { CareProgramEnrolment, Condition, Gender, HumanName, Identifier, Issue, Observation } from '../../canonical/index.js';

/**
 * What a ketenzorg parser hands the edge: records ready for the store except for the patient id, which
 * identity resolution assigns later (so records carry no patientId), and everything an acknowledgement needs.
 * Every adapter (HL7v3 today, OZIS EDIFACT later) returns this shape.
 */
export type KetenzorgFormat = 'ketenzorg-hl7v3' | 'ozis-edifact';

/** canonical HumanName requires the own family name; an HL7v3 name may carry only the partner's (NL2 usage). */
export type NameParts = Omit<HumanName, 'family'> & { family?: string };

export interface PatientDescription {
  /** The BSN (9 digits, 11-proef passed) when sent; absent means identity resolution must match on demographics. */
  readonly bsn?: string;
  /** The BSN first (system BSN URI), then any other ids the sender gave. */
  readonly identifiers: Identifier[];
  readonly names: NameParts[];
  readonly gender: Gender;
  readonly birthDate?: string;
}

/** Who sent or authored: ids only, systems in canonical spelling (URA, AGB, UZI, AORTA application id, …). */
export interface Party {
  /** Sending application (AORTA device id). */
  readonly devices: Identifier[];
  /** UZI server certificate of the sending system. */
  readonly systems: Identifier[];
  /** The practice: URA and/or AGB. */
  readonly organizations: Identifier[];
  /** The responsible GP: UZI person, AGB, BIG (as sent; a system we have no URI for keeps its urn:oid: form). */
  readonly practitioners: Identifier[];
}

export type ObservationRecord = Omit<Observation, 'patientId'>;
export type ConditionRecord = Omit<Condition, 'patientId'>;
export type EnrolmentRecord = Omit<CareProgramEnrolment, 'patientId'>;

export interface KetenzorgItem {
  /** The message this item came from (in a batch, the inner message's id) as `root^extension`. */
  readonly messageId: string;
  /** When that message was made (its own creationTime; in a batch, the inner message's). */
  readonly creationTime?: string;
  readonly interaction: string;
  readonly author: Party;
  /** Absent when the item was refused before the patient was read. */
  readonly patient?: PatientDescription;
  readonly conditions: ConditionRecord[];
  readonly enrolments: EnrolmentRecord[];
  readonly observations: ObservationRecord[];
  readonly issues: Issue[];
  /** A fatal issue refused this item: it carries no records. */
  readonly rejected: boolean;
}

export interface Acknowledgement {
  readonly messageId?: { readonly root: string; readonly extension?: string };
  readonly interactionId?: string;
  readonly creationTime?: string;
  /** The ids a response goes back to (sender device), and the device the message was addressed to. */
  readonly senderDevices: Identifier[];
  readonly receiverDevices: Identifier[];
  /** Inner messages of a batch, for per-message acknowledgement detail. */
  readonly messageIds: string[];
}

export interface KetenzorgResult {
  readonly format?: KetenzorgFormat;
  /** The transmission's id, `root^extension` (the batch id for MCCI_IN200101); absent when unreadable. */
  readonly messageId?: string;
  readonly interaction?: string;
  readonly sender: Party;
  readonly acknowledgement: Acknowledgement;
  readonly items: KetenzorgItem[];
  /** Problems of the transmission itself (syntax, wrapper, batch); each item has its own. */
  readonly issues: Issue[];
  /** True when any fatal issue was found, here or in an item: the edge must file nothing from this message. */
  readonly rejected: boolean;
}

export function noParty(): Party {
  return { devices: [], systems: [], organizations: [], practitioners: [] };
}

export function refused(issues: Issue[], format?: KetenzorgFormat): KetenzorgResult {
  return {
    ...(format ? { format } : {}),
    sender: noParty(),
    acknowledgement: { senderDevices: [], receiverDevices: [], messageIds: [] },
    items: [],
    issues,
    rejected: true,
  };
}
