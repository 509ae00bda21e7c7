import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { storeCall } from '../admin/people.js';
import { ChoiceBody, effectivePolicy, type ConsentContext } from '../admin/consent.js';

/** The patient portal: a signed-in patient reads and sets their own choices and sees who asked for their records. */
const PATIENT = { patient: true } as const;
const EXCHANGES = ['ITI-55', 'ITI-38', 'ITI-39', 'fhir-read', 'fhir-search', 'fhir-operation', 'staff-read'];
const PAGE = 200;

function ownPatient(req: Request): { patientId: string; userId: string } {
  const p = req.principal;
  if (p.type !== 'user' || !p.patientId) throw new HttpError(403, 'not allowed for your role or connection');
  return { patientId: p.patientId, userId: p.userId };
}

export function portalRoutes(ctx: ConsentContext): RouteSpec[] {
  const { store, audit, consent } = ctx;
  return [
    {
      method: 'get', path: '/consent', access: PATIENT, summary: 'Your choices, the clinic defaults, and what applies to your records now',
      async handler(req, res) {
        res.json(await effectivePolicy(store, ownPatient(req).patientId));
      },
    },
    {
      method: 'put', path: '/consent', access: PATIENT, body: ChoiceBody,
      summary: 'Choose the purposes your records may be shared for (null: follow the clinic defaults)',
      async handler(req, res) {
        const { patientId, userId } = ownPatient(req);
        const body = req.body as z.infer<typeof ChoiceBody>;
        const saved = await storeCall(store.consent.setChoice(patientId, body.expectedVersion, body.purposes, { setBy: userId, kind: 'patient', ...(req.ip ? { sourceAddress: req.ip } : {}) }));
        consent.invalidate(patientId);
        await audit.append({
          transaction: 'admin-change', action: 'consent-choice-set-by-patient', outcome: 'success', actor: { type: 'user', userId }, patientIds: [patientId],
          detail: { version: saved.version, purposes: saved.purposes ? [...saved.purposes] : ['(withdrawn)'] }, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}),
        });
        res.json(saved);
      },
    },
    {
      method: 'get', path: '/access-log', access: PATIENT, summary: 'Who asked for your records, for which purpose, and what was decided; newest first, in pages (next)',
      async handler(req, res) {
        const { patientId } = ownPatient(req);
        const before = typeof req.query.before === 'string' && /^[1-9]\d{0,15}$/.test(req.query.before) ? Number(req.query.before) : undefined;
        if (req.query.before !== undefined && before === undefined) throw new HttpError(400, 'before must be the next value of the previous page');
        const found = await store.audit.search({ patientId, transactions: EXCHANGES, limit: PAGE + 1, ...(before ? { beforeSeq: before } : {}) });
        const rows = found.slice(0, PAGE);
        const names = new Map<string, string>();
        for (const id of new Set(rows.map((r) => r.organizationId).filter((x): x is string => x !== null))) {
          names.set(id, (await store.organizations.get(id))?.name ?? 'unknown organization');
        }
        res.json({
          requests: rows.map((r) => ({
            at: r.recordedAt,
            what: r.action,
            organization: r.organizationId ? names.get(r.organizationId) : undefined,
            purpose: r.purpose,
            decision: r.decision,
            via: r.transaction,
          })),
          ...(found.length > PAGE ? { next: rows.at(-1)!.seq } : {}),
        });
      },
    },
  ];
}
