import request from 'supertest';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { createApp } from '../gateway/http/app.js';
import { createAdmin } from '../gateway/cli/users.js';
import { LOCK_AFTER_FAILURES } from '../gateway/auth/sign-in.js';
import { hashPassword } from '../gateway/auth/passwords.js';
import { randomUUID } from 'node:crypto';
import { aPatient } from './support/factories.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
let deps: ReturnType<typeof testDeps>;

beforeAll(async () => {
  t = await openTestStore();
  deps = testDeps(t.store);
  app = createApp(deps);
});
afterAll(async () => t.close());

const secretOf = (uri: string) => new URL(uri).searchParams.get('secret')!;
/** A code for the next 30-second step, so it differs from one already used in the current step. */
const nextCode = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
const cookieHeaders = (res: request.Response): string[] => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
const cookiesOf = (res: request.Response) => cookieHeaders(res).map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='));

describe(`signing in on ${engineUnderTest}`, () => {
  it('takes the first administrator through password, TOTP enrolment, recovery codes and a trusted device', async () => {
    const admin = await createAdmin(t.store, 'first.admin@clinic.example', 'First Admin');
    const secret = secretOf(admin.otpauthUri);
    expect(admin.otpauthUri).toMatch(/^otpauth:\/\/totp\/Crossgate:first\.admin%40clinic\.example\?secret=[A-Z2-7]+&issuer=Crossgate$/);

    const agent = request.agent(app);
    const login = await agent.post('/auth/login').send({ email: 'First.Admin@clinic.example', password: admin.password }).expect(200);
    expect(login.body).toMatchObject({ stage: 'password', twoFactor: 'confirm-enrolment', account: { roles: ['admin'], twoFactorEnabled: false } });
    const sessionCookie = cookieHeaders(login).find((c) => c.startsWith('cg_session='))!;
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/SameSite=Strict/);

    await agent.get('/admin/users').expect(401);
    await agent.post('/auth/2fa/verify').set('X-CSRF-Token', login.body.csrfToken).send({ code: '000000' }).expect(401);
    const firstCode = generateSync({ secret });
    const verified = await agent.post('/auth/2fa/verify').set('X-CSRF-Token', login.body.csrfToken).send({ code: firstCode }).expect(200);
    expect(verified.body.recoveryCodes).toHaveLength(10);
    expect(cookiesOf(verified).some((c) => c.startsWith('cg_device='))).toBe(true);
    const me = await agent.get('/auth/me').expect(200);
    expect(me.body).toMatchObject({ stage: 'complete', account: { email: 'first.admin@clinic.example', twoFactorEnabled: true } });
    await agent.get('/admin/users').expect(200);
    await agent.post('/admin/users').send({ email: 'x@clinic.example', displayName: 'X', roles: ['member'] }).expect(403);

    // The trusted device skips the code; a fresh browser needs it, and the code already used is refused.
    const again = await agent.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
    expect(again.body.stage).toBe('complete');
    const other = request.agent(app);
    const otherLogin = await other.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
    expect(otherLogin.body).toMatchObject({ stage: 'password', twoFactor: 'code-required' });
    await other.post('/auth/2fa/verify').set('X-CSRF-Token', otherLogin.body.csrfToken).send({ code: firstCode }).expect(401);
    await other.post('/auth/2fa/verify').set('X-CSRF-Token', otherLogin.body.csrfToken).send({ recoveryCode: verified.body.recoveryCodes[3] }).expect(200);

    // Signing out forgets the device: the next sign-in asks for a code again, and a recovery code works once.
    await agent.post('/auth/logout').set('X-CSRF-Token', again.body.csrfToken).expect(204);
    const afterLogout = await agent.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
    expect(afterLogout.body.stage).toBe('password');
    await agent.post('/auth/2fa/verify').set('X-CSRF-Token', afterLogout.body.csrfToken).send({ recoveryCode: verified.body.recoveryCodes[3] }).expect(401);
    await agent.post('/auth/2fa/verify').set('X-CSRF-Token', afterLogout.body.csrfToken).send({ code: nextCode(secret) }).expect(200);
    const trail = await t.store.audit.search({ userId: admin.id, transaction: 'sign-in' });
    expect(trail.map((r) => r.action)).toEqual(expect.arrayContaining(['sign-in', 'two-factor-verified', 'recovery-code-used', 'sign-out']));
    expect(trail.every((r) => r.requestId !== null)).toBe(true);
    const types = deps.securityEvents.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['sign-in', 'two-factor-failed', 'two-factor-enrolled', 'two-factor-verified', 'recovery-code-used', 'sign-out']));
  });

  it('locks an account after repeated wrong passwords, with a clear message, until an admin unlocks it', async () => {
    const admin = await createAdmin(t.store, 'locker.admin@clinic.example', 'Locker Admin');
    const adminAgent = request.agent(app);
    const l = await adminAgent.post('/auth/login').send({ email: admin.email, password: admin.password });
    const v = await adminAgent.post('/auth/2fa/verify').set('X-CSRF-Token', l.body.csrfToken).send({ code: generateSync({ secret: secretOf(admin.otpauthUri) }) }).expect(200);

    const invited = await adminAgent.post('/admin/users').set('X-CSRF-Token', v.body.csrfToken)
      .send({ email: 'brute.target@clinic.example', displayName: 'Brute Target', roles: ['member'] }).expect(201);
    await request(app).post('/auth/invitations/accept').send({ token: invited.body.invitationToken, password: 'short' }).expect(400);
    await request(app).post('/auth/invitations/accept').send({ token: invited.body.invitationToken, password: 'correct horse battery staple' }).expect(200);
    await request(app).post('/auth/invitations/accept').send({ token: invited.body.invitationToken, password: 'correct horse battery staple' }).expect(404);

    const target = { email: 'brute.target@clinic.example', password: 'correct horse battery staple' };
    for (let i = 1; i < LOCK_AFTER_FAILURES; i++) {
      await request(app).post('/auth/login').send({ ...target, password: `wrong guess ${i}` }).expect(401, /wrong e-mail address or password/);
    }
    const locked = await request(app).post('/auth/login').send({ ...target, password: 'wrong guess final' }).expect(423);
    expect(locked.body.error).toMatch(/^account locked after repeated failed sign-ins until .+; an administrator can unlock it sooner$/);
    await request(app).post('/auth/login').send(target).expect(423);

    await adminAgent.post(`/admin/users/${invited.body.account.id}/unlock`).set('X-CSRF-Token', v.body.csrfToken).expect(200);
    const member = await request(app).post('/auth/login').send(target).expect(200);
    expect(member.body).toMatchObject({ stage: 'complete', account: { roles: ['member'] } });

    // An address nobody holds locks the same way, so the answers never reveal which accounts exist.
    for (let i = 1; i < LOCK_AFTER_FAILURES; i++) await request(app).post('/auth/login').send({ email: 'nobody@clinic.example', password: `guess ${i}` }).expect(401);
    await request(app).post('/auth/login').send({ email: 'nobody@clinic.example', password: 'guess last' }).expect(423);
  });

  it('refuses a change without the CSRF token, and a patient anything but their own portal', async () => {
    const admin = await createAdmin(t.store, 'csrf.admin@clinic.example', 'Csrf Admin');
    const agent = request.agent(app);
    const l = await agent.post('/auth/login').send({ email: admin.email, password: admin.password });
    const v = await agent.post('/auth/2fa/verify').set('X-CSRF-Token', l.body.csrfToken).send({ code: generateSync({ secret: secretOf(admin.otpauthUri) }) }).expect(200);
    await agent.post('/admin/users').send({ email: 'a@clinic.example', displayName: 'A', roles: ['member'] }).expect(403, /CSRF/);
    await agent.post('/admin/users').set('X-CSRF-Token', 'forged').send({ email: 'a@clinic.example', displayName: 'A', roles: ['member'] }).expect(403, /CSRF/);
    const bad = await agent.post('/admin/users').set('X-CSRF-Token', v.body.csrfToken).send({ email: 'not-an-address', displayName: '', roles: ['owner'] }).expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['displayName', 'email', 'roles.0']);

    const patient = await t.store.patients.insert(aPatient());
    const invitation = await agent.post(`/admin/patients/${patient.id}/account`).set('X-CSRF-Token', v.body.csrfToken)
      .send({ email: 'patient@home.example', displayName: 'Johanna' }).expect(201);
    expect(invitation.body.account).toMatchObject({ kind: 'patient', patientId: patient.id, roles: [], status: 'invited' });
    // The invitation concerns the patient: a search of the trail by patient finds it.
    expect((await t.store.audit.search({ patientId: patient.id, transaction: 'admin-change' })).map((r) => r.action)).toEqual(['invitation-created']);
    await request(app).post('/auth/invitations/accept').send({ token: invitation.body.invitationToken, password: 'mijn eigen geheime zin' }).expect(200);
    const p = request.agent(app);
    await p.post('/auth/login').send({ email: 'patient@home.example', password: 'mijn eigen geheime zin' }).expect(200);
    await p.get('/admin/users').expect(403);
    await agent.post(`/admin/patients/${patient.id}/account`).set('X-CSRF-Token', v.body.csrfToken)
      .send({ email: 'second@home.example', displayName: 'Again' }).expect(409);
  });

  it('hands out no session when the audit record of the sign-in cannot be written', async () => {
    const member = await t.store.users.create({ id: randomUUID(), email: 'audited@clinic.example', displayName: 'Audited', kind: 'staff', roles: ['member'], status: 'active', passwordHash: await hashPassword('a long enough passphrase') });
    await t.db.query('ALTER TABLE audit_records RENAME TO audit_records_away');
    try {
      const res = await request(app).post('/auth/login').send({ email: member.email, password: 'a long enough passphrase' }).expect(500);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.body).toEqual({ error: 'internal error', requestId: res.headers['x-request-id'] });
    } finally {
      await t.db.query('ALTER TABLE audit_records_away RENAME TO audit_records');
    }
    await request(app).post('/auth/login').send({ email: member.email, password: 'a long enough passphrase' }).expect(200);
  });

  it('keeps the last administrator', async () => {
    const only = await t.store.users.list({ kind: 'staff' });
    const admins = only.filter((a) => a.roles.includes('admin') && a.status === 'active');
    const admin = await createAdmin(t.store, 'last.admin@clinic.example', 'Last Admin');
    const agent = request.agent(app);
    const l = await agent.post('/auth/login').send({ email: admin.email, password: admin.password });
    const v = await agent.post('/auth/2fa/verify').set('X-CSRF-Token', l.body.csrfToken).send({ code: generateSync({ secret: secretOf(admin.otpauthUri) }) }).expect(200);
    for (const a of admins) await agent.post(`/admin/users/${a.id}/deactivate`).set('X-CSRF-Token', v.body.csrfToken).expect(200);
    await agent.post(`/admin/users/${admin.id}/deactivate`).set('X-CSRF-Token', v.body.csrfToken).expect(409, /last active administrator/);
    await agent.put(`/admin/users/${admin.id}/roles`).set('X-CSRF-Token', v.body.csrfToken).send({ roles: ['member'] }).expect(409);
  });
});
