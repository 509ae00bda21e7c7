import { InboundSubject, type InboundMessage, type InboundPart, type Issue, type Organization, type Practitioner } from '../../canonical/index.js';
import { parseMedlab, type MedlabInterchange, type MedlabMessage } from '../../mappers/medlab/to-canonical.js';
import { ackCode, problemOf, type AckCode, type Problem } from './acknowledgement.js';
import type { InboundAdapter, ParsedMessage, ParsedPart } from './parsed.js';

/**
 * MEDLAB from a lab (or forwarded by ZorgMail): each UNH message is a part (one patient, reports per order), so
 * a message that cannot be filed (an invalid BSN, a MEDVRI letter we do not read) is quarantined on its own while
 * the others in the interchange are filed.
 */
export interface LabAckInfo {
  readonly interchangeRef?: string;
  readonly sender?: string;
  readonly recipient?: string;
  readonly messages: readonly { readonly key: string; readonly reference: string; readonly position: number; readonly type: string }[];
}

const keyOf = (position: number) => String(position).padStart(6, '0');

export const labAdapter: InboundAdapter<LabAckInfo> = {
  channel: 'lab',
  formatOf: () => 'medlab-edifact',
  parse(raw, context) {
    const interchange = parseMedlab(raw, { inboundMessageId: context.inboundId });
    return {
      parsed: toParsed(interchange),
      ack: {
        ...(interchange.interchangeRef ? { interchangeRef: interchange.interchangeRef } : {}),
        ...(interchange.sender ? { sender: interchange.sender } : {}),
        ...(interchange.recipient ? { recipient: interchange.recipient } : {}),
        messages: interchange.messages.map((m) => ({ key: keyOf(m.position), reference: m.messageRef, position: m.position, type: m.messageType })),
      },
    };
  },
};

function toParsed(interchange: MedlabInterchange): ParsedMessage {
  const messageId = interchange.sender && interchange.interchangeRef ? `${interchange.sender}/${interchange.interchangeRef}` : undefined;
  const base = {
    channel: 'lab' as const, format: 'medlab-edifact' as const, ...(messageId ? { messageId } : {}),
    ...(interchange.preparedAt ? { sentAt: interchange.preparedAt } : {}), issues: [...interchange.issues],
  };
  if (interchange.rejected) return { ...base, refused: true, parts: [], organizations: [], practitioners: [] };
  const organizations: Organization[] = [];
  const practitioners: Practitioner[] = [];
  for (const m of interchange.messages) {
    if (m.lab) organizations.push(m.lab);
    if (m.requester) practitioners.push(m.requester);
  }
  return { ...base, refused: false, parts: interchange.messages.map(partOf), organizations, practitioners };
}

function partOf(m: MedlabMessage): ParsedPart {
  const patient = m.patient;
  return {
    key: keyOf(m.position),
    refs: [m.messageRef],
    ...(patient
      ? {
          subject: InboundSubject.parse({ identifiers: patient.identifiers, names: patient.names, gender: patient.gender, ...(patient.birthDate ? { birthDate: patient.birthDate } : {}) }),
          contact: { addresses: patient.addresses, telecom: patient.telecom },
        }
      : {}),
    quarantined: m.quarantine,
    issues: [...m.issues],
    // The records as the mapper's schema check returned them: filing puts the patient in place of the mapper's
    // placeholder, and the store then writes them without parsing them a second time.
    records: { observations: m.observations, reports: m.reports, conditions: [], enrolments: [] },
  };
}

/**
 * MEDLAB has no acknowledgement message of its own (nl-ketenzorg-medlab.md §8 lists none; ZorgMail, §11, only
 * carries messages), so the lab acknowledgement is a JSON document of ours: the verdict as in HL7 (AA/AE/AR), the
 * interchange, each message with what became of it and its problems, and the interchange's own problems, each
 * named by segment, line, column and element (`BEP.5`). Documented in the README.
 */
export interface LabAcknowledgement {
  readonly acknowledgement: AckCode;
  readonly status: InboundMessage['status'];
  readonly duplicate: boolean;
  readonly inboundMessageId: string;
  readonly interchange: { readonly reference?: string; readonly sender?: string; readonly recipient?: string; readonly messageId: string };
  readonly messages: readonly {
    readonly reference: string;
    readonly position: number;
    readonly type: string;
    readonly outcome: 'filed' | 'waiting-for-match' | 'quarantined';
    readonly records: number;
    readonly problems: readonly Problem[];
  }[];
  readonly problems: readonly Problem[];
}

/** The answer to a delivery refused before anything was stored: nothing of it has an id, so only the reason. */
export interface LabRefusal {
  readonly acknowledgement: 'AR';
  readonly status: 'refused';
  readonly problems: readonly Problem[];
}

export function renderLabRefusal(refused: { readonly code: string; readonly message: string }): LabRefusal {
  return { acknowledgement: 'AR', status: 'refused', problems: [{ severity: 'fatal', code: refused.code, message: refused.message }] };
}

const OUTCOME = { filed: 'filed', waiting: 'waiting-for-match', quarantined: 'quarantined' } as const;

export function renderLabAck(input: { message: InboundMessage; parts: readonly InboundPart[]; ack: LabAckInfo; duplicate: boolean }): LabAcknowledgement {
  const byKey = new Map(input.parts.map((p) => [p.key, p]));
  const problems = (issues: readonly Issue[]) => issues.map(problemOf);
  return {
    acknowledgement: ackCode(input.message, input.parts),
    status: input.message.status,
    duplicate: input.duplicate,
    inboundMessageId: input.message.id,
    interchange: {
      ...(input.ack.interchangeRef ? { reference: input.ack.interchangeRef } : {}),
      ...(input.ack.sender ? { sender: input.ack.sender } : {}),
      ...(input.ack.recipient ? { recipient: input.ack.recipient } : {}),
      messageId: input.message.messageId,
    },
    // A message without a part row was not reached: the interchange as a whole is quarantined (its problems say why).
    messages: input.ack.messages.map((m) => {
      const part = byKey.get(m.key);
      return { reference: m.reference, position: m.position, type: m.type, outcome: part ? OUTCOME[part.status] : 'quarantined', records: part?.records ?? 0, problems: problems(part?.issues ?? []) };
    }),
    problems: problems(input.message.issues),
  };
}
