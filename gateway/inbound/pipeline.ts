import type { AuditAppender } from '../../audit/index.js';
import type { AuditRecordInput, Connection, ConnectionKind, InboundFormat, InboundMessage, InboundPart, Issue } from '../../canonical/index.js';
import { findById } from '../../identity/index.js';
import { StoreError, type RootStore } from '../../store/index.js';
import type { Logger } from '../logger.js';
import { FILING_FAILED } from './acknowledgement.js';
import { fileMessage, NO_RECORDS, type Decision, type Filed, type FilingRun, type RecordCounts } from './filing.js';
import { ketenzorgAdapter } from './ketenzorg.js';
import { labAdapter } from './lab.js';
import { messageIdOf } from './message-id.js';
import type { ParsePool } from './parse-pool.js';
import type { Channel, InboundAdapter, ParseContext, ParsedMessage } from './parsed.js';

/**
 * The one inbound pipeline, for every format and every way in (HTTP, `crossgate ingest`, replay, a staff
 * decision): the raw bytes are stored first, under the sender's message id read cheaply from them; a message id
 * already stored is answered from what became of it and never filed twice; otherwise the message is parsed and
 * filed in one transaction with its status. A filing that fails leaves nothing behind and quarantines the message
 * with the reason, for a replay once fixed. Every exchange goes on the audit trail: who, which message, which
 * patients, what became of it; never the payload.
 */
export type InboundActor =
  | { readonly type: 'partner'; readonly connectionId: string; readonly organizationId: string }
  | { readonly type: 'user'; readonly userId: string; readonly roles: readonly string[] }
  | { readonly type: 'system'; readonly name: string };

export interface ExchangeMeta {
  readonly requestId?: string;
  readonly sourceAddress?: string;
}

export interface InboundOutcome<A = unknown> {
  readonly message: InboundMessage;
  readonly parts: readonly InboundPart[];
  /** The message id was stored before: this delivery filed nothing. */
  readonly duplicate: boolean;
  /** A repeated message id carried other bytes than the first delivery (which is what was kept). */
  readonly contentDiffers: boolean;
  readonly parsed: ParsedMessage;
  readonly ack: A;
  /** The patients records were filed under by this exchange. */
  readonly patients: readonly string[];
  readonly counts: RecordCounts;
  /** The records replaced with corrected versions, as the versions they are now. */
  readonly corrected: readonly string[];
}

export interface Delivery {
  readonly connection: Pick<Connection, 'id' | 'organizationId' | 'kind'>;
  readonly raw: Uint8Array;
  readonly actor: InboundActor;
  readonly meta?: ExchangeMeta;
}

export interface InboundPipeline {
  receive<A>(adapter: InboundAdapter<A>, delivery: Delivery): Promise<InboundOutcome<A>>;
  /** Files a stored message again (quarantined, or never filed): the parts not filed yet. */
  replay(inboundId: string, actor: InboundActor, meta?: ExchangeMeta): Promise<InboundOutcome>;
  /** A person's answer for a part in the matching queue: file it under this patient, or under a new one. */
  decide(partId: string, decision: Decision, actor: InboundActor, meta?: ExchangeMeta): Promise<InboundOutcome>;
  /** Records a delivery refused before anything was stored (no message in the body, a body too large). */
  refused(channel: Channel, actor: InboundActor, meta: ExchangeMeta, reason: string): Promise<void>;
}

/** Which connection kind may send each channel. */
export const SENDER_KIND: Readonly<Record<Channel, ConnectionKind>> = { ketenzorg: 'his', lab: 'lab' };

const ADAPTERS: Readonly<Record<InboundFormat, InboundAdapter<unknown> | undefined>> = {
  'ketenzorg-hl7v3': ketenzorgAdapter, 'ozis-edifact': ketenzorgAdapter, 'medlab-edifact': labAdapter, 'fhir-bundle': undefined,
};

export interface PipelineDeps {
  readonly store: RootStore;
  readonly audit: AuditAppender;
  readonly logger: Logger;
  /** Parses large messages on worker threads; without one, every message is parsed on the calling thread. */
  readonly parser?: ParsePool;
}

