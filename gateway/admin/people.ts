import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { Role, type Account } from '../../canonical/index.js';
import { emailKey, StoreError, type RootStore } from '../../store/index.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { randomToken, sha256 } from '../auth/secrets.js';
import type { SecurityEvent, SecurityEventSink } from '../auth/security-events.js';

export const INVITATION_SECONDS = 7 * 24 * 3600;

const Email = z.string().trim().max(320).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an e-mail address');
const StaffInvitation = z.object({ email: Email, displayName: z.string().trim().min(1).max(200), roles: z.array(Role).min(1).max(4) }).strict();
const PatientInvitation = z.object({ email: Email, displayName: z.string().trim().min(1).max(200) }).strict();
const Roles = z.object({ roles: z.array(Role).min(1).max(4) }).strict();
const IdParam = z.uuid();

export interface AdminContext {
  readonly store: RootStore;
  readonly events: SecurityEventSink;
}

function idOf(req: Request, name = 'id'): string {
  const parsed = IdParam.safeParse(req.params[name]);
  if (!parsed.success) throw new HttpError(400, `${name} must be a UUID`, [{ path: name, message: 'must be a UUID' }]);
  return parsed.data;
}

function actorId(req: Request): string | undefined {
  return req.principal.type === 'user' ? req.principal.userId : undefined;
}

/** Store errors a person can act on become 404/409 with the store's (patient-free) message. */
export async function storeCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof StoreError) {
      const status = error.code === 'not-found' ? 404 : error.code === 'content-mismatch' ? 400 : 409;
      throw new HttpError(status, error.message);
    }
    throw error;
  }
}

export function peopleRoutes(ctx: AdminContext): RouteSpec[] {
  const { store, events } = ctx;
  const record = (req: Request, event: Omit<SecurityEvent, 'requestId' | 'sourceAddress' | 'actor'>) =>
    events.record({ ...event, actor: { ...(actorId(req) ? { userId: actorId(req)! } : {}) }, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}) });

  async function invite(req: Request, account: Account): Promise<{ account: Account; invitationToken: string; expiresAt: string }> {
    const token = randomToken();
    const expiresAt = await store.sessions.createInvitation(sha256(token), account.id, actorId(req), INVITATION_SECONDS);
    await record(req, {
      type: 'invitation-created', outcome: 'success', subject: { userId: account.id }, detail: { kind: account.kind, roles: [...account.roles] },
      ...(account.patientId ? { patientIds: [account.patientId] } : {}),
    });
    return { account, invitationToken: token, expiresAt };
  }

  /** The last active administrator may not lose the role or the account: nobody could administer the gateway. */
  async function keepAnAdmin(targetId: string): Promise<void> {
    const target = await store.users.get(targetId);
    if (target?.status === 'active' && target.roles.includes('admin') && (await store.users.countAdmins()) <= 1) {
      throw new HttpError(409, 'this is the last active administrator');
    }
  }

  return [
    {
      method: 'get', path: '/users', access: { roles: ['admin'] }, summary: 'List accounts (staff and patients)',
      async handler(req, res) {
        const kind = req.query.kind === 'staff' || req.query.kind === 'patient' ? req.query.kind : undefined;
        res.json({ users: await store.users.list(kind ? { kind } : {}) });
      },
    },
    {
      method: 'get', path: '/users/:id', access: { roles: ['admin'] }, summary: 'One account',
      async handler(req, res) {
        const account = await store.users.get(idOf(req));
        if (!account) throw new HttpError(404, 'account not found');
        res.json(account);
      },
    },
    {
      method: 'post', path: '/users', access: { roles: ['admin'] }, body: StaffInvitation,
      summary: 'Invite a staff member: the invitation token (shown once) lets them choose a password',
      async handler(req, res) {
        const body = req.body as z.infer<typeof StaffInvitation>;
        const account = await storeCall(store.users.create({ id: randomUUID(), email: body.email, displayName: body.displayName, kind: 'staff', roles: body.roles, status: 'invited' }));
        res.status(201).json(await invite(req, account));
      },
    },
    {
      method: 'post', path: '/patients/:id/account', access: { roles: ['admin', 'provider'] }, body: PatientInvitation,
      summary: "Invite a patient to the consent portal: the account is bound to this patient's record only",
      async handler(req, res) {
        const patientId = idOf(req);
        const body = req.body as z.infer<typeof PatientInvitation>;
        const patient = await store.patients.get(patientId);
        if (!patient || patient.patient.status !== 'active') throw new HttpError(404, 'patient not found');
        const account = await storeCall(store.users.create({ id: randomUUID(), email: body.email, displayName: body.displayName, kind: 'patient', roles: [], patientId, status: 'invited' }));
        res.status(201).json(await invite(req, account));
      },
    },
    {
      method: 'put', path: '/users/:id/roles', access: { roles: ['admin'] }, body: Roles, summary: 'Set the roles of a staff account',
      async handler(req, res) {
        const id = idOf(req);
        const { roles } = req.body as z.infer<typeof Roles>;
        const before = await store.users.get(id);
        if (!before) throw new HttpError(404, 'account not found');
        if (before.kind !== 'staff') throw new HttpError(409, 'patient accounts have no roles');
        if (!roles.includes('admin')) await keepAnAdmin(id);
        const after = await storeCall(store.users.setRoles(id, roles));
        await record(req, { type: 'roles-changed', outcome: 'success', subject: { userId: id }, detail: { before: [...before.roles], after: [...after.roles] } });
        res.json(after);
      },
    },
    {
      method: 'post', path: '/users/:id/deactivate', access: { roles: ['admin'] },
      summary: 'Deactivate an account: its sessions end at once, in every gateway process',
      async handler(req, res) {
        const id = idOf(req);
        await keepAnAdmin(id);
        const account = await storeCall(store.users.deactivate(id));
        await record(req, { type: 'account-deactivated', outcome: 'success', subject: { userId: id } });
        res.json(account);
      },
    },
    {
      method: 'post', path: '/users/:id/reactivate', access: { roles: ['admin'] }, summary: 'Reactivate a deactivated account',
      async handler(req, res) {
        const id = idOf(req);
        const account = await storeCall(store.users.reactivate(id));
        await record(req, { type: 'account-reactivated', outcome: 'success', subject: { userId: id } });
        res.json(account);
      },
    },
    {
      method: 'post', path: '/users/:id/unlock', access: { roles: ['admin'] }, summary: 'Lift a sign-in lockout',
      async handler(req, res) {
        const id = idOf(req);
        const account = await store.users.get(id);
        if (!account) throw new HttpError(404, 'account not found');
        await store.users.clearFailedLogins(id);
        await store.sessions.throttleClear(`account:${emailKey(account.email)}`);
        await record(req, { type: 'account-unlocked', outcome: 'success', subject: { userId: id } });
        res.json(await store.users.get(id));
      },
    },
    {
      method: 'post', path: '/users/:id/reset-2fa', access: { roles: ['admin'] },
      summary: 'Remove the second factor (a lost phone): the person enrols again at the next sign-in',
      async handler(req, res) {
        const id = idOf(req);
        await storeCall(store.users.resetTwoFactor(id));
        await record(req, { type: 'two-factor-reset', outcome: 'success', subject: { userId: id } });
        res.json(await store.users.get(id));
      },
    },
  ];
}
