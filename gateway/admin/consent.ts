import type { Request } from 'express';
import { z } from 'zod';
import { PURPOSES, type Purpose } from '../../canonical/index.js';
import type { AuditAppender } from '../../audit/index.js';
import type { RootStore } from '../../store/index.js';
import type { ConsentService } from '../../consent/service.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { storeCall } from './people.js';

/** Staff surfaces of the consent policy: clinic defaults, a patient's choice, and requests held for review. */
export interface ConsentContext {
  readonly store: RootStore;
  readonly audit: AuditAppender;
  readonly consent: ConsentService;
}

const STAFF_READ = { roles: ['admin', 'provider', 'member'] } as const;
const ADMIN = { roles: ['admin'] } as const;
export const DEFAULT_APPROVAL_DAYS = 30;

const PurposeList = z.array(z.enum(PURPOSES)).max(PURPOSES.length);
const DefaultsBody = z.object({ purposes: PurposeList, expectedVersion: z.number().int().min(0) }).strict();
export const ChoiceBody = z.object({ purposes: PurposeList.nullable(), expectedVersion: z.number().int().min(0) }).strict();
const ApproveBody = z.object({ days: z.number().int().min(1).max(365).default(DEFAULT_APPROVAL_DAYS) }).strict();

export function uuidParam(req: Request, name = 'id'): string {
  const parsed = z.uuid().safeParse(req.params[name]);
  if (!parsed.success) throw new HttpError(400, `${name} must be a UUID`, [{ path: name, message: 'must be a UUID' }]);
  return parsed.data;
}

const actor = (req: Request) => (req.principal.type === 'user' ? { type: 'user' as const, userId: req.principal.userId } : { type: 'anonymous' as const });

/**
 * The purposes a patient's records are shared for now, which policy says so, and the approvals that let single
 * organizations in beyond it: those in force, read as decisions read them (store/consent.ts: unexpired, and given
 * after the patient's choice was last set, so setting it again ends them).
 */
export async function effectivePolicy(store: RootStore, patientId: string) {
  const [defaults, choice, facts] = await Promise.all([
    store.consent.currentDefaults(), store.consent.currentChoice(patientId), store.consent.patientFacts(patientId),
  ]);
  const own = choice && choice.purposes !== null ? choice : undefined;
  const organizations = await Promise.all(facts.approvals.map((a) => store.organizations.get(a.organizationId)));
  return {
    defaults: defaults ?? null,
    choice: choice ?? null,
    approvals: facts.approvals.map((a, i) => ({
      requestId: a.id, organization: { id: a.organizationId, name: organizations[i]?.name ?? null }, purpose: a.purpose, until: a.expiresAt,
    })),
    effective: own
      ? { source: 'patient-choice' as const, purposes: own.purposes!, version: own.version }
      : defaults
        ? { source: 'clinic-default' as const, purposes: defaults.purposes ?? [], version: defaults.version }
        : { source: 'no-policy' as const, purposes: [] as Purpose[], version: 0 },
  };
}