export function createInboundPipeline(deps: PipelineDeps): InboundPipeline {
  const { store } = deps;
  const parse = <A>(adapter: InboundAdapter<A>, raw: Uint8Array, context: ParseContext) =>
    deps.parser ? deps.parser.parse(adapter, raw, context) : Promise.resolve(adapter.parse(raw, context));

  /**
   * Runs a filing in its own transaction. Two messages filed at once may both add the same new patient, lab or
   * doctor: the one that commits second fails on the identifier and is run again, when it finds what the first
   * stored. On any other failure nothing of it remains, and (unless told not to) the message is quarantined saying so.
   */
  async function file(run: FilingRun, quarantineOnFailure: boolean): Promise<Filed> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.transaction((tx) => fileMessage(tx, run));
      } catch (error) {
        if (attempt < RACE_ATTEMPTS && lostRace(error)) continue;
        if (error instanceof StoreError && (error.code === 'not-found' || error.code === 'invalid-state')) throw error;
        deps.logger.error({ inboundId: run.inboundId, err: error }, 'filing an inbound message failed');
        if (!quarantineOnFailure) throw error;
        const message = await store.inbound.markQuarantined(run.inboundId, [...run.parsed.issues, filingFailed(error)]);
        return { message, parts: await store.filing.parts(run.inboundId), ran: true, patients: [], counts: NO_RECORDS, corrected: [] };
      }
    }
  }

  async function stored(inboundId: string): Promise<{ message: InboundMessage; adapter: InboundAdapter<unknown>; raw: Uint8Array; organizationId?: string }> {
    const message = await store.inbound.get(inboundId);
    if (!message) throw new StoreError('not-found', 'inbound message not found', { id: inboundId });
    const adapter = ADAPTERS[message.format];
    if (!adapter) throw new StoreError('invalid-state', `no inbound pipeline reads ${message.format}`);
    const raw = (await store.inbound.getRaw(inboundId))!;
    const sender = await store.connections.get(message.sender).catch(() => undefined);
    return { message, adapter, raw, ...(sender ? { organizationId: sender.organizationId } : {}) };
  }

  async function audited<A>(action: string, outcome: InboundOutcome<A>, actor: InboundActor, meta: ExchangeMeta | undefined): Promise<InboundOutcome<A>> {
    await deps.audit.append(auditRecord(action, outcome, actor, meta ?? {}));
    return outcome;
  }

  return {
    async receive(adapter, delivery) {
      if (delivery.connection.kind !== SENDER_KIND[adapter.channel]) {
        throw new StoreError('invalid-state', `${adapter.channel} messages come from ${SENDER_KIND[adapter.channel]} connections, not ${delivery.connection.kind}`);
      }
      const receipt = await store.inbound.receive({
        sender: delivery.connection.id, messageId: messageIdOf(delivery.raw), format: adapter.formatOf(delivery.raw), raw: delivery.raw,
      });
      const inboundId = receipt.message.id;
      const repeat = receipt.duplicate && receipt.message.status !== 'received';
      // A repeat is answered from the bytes kept the first time, whatever this delivery carried.
      const raw = receipt.duplicate ? (await store.inbound.getRaw(inboundId))! : delivery.raw;
      const { parsed, ack } = await parse(adapter, raw, { inboundId, organizationId: delivery.connection.organizationId });
      const filed: Filed = repeat
        ? { message: receipt.message, parts: await store.filing.parts(inboundId), ran: false, patients: [], counts: NO_RECORDS, corrected: [] }
        : await file({ inboundId, parsed, from: ['received'], by: byOf(delivery.actor) }, true);
      const outcome: InboundOutcome<typeof ack> = {
        message: filed.message, parts: filed.parts, duplicate: receipt.duplicate && !filed.ran, contentDiffers: receipt.contentDiffers,
        parsed, ack, patients: filed.ran ? filed.patients : filedPatients(filed.parts), counts: filed.counts, corrected: filed.corrected,
      };
      return audited(outcome.duplicate ? 'receive-duplicate' : 'receive', outcome, delivery.actor, delivery.meta);
    },

    async replay(inboundId, actor, meta) {
      const { message, adapter, raw, organizationId } = await stored(inboundId);
      if (message.status === 'processed') throw new StoreError('invalid-state', 'the message is filed already: there is nothing to replay');
      const { parsed, ack } = await parse(adapter, raw, { inboundId, ...(organizationId ? { organizationId } : {}) });
      const filed = await file({ inboundId, parsed, from: ['received', 'quarantined'], by: byOf(actor) }, true);
      if (!filed.ran) throw new StoreError('invalid-state', 'the message was filed meanwhile');
      return audited('replay', { ...filed, duplicate: false, contentDiffers: false, parsed, ack }, actor, meta);
    },

    async decide(partId, decision, actor, meta) {
      const part = await store.filing.part(partId);
      if (!part) throw new StoreError('not-found', 'no such part in the matching queue', { id: partId });
      if (part.status !== 'waiting') throw new StoreError('invalid-state', `the part is ${part.status}, not waiting for a decision`);
      let target = decision;
      if ('patientId' in decision) {
        // A patient merged since is filed under the record it was merged into.
        const found = await findById(store, decision.patientId);
        if (!found) throw new StoreError('not-found', 'patient not found', { patientId: decision.patientId });
        target = { patientId: found.patient.id };
      }
      const { adapter, raw, organizationId } = await stored(part.inboundId);
      const { parsed, ack } = await parse(adapter, raw, { inboundId: part.inboundId, ...(organizationId ? { organizationId } : {}) });
      const again = parsed.parts.find((p) => p.key === part.key);
      if (!again) throw new StoreError('invalid-state', 'the message no longer yields this part: replay the message instead');
      if (!('patientId' in target) && (again.subject?.names.length ?? 0) === 0) {
        throw new StoreError('invalid-state', 'the message gives no family name for a new patient: link the part to an existing patient');
      }
      const filed = await file({
        inboundId: part.inboundId, parsed, from: ['processed', 'quarantined'], only: new Set([part.key]), decisions: new Map([[part.key, target]]), by: byOf(actor),
      }, false);
      if (!filed.ran) throw new StoreError('invalid-state', 'the message is being filed: try again');
      return audited('patientId' in target ? 'match-link' : 'match-create', { ...filed, duplicate: false, contentDiffers: false, parsed, ack }, actor, meta);
    },

    async refused(channel, actor, meta, reason) {
      await deps.audit.append({
        transaction: TRANSACTION[channel], action: 'refused', outcome: 'failure', actor: actorRecord(actor), surface: 'inbound',
        detail: { reason: reason.slice(0, 1000) },
        ...(meta.requestId ? { requestId: meta.requestId } : {}), ...(meta.sourceAddress ? { sourceAddress: meta.sourceAddress } : {}),
      });
    },
  };
}

