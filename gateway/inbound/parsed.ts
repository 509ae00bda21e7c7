import type {
  Address, CareProgramEnrolmentInput, ConditionInput, DiagnosticReportInput, InboundFormat, InboundSubject, Issue, ObservationInput,
  Organization, Practitioner, Telecom,
} from '../../canonical/index.js';

/**
 * A message as the filing code sees it, whatever its wire format: parts (one person's records each), the parties
 * those records name, and the issues. Each format's adapter (ketenzorg.ts, lab.ts) builds it from its mapper's
 * output; the records carry no patient of their own yet (at most a mapper's placeholder): filing assigns one per
 * part, or none (the part waits or is quarantined).
 */
export type Channel = 'ketenzorg' | 'lab';

type WithoutPatient<T> = Omit<T, 'patientId'>;

export interface PartRecords {
  readonly observations: readonly WithoutPatient<ObservationInput>[];
  readonly conditions: readonly WithoutPatient<ConditionInput>[];
  readonly enrolments: readonly WithoutPatient<CareProgramEnrolmentInput>[];
  readonly reports: readonly WithoutPatient<DiagnosticReportInput>[];
}

export interface ParsedPart {
  /** Which items or messages make the part; the same bytes give the same keys. */
  readonly key: string;
  readonly refs: readonly string[];
  /** Who the records are about; absent when the message does not say (the part is then quarantined). */
  readonly subject?: InboundSubject;
  /** What a new patient record would also hold beside the subject (the address the lab sent). */
  readonly contact?: { readonly addresses: readonly Address[]; readonly telecom: readonly Telecom[] };
  /** Something about who the patient is, or a message we cannot read: nothing of the part may be filed. */
  readonly quarantined: boolean;
  readonly issues: readonly Issue[];
  readonly records: PartRecords;
}

export interface ParsedMessage {
  readonly channel: Channel;
  readonly format: InboundFormat;
  /** The id the parser read (compare: the id read cheaply before parsing, under which the raw message is stored). */
  readonly messageId?: string;
  /**
   * When the sender made the message, by its own clock (a ketenzorg transmission's creationTime, a lab interchange's
   * UNB date and time): a record sent again with other content replaces the filed one only when made later.
   */
  readonly sentAt?: string;
  /** Nothing of the message may be filed (a broken transfer, an invalid BSN in a ketenzorg message, …). */
  readonly refused: boolean;
  /** Issues of the message as a whole; each part has its own. */
  readonly issues: readonly Issue[];
  readonly parts: readonly ParsedPart[];
  /** Parties the records name by id: found by identifier and reused at filing, else stored. */
  readonly organizations: readonly Organization[];
  readonly practitioners: readonly Practitioner[];
}

export function countRecords(records: PartRecords): number {
  return records.observations.length + records.conditions.length + records.enrolments.length + records.reports.length;
}

/** What the adapter needs beside the bytes: the stored message (for provenance) and the sending organization. */
export interface ParseContext {
  readonly inboundId: string;
  readonly organizationId?: string;
}

/**
 * One wire format at the edge: how its raw bytes are stored (their format, judged from the first bytes) and
 * how they become a ParsedMessage, with what the format's acknowledgement needs (`A`) beside it.
 */
export interface InboundAdapter<A> {
  readonly channel: Channel;
  formatOf(raw: Uint8Array): InboundFormat;
  parse(raw: Uint8Array, context: ParseContext): { readonly parsed: ParsedMessage; readonly ack: A };
}