export function consentRoutes(ctx: ConsentContext): RouteSpec[] {
  const { store, audit, consent } = ctx;
  // A staff member's look at a patient's consent is a read of their record (NEN 7513), not a change.
  const record = (req: Request, action: string, patientIds: string[], detail: Record<string, string | number | string[]>) =>
    audit.append({
      transaction: action.endsWith('-read') ? 'staff-read' : 'admin-change', action, outcome: 'success', actor: actor(req), patientIds, detail,
      requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
    });

  return [
    {
      method: 'get', path: '/consent/defaults', access: STAFF_READ, summary: 'The clinic default purposes (shared for every patient without a choice of their own)',
      async handler(_req, res) {
        res.json((await store.consent.currentDefaults()) ?? { version: 0, purposes: [] });
      },
    },
    {
      method: 'get', path: '/consent/defaults/history', access: STAFF_READ, summary: 'Every version of the clinic defaults, newest first',
      async handler(_req, res) {
        res.json({ versions: await store.consent.defaultsHistory() });
      },
    },
    {
      method: 'put', path: '/consent/defaults', access: ADMIN, body: DefaultsBody,
      summary: 'Set the clinic default purposes (none: opt-in, nothing is shared until a patient allows it); refused if someone changed them since expectedVersion',
      async handler(req, res) {
        const body = req.body as z.infer<typeof DefaultsBody>;
        const saved = await storeCall(store.consent.setDefaults(body.expectedVersion, body.purposes, req.principal.type === 'user' ? req.principal.userId : 'unknown', req.ip));
        consent.invalidate('*');
        await record(req, 'consent-defaults-set', [], { version: saved.version, purposes: [...(saved.purposes ?? [])] });
        const warnings = saved.purposes?.includes('Treatment') ? [] : ['Treatment is not shared by default: Carequality participants are expected to answer Treatment queries, and to answer those they make themselves'];
        res.json({ ...saved, warnings });
      },
    },
    {
      method: 'get', path: '/patients/:id/consent', access: STAFF_READ, summary: "A patient's own choice, the clinic defaults, and what applies now",
      async handler(req, res) {
        const patientId = uuidParam(req);
        if (!(await store.patients.get(patientId))) throw new HttpError(404, 'patient not found');
        const policy = await effectivePolicy(store, patientId);
        // A patient's consent is about them: a staff member's look at it is on the trail, as reads of the queue are.
        await record(req, 'patient-consent-read', [patientId], {});
        res.json(policy);
      },
    },
    {
      method: 'get', path: '/patients/:id/consent/history', access: STAFF_READ, summary: "Every version of a patient's choice: who set it, when, from where",
      async handler(req, res) {
        const patientId = uuidParam(req);
        const versions = await store.consent.choiceHistory(patientId);
        await record(req, 'patient-consent-history-read', [patientId], { versions: versions.length });
        res.json({ versions });
      },
    },
    {
      method: 'put', path: '/patients/:id/consent', access: ADMIN, body: ChoiceBody,
      summary: "Set a patient's purposes (null: withdraw the choice, the defaults apply again); refused if changed since expectedVersion",
      async handler(req, res) {
        const patientId = uuidParam(req);
        const body = req.body as z.infer<typeof ChoiceBody>;
        const saved = await storeCall(store.consent.setChoice(patientId, body.expectedVersion, body.purposes, {
          setBy: req.principal.type === 'user' ? req.principal.userId : 'unknown', kind: 'staff', ...(req.ip ? { sourceAddress: req.ip } : {}),
        }));
        consent.invalidate(patientId);
        await record(req, 'consent-choice-set', [patientId], { version: saved.version, purposes: saved.purposes ? [...saved.purposes] : ['(withdrawn)'] });
        res.json(saved);
      },
    },
    {
      method: 'get', path: '/access-requests', access: STAFF_READ, summary: 'Requests declined and held for review (status pending by default)',
      async handler(req, res) {
        const status = z.enum(['pending', 'approved', 'denied']).default('pending').safeParse(req.query.status);
        if (!status.success) throw new HttpError(400, 'status must be pending, approved or denied');
        const requests = await store.consent.listRequests({ status: status.data });
        await record(req, 'access-requests-read', [...new Set(requests.map((r) => r.patientId))], { status: status.data, requests: requests.length });
        res.json({ requests });
      },
    },
    {
      method: 'post', path: '/access-requests/:id/approve', access: ADMIN, body: ApproveBody,
      summary: `Approve a held request: that organization may have that purpose for that patient for a period (default ${DEFAULT_APPROVAL_DAYS} days)`,
      async handler(req, res) {
        const { days } = req.body as z.infer<typeof ApproveBody>;
        const decided = await storeCall(store.consent.decideRequest(uuidParam(req), { approve: true, days }, req.principal.type === 'user' ? req.principal.userId : 'unknown'));
        consent.invalidate(decided.patientId);
        await record(req, 'access-request-approved', [decided.patientId], { request: decided.id, purpose: decided.purpose, organization: decided.organizationId, days });
        res.json(decided);
      },
    },
    {
      method: 'post', path: '/access-requests/:id/deny', access: ADMIN, summary: 'Deny a held request',
      async handler(req, res) {
        const decided = await storeCall(store.consent.decideRequest(uuidParam(req), { approve: false }, req.principal.type === 'user' ? req.principal.userId : 'unknown'));
        await record(req, 'access-request-denied', [decided.patientId], { request: decided.id, purpose: decided.purpose, organization: decided.organizationId });
        res.json(decided);
      },
    },
  ];
}
