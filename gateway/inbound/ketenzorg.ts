import { randomUUID } from 'node:crypto';
import { create } from 'xmlbuilder2';
import {
  InboundSubject, oidOf, PART_KEY_MAX, type HumanName, type Identifier, type InboundMessage, type InboundPart, type Issue, type Practitioner,
} from '../../canonical/index.js';
import { parseKetenzorg } from '../../mappers/ketenzorg/parser.js';
import type { Acknowledgement, KetenzorgItem, KetenzorgResult, NameParts, PatientDescription } from '../../mappers/ketenzorg/result.js';
import { ackCode, type AckCode } from './acknowledgement.js';
import type { InboundAdapter, ParseContext, ParsedMessage, ParsedPart } from './parsed.js';

/**
 * Ketenzorg from a GP system: HL7v3 Ketenzorg (or an OZIS EDIFACT interchange, which the parser's adapter slot
 * refuses until the layout is known) → parts, one per patient the message is about (a batch often carries a
 * concern message and findings about the same person), and the HL7v3 accept acknowledgement MCCI_IN000002.
 */
export const ketenzorgAdapter: InboundAdapter<Acknowledgement> = {
  channel: 'ketenzorg',
  formatOf(raw) {
    const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 64)).toString('latin1').replace(/^\u00EF\u00BB\u00BF/, '').trimStart();
    return /^UN[AB]/.test(head) ? 'ozis-edifact' : 'ketenzorg-hl7v3';
  },
  parse(raw, context) {
    const result = parseKetenzorg(raw);
    return { parsed: toParsed(result, context), ack: result.acknowledgement };
  },
};

/**
 * A part's key: the positions of its items, or, for more than fit in a key (a batch of many messages about one
 * patient), its first position and how many follow. Each item is in one part, so the first position alone names
 * the part; the same bytes give the same key.
 */
function partKey(positions: readonly number[]): string {
  const padded = positions.map((p) => String(p).padStart(6, '0'));
  const listed = padded.join(',');
  return listed.length <= PART_KEY_MAX ? listed : `${padded[0]}+${positions.length - 1}`;
}

/** nl-ketenzorg-medlab.md §1.1 names the reason an OZIS EDIFACT message is quarantined with. */
const OZIS_REASON = 'OZIS EDIFACT layout not implemented';

function toParsed(result: KetenzorgResult, context: ParseContext): ParsedMessage {
  const format = result.format ?? 'ketenzorg-hl7v3';
  const issues = result.issues.map((i) => (i.code === 'OZIS_EDIFACT_UNSUPPORTED' ? { ...i, message: OZIS_REASON } : i));
  const sentAt = result.acknowledgement.creationTime;
  const base = {
    channel: 'ketenzorg' as const, format, ...(result.messageId ? { messageId: result.messageId } : {}), ...(sentAt ? { sentAt } : {}), organizations: [],
  };
  if (result.rejected) {
    return { ...base, refused: true, issues: [...issues, ...result.items.flatMap((i) => i.issues)], parts: [], practitioners: [] };
  }
  const practitioners = new Map<string, Practitioner>();
  const practitionerOf = (ids: readonly Identifier[]): string | undefined => {
    if (ids.length === 0) return undefined;
    const key = ids.map((i) => `${i.system}|${i.value}`).join(' ');
    if (!practitioners.has(key)) practitioners.set(key, { id: randomUUID(), identifiers: [...ids], names: [], roles: [], telecom: [] });
    return practitioners.get(key)!.id;
  };
  // Items about the same person, as the message describes them, make one part.
  const groups = new Map<string, { subject: InboundSubject; positions: number[]; items: KetenzorgItem[] }>();
  result.items.forEach((item, position) => {
    const subject = subjectOf(item.patient!);
    const key = JSON.stringify(subject);
    const group = groups.get(key) ?? { subject, positions: [], items: [] };
    group.positions.push(position);
    group.items.push(item);
    groups.set(key, group);
  });
  const parts: ParsedPart[] = [...groups.values()].map(({ subject, positions, items }) => ({
    key: partKey(positions),
    refs: [...new Set(items.map((i) => i.messageId))],
    subject,
    quarantined: false,
    issues: items.flatMap((i) => i.issues),
    records: {
      observations: items.flatMap((i) => i.observations.map((o) => sentWith(o, i))),
      conditions: items.flatMap((i) => i.conditions.map((c) => sentWith(c, i))),
      enrolments: items.flatMap((i) => {
        const practitionerId = practitionerOf(i.author.practitioners);
        return i.enrolments.map((e) => sentWith({
          ...e, ...(context.organizationId ? { organizationId: context.organizationId } : {}), ...(practitionerId ? { practitionerId } : {}),
        }, i));
      }),
      reports: [],
    },
  }));
  return { ...base, refused: false, issues, parts, practitioners: [...practitioners.values()] };
}

/**
 * A record with when its own message was made: in a batch, the inner message's creationTime (a batch may carry old
 * messages again); without one, filing gives it the transmission's. What orders a correction after what it corrects.
 */
function sentWith<R extends { readonly provenance: object }>(record: R, item: KetenzorgItem): R {
  return item.creationTime ? { ...record, provenance: { ...record.provenance, sentAt: item.creationTime } } : record;
}

function subjectOf(patient: PatientDescription): InboundSubject {
  return InboundSubject.parse({
    identifiers: patient.identifiers,
    names: patient.names.flatMap((n) => canonicalName(n) ?? []),
    gender: patient.gender,
    ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
  });
}

/**
 * The canonical name needs the own family name. An HL7v3 name may carry only the partner's (NL2: the person goes
 * by it, their own is not sent); that name then stands as the family name, the one the person is known by.
 * A name with no family part at all cannot name a new patient and is left out.
 */