const RACE_ATTEMPTS = 4;
/** Unique violation, serialization failure, deadlock: what a concurrent filing of the same new party causes. */
const RACE_STATES: ReadonlySet<string> = new Set(['23505', '40001', '40P01']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function lostRace(error: unknown): boolean {
  // A correction of a version another filing replaced meanwhile is judged again against the newer one.
  return (error instanceof StoreError && (error.code === 'identifier-taken' || error.code === 'version-conflict')) || RACE_STATES.has(sqlState(error) ?? '');
}

/** What the sender and the admin are told; our own store errors name the record, a driver's error only its code. */
function filingFailed(error: unknown): Issue {
  const state = sqlState(error);
  const cause = error instanceof StoreError ? `: ${error.message}` : state ? ` in the database (SQLSTATE ${state})` : '';
  return { severity: 'fatal', code: FILING_FAILED, message: `filing failed${cause}: nothing of the message was filed; it is kept for a replay` };
}

function byOf(actor: InboundActor): string {
  return actor.type === 'partner' ? `connection:${actor.connectionId}` : actor.type === 'user' ? `user:${actor.userId}` : actor.name;
}

function filedPatients(parts: readonly InboundPart[]): string[] {
  return [...new Set(parts.flatMap((p) => (p.patientId ? [p.patientId] : [])))];
}

const TRANSACTION = { ketenzorg: 'inbound-ketenzorg', lab: 'inbound-lab' } as const;

function actorRecord(actor: InboundActor): AuditRecordInput['actor'] {
  return actor.type === 'partner'
    ? { type: 'partner', connectionId: actor.connectionId, organizationId: actor.organizationId }
    : actor.type === 'user' ? { type: 'user', userId: actor.userId, role: actor.roles.join(' ') } : { type: 'system', name: actor.name };
}

function auditRecord(action: string, outcome: InboundOutcome, actor: InboundActor, meta: ExchangeMeta): AuditRecordInput {
  const { message, parts, counts } = outcome;
  const problems = [...message.issues, ...parts.flatMap((p) => p.issues)].filter((i) => i.severity === 'fatal' || i.severity === 'error').map((i) => i.code);
  const status = (s: InboundPart['status']) => parts.filter((p) => p.status === s).length;
  return {
    transaction: TRANSACTION[outcome.parsed.channel],
    action,
    outcome: message.status === 'processed' ? 'success' : 'failure',
    actor: actorRecord(actor),
    surface: 'inbound',
    patientIds: outcome.patients.slice(0, 1000),
    subject: { inboundMessageId: message.id, messageId: message.messageId, sender: message.sender },
    detail: {
      format: message.format, status: message.status, duplicate: outcome.duplicate, ...counts,
      ...(outcome.corrected.length > 0 ? { corrected: outcome.corrected.slice(0, 200) } : {}),
      partsFiled: status('filed'), partsWaiting: status('waiting'), partsQuarantined: status('quarantined'),
      problems: [...new Set(problems)].slice(0, 50),
    },
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    ...(meta.sourceAddress ? { sourceAddress: meta.sourceAddress } : {}),
  };
}
