import type { Request } from 'express';
import { z } from 'zod';
import { InboundStatus, displayName, type InboundPart, type Patient } from '../../canonical/index.js';
import type { AuditAppender } from '../../audit/index.js';
import { duplicateCandidates, merge } from '../../identity/index.js';
import type { RootStore } from '../../store/index.js';
import type { Logger } from '../logger.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { ackCode } from '../inbound/acknowledgement.js';
import { createInboundPipeline, type InboundActor, type InboundOutcome } from '../inbound/pipeline.js';
import { uuidParam } from './consent.js';
import { storeCall } from './people.js';

/**
 * Staff surfaces of inbound messages.
 * - The message log and replay are for admins: what was received, from which connection, what became of each
 *   part and every issue. Issues name fields and codes, never values, so the log shows no clinical content; the
 *   raw payload is never served over HTTP (admin is an IT role, not a care role): it stays in the database for
 *   the replay, and an operator with database access is the only one to read it.
 * - The matching queue, the duplicate report and merges are for admins and providers: to say whose records are
 *   whose, staff must see the names and birth dates the message gives and those of the candidate patients. Each
 *   look is on the audit trail with the patients shown.
 */
export interface InboundAdminContext {
  readonly store: RootStore;
  readonly audit: AuditAppender;
  readonly logger: Logger;
}

const ADMIN = { roles: ['admin'] } as const;
const IDENTITY_STAFF = { roles: ['admin', 'provider'] } as const;

const ListQuery = z.object({
  status: InboundStatus.optional(),
  sender: z.string().min(1).max(200).optional(),
  acknowledgement: z.enum(['AA', 'AE', 'AR']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();
const QueueQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().regex(/^[^|]+\|[0-9a-f-]{36}$/, 'must be the next cursor of the previous page').optional(),
}).strict();
const LinkBody = z.object({ patientId: z.uuid() }).strict();
const CreateBody = z.object({}).strict();
const MergeBody = z.object({ survivorId: z.uuid(), mergedId: z.uuid(), reason: z.string().trim().min(1).max(500) }).strict();
const DuplicatesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

function query<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw new HttpError(400, 'invalid query', parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  return parsed.data;
}

function actorOf(req: Request): Extract<InboundActor, { type: 'user' }> {
  if (req.principal.type !== 'user') throw new HttpError(403, 'not allowed for your role or connection');
  return { type: 'user', userId: req.principal.userId, roles: req.principal.roles };
}

function auditActor(req: Request) {
  const { userId, roles } = actorOf(req);
  return { type: 'user' as const, userId, role: roles.join(' ') };
}

const meta = (req: Request) => ({ requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}) });

/** A part as the message log shows it: what became of it, never who it is about (that is the queue's business). */
function partSummary(p: InboundPart) {
  return { id: p.id, key: p.key, refs: p.refs, status: p.status, ...(p.patientId ? { patientId: p.patientId } : {}), records: p.records, issues: p.issues, ...(p.resolvedBy ? { resolvedBy: p.resolvedBy } : {}) };
}

function outcomeSummary(o: InboundOutcome) {
  return { message: o.message, parts: o.parts.map(partSummary), patients: o.patients, filed: o.counts };
}

function patientView(p: Patient) {
  return {
    id: p.id, name: p.names[0] ? displayName(p.names[0]) : '', ...(p.birthDate ? { birthDate: p.birthDate } : {}), gender: p.gender,
    identifiers: p.identifiers.map((i) => ({ system: i.system, value: i.value })),
  };
}