function canonicalName(name: NameParts): HumanName | undefined {
  if (name.family) return { ...name, family: name.family };
  if (!name.partnerFamily) return undefined;
  const { partnerFamily, partnerPrefix, assembly: _assembly, ...rest } = name;
  return { ...rest, family: partnerFamily, ...(partnerPrefix ? { familyPrefix: partnerPrefix } : {}) };
}

const HL7 = 'urn:hl7-org:v3';
const DETAIL_TYPE: Readonly<Record<Issue['severity'], 'E' | 'W' | 'I'>> = { fatal: 'E', error: 'E', warning: 'W', information: 'I' };

export interface KetenzorgAckInput {
  readonly message: InboundMessage;
  readonly parts: readonly InboundPart[];
  readonly ack: Acknowledgement;
  /** Our own root for the acknowledgement's id (the gateway's home community OID). */
  readonly idRoot: string;
  readonly now: Date;
}

/**
 * MCCI_IN000002 in the shape Nictiz's AORTA examples write it: the transmission wrapper, `acknowledgement` with
 * AA/AE/AR, one `acknowledgementDetail` per problem (E, W or I; the text starts with our code, `location` gives
 * the element path), the message acknowledged in `targetMessage`, and sender and receiver swapped.
 */
export function renderKetenzorgAck(input: KetenzorgAckInput): { code: AckCode; xml: string } {
  const code = ackCode(input.message, input.parts);
  const details = [
    ...input.message.issues.map((issue) => ({ issue })),
    ...input.parts.flatMap((p) => p.issues.map((issue) => ({ issue, refs: p.refs }))),
  ];
  const id = input.ack.messageId ?? storedId(input.message.messageId);
  return { code, xml: mcci(code, details, id, input.ack, input.idRoot, input.now) };
}

/**
 * The answer to a delivery refused before anything was stored (no message in the body, a body over the size limit,
 * one labelled as JSON or a form): MCCI_IN000002 with AR and the reason, since a GP system reads its answers as
 * acknowledgements whatever the HTTP status. Nothing was read of the message, so its id and devices are unknown.
 */
export function renderKetenzorgRefusal(input: { readonly code: string; readonly message: string; readonly idRoot: string; readonly now: Date }): string {
  const issue: Issue = { severity: 'fatal', code: input.code, message: input.message };
  return mcci('AR', [{ issue }], undefined, { senderDevices: [], receiverDevices: [] }, input.idRoot, input.now);
}

function mcci(
  code: AckCode, details: readonly { issue: Issue; refs?: readonly string[] }[], target: { root: string; extension?: string } | undefined,
  devices: Pick<Acknowledgement, 'senderDevices' | 'receiverDevices'>, idRoot: string, now: Date,
): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(HL7, 'MCCI_IN000002');
  doc.ele(HL7, 'id').att('root', idRoot).att('extension', randomUUID());
  doc.ele(HL7, 'creationTime').att('value', hl7Now(now));
  doc.ele(HL7, 'versionCode').att('code', 'NICTIZEd2005-Okt');
  doc.ele(HL7, 'interactionId').att('root', '2.16.840.1.113883.1.6').att('extension', 'MCCI_IN000002');
  doc.ele(HL7, 'profileId').att('root', '2.16.840.1.113883.2.4.3.11.1').att('extension', '810');
  doc.ele(HL7, 'processingCode').att('code', 'P');
  doc.ele(HL7, 'processingModeCode').att('code', 'T');
  doc.ele(HL7, 'acceptAckCode').att('code', 'NE');
  const acknowledgement = doc.ele(HL7, 'acknowledgement').att('typeCode', code);
  for (const { issue, refs } of details) {
    const detail = acknowledgement.ele(HL7, 'acknowledgementDetail').att('typeCode', DETAIL_TYPE[issue.severity]);
    const line = issue.where?.line ? ` (line ${issue.where.line}${issue.where.column ? `, column ${issue.where.column}` : ''})` : '';
    const about = refs && refs.length > 0 ? ` [${refs.join(', ')}]` : '';
    detail.ele(HL7, 'text').txt(`${issue.code}: ${issue.message}${line}${about}`);
    if (issue.where?.path) detail.ele(HL7, 'location').txt(issue.where.path);
  }
  const id = acknowledgement.ele(HL7, 'targetMessage').ele(HL7, 'id');
  if (target) {
    id.att('root', target.root);
    if (target.extension) id.att('extension', target.extension);
  } else id.att('nullFlavor', 'UNK');
  device(doc.ele(HL7, 'receiver').att('typeCode', 'RCV'), devices.senderDevices);
  device(doc.ele(HL7, 'sender').att('typeCode', 'SND'), devices.receiverDevices);
  return doc.end({ prettyPrint: true });
}

function device(parent: ReturnType<ReturnType<typeof create>['ele']>, ids: readonly Identifier[]): void {
  const d = parent.ele(HL7, 'device').att('classCode', 'DEV').att('determinerCode', 'INSTANCE');
  if (ids.length === 0) d.ele(HL7, 'id').att('nullFlavor', 'UNK');
  for (const i of ids) d.ele(HL7, 'id').att('root', oidOf(i.system) ?? i.system).att('extension', i.value);
}

/** The id the message was stored under, when it was read from the message (not a digest standing in for one). */
function storedId(messageId: string): { root: string; extension?: string } | undefined {
  if (/^(id-)?sha256:/.test(messageId)) return undefined;
  const [root, extension] = messageId.split('^');
  return extension ? { root: root!, extension } : { root: root! };
}

function hl7Now(now: Date): string {
  return `${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
}