export function inboundAdminRoutes(ctx: InboundAdminContext): RouteSpec[] {
  const { store, audit } = ctx;
  const pipeline = createInboundPipeline(ctx);

  /** A queue entry: the part, the message it came in, and each candidate as staff need to see them. */
  async function entry(part: InboundPart) {
    const message = await store.inbound.get(part.inboundId);
    const candidates = new Map((await store.patients.getMany(part.candidates.map((c) => c.patientId))).map((r) => [r.patient.id, r.patient]));
    return {
      id: part.id, status: part.status, refs: part.refs, records: part.records,
      message: message ? { id: message.id, format: message.format, sender: message.sender, messageId: message.messageId, receivedAt: message.receivedAt } : undefined,
      subject: part.subject ?? null,
      reason: part.issues.find((i) => i.code === 'PATIENT_TO_MATCH')?.message ?? null,
      issues: part.issues,
      candidates: part.candidates.flatMap((c) => {
        const patient = candidates.get(c.patientId);
        return patient ? [{ ...patientView(patient), score: c.score, reasons: c.reasons }] : [];
      }),
      createdAt: part.createdAt,
    };
  }

  const readRecord = (req: Request, action: string, patientIds: string[], detail: Record<string, number>) =>
    audit.append({
      transaction: 'staff-read', action, outcome: 'success', actor: auditActor(req),
      patientIds: [...new Set(patientIds)].slice(0, 1000), detail, ...meta(req),
    });

  return [
    {
      method: 'get', path: '/inbound', access: ADMIN, summary: 'Inbound messages, newest first, by status and sender (connection id): what became of each, with its issues; never the payload',
      async handler(req, res) {
        const q = query(ListQuery, req);
        // The verdict the sender was given is read from the parts; asked for one, the newest 1,000 are looked through. A
        // message still `received` has had no verdict (it is being filed, or its filing failed and waits to be resumed).
        const messages = await store.inbound.list({ ...(q.status ? { status: q.status } : {}), ...(q.sender ? { sender: q.sender } : {}), limit: q.acknowledgement ? 1000 : q.limit });
        const parts = await store.filing.partsOf(messages.map((m) => m.id));
        const answered = messages.map((m) => ({ ...m, acknowledgement: m.status === 'received' ? null : ackCode(m, parts.get(m.id) ?? []) }));
        res.json({ messages: answered.filter((m) => !q.acknowledgement || m.acknowledgement === q.acknowledgement).slice(0, q.limit) });
      },
    },
    {
      method: 'get', path: '/inbound/:id', access: ADMIN, summary: 'One inbound message: its status, issues and parts (filed, waiting, quarantined); never the payload',
      async handler(req, res) {
        const id = uuidParam(req);
        const message = await store.inbound.get(id);
        if (!message) throw new HttpError(404, 'inbound message not found');
        res.json({ message, parts: (await store.filing.parts(id)).map(partSummary) });
      },
    },
    {
      method: 'post', path: '/inbound/:id/replay', access: ADMIN, summary: 'File a quarantined (or never filed) message again, after a fix: the parts not filed yet',
      async handler(req, res) {
        res.json(outcomeSummary(await storeCall(pipeline.replay(uuidParam(req), actorOf(req), meta(req)))));
      },
    },
    {
      method: 'get', path: '/lab-matching', access: IDENTITY_STAFF,
      summary: 'The matching queue: records without a BSN that no single patient fits, oldest first, with the candidates; a person says whose they are',
      async handler(req, res) {
        const q = query(QueueQuery, req);
        const [createdAt, id] = q.after ? q.after.split('|') : [];
        const parts = await store.filing.waiting({ limit: q.limit + 1, ...(createdAt && id ? { after: { createdAt, id } } : {}) });
        const page = parts.slice(0, q.limit);
        const entries = await Promise.all(page.map(entry));
        await readRecord(req, 'matching-queue-read', page.flatMap((p) => p.candidates.map((c) => c.patientId)), { entries: entries.length });
        const last = page.at(-1);
        res.json({ entries, waiting: await store.filing.countWaiting(), ...(parts.length > q.limit && last ? { next: `${last.createdAt}|${last.id}` } : {}) });
      },
    },
    {
      method: 'get', path: '/lab-matching/:id', access: IDENTITY_STAFF, summary: 'One entry of the matching queue, with its candidates',
      async handler(req, res) {
        const part = await store.filing.part(uuidParam(req));
        if (!part || part.status !== 'waiting') throw new HttpError(404, 'no such entry in the matching queue');
        const shown = await entry(part);
        await readRecord(req, 'matching-queue-read', part.candidates.map((c) => c.patientId), { entries: 1 });
        res.json(shown);
      },
    },
    {
      method: 'post', path: '/lab-matching/:id/link', access: IDENTITY_STAFF, body: LinkBody,
      summary: "Say whose the records are: they are filed under this patient, and the sender's patient number is linked to them",
      async handler(req, res) {
        const { patientId } = req.body as z.infer<typeof LinkBody>;
        res.json(outcomeSummary(await storeCall(pipeline.decide(uuidParam(req), { patientId }, actorOf(req), meta(req)))));
      },
    },
    {
      method: 'post', path: '/lab-matching/:id/create-patient', access: IDENTITY_STAFF, body: CreateBody,
      summary: 'The records are of a patient not known here: a patient is made from what the message says and they are filed under it',
      async handler(req, res) {
        res.json(outcomeSummary(await storeCall(pipeline.decide(uuidParam(req), { create: true }, actorOf(req), meta(req)))));
      },
    },
    {
      method: 'get', path: '/patients/duplicates', access: IDENTITY_STAFF,
      summary: 'Patients who look like the same person (family name and birth date, folded for prefixes, diacritics and initials), in scored pairs, for staff to merge',
      async handler(req, res) {
        const q = query(DuplicatesQuery, req);
        const groups = await duplicateCandidates(store, q.limit);
        await audit.append({
          transaction: 'staff-read', action: 'duplicates-report-read', outcome: 'success', actor: auditActor(req),
          patientIds: groups.flatMap((g) => g.patients.map((p) => p.id)).slice(0, 1000), detail: { groups: groups.length }, ...meta(req),
        });
        res.json({ groups });
      },
    },
    {
      method: 'post', path: '/patients/merge', access: IDENTITY_STAFF, body: MergeBody,
      summary: 'Merge one patient into another: identifiers and records move to the survivor, the merged record stays, pointing at it',
      async handler(req, res) {
        const body = req.body as z.infer<typeof MergeBody>;
        const merged = await storeCall(merge(store, body.survivorId, body.mergedId, { mergedBy: `user:${actorOf(req).userId}`, reason: body.reason, choiceSetBy: actorOf(req).userId }));
        await audit.append({
          transaction: 'admin-change', action: 'patient-merge', outcome: 'success', actor: auditActor(req),
          patientIds: [body.survivorId, body.mergedId], subject: { mergeId: merged.id },
          detail: {
            ...(merged.consentChoice ? { consentChoiceVersion: merged.consentChoice.version, consentChoicePurposes: [...(merged.consentChoice.purposes ?? [])] } : {}),
            accessRequestsMoved: merged.accessRequestsMoved ?? 0,
          },
          ...meta(req),
        });
        res.json(merged);
      },
    },
  ];
}
