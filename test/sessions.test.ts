import request from 'supertest';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { createApp } from '../gateway/http/app.js';
import { createAdmin } from '../gateway/cli/users.js';
import { ADDRESS_FAILURES_ALLOWED } from '../gateway/auth/sign-in.js';
import { sha256 } from '../gateway/auth/secrets.js';

let t: TestStore;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  t = await openTestStore();
  app = createApp(testDeps(t.store, { CROSSGATE_SESSION_IDLE_MINUTES: '30', CROSSGATE_SESSION_MAX_HOURS: '12' }));
});
afterAll(async () => t.close());

const tokenOf = (cookie: string) => cookie.split('=')[1]!;
const age = (column: 'last_seen_at' | 'created_at', cookie: string, minutes: number) =>
  t.db.query(`UPDATE sessions SET ${column} = now() - make_interval(mins => $2) WHERE id_hash = $1`, [sha256(tokenOf(cookie)), minutes]);

describe(`sessions on ${engineUnderTest}`, () => {
  it('ends a session idle longer than the idle timeout, and any session older than the absolute limit', async () => {
    const idle = await sessionFor(t.store, { roles: ['member'] });
    await request(app).get('/auth/me').set('Cookie', idle.cookie).expect(200);
    await age('last_seen_at', idle.cookie, 31);
    const res = await request(app).get('/auth/me').set('Cookie', idle.cookie).expect(401);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join()).toMatch(/cg_session=;/);
    await age('last_seen_at', idle.cookie, 0);
    await request(app).get('/auth/me').set('Cookie', idle.cookie).expect(401);

    const old = await sessionFor(t.store, { roles: ['member'] });
    await age('created_at', old.cookie, 12 * 60 + 1);
    await request(app).get('/auth/me').set('Cookie', old.cookie).expect(401);
  });

  it('refuses an address after too many failed sign-ins, whichever accounts it tried', async () => {
    const agent = () => request(app).post('/auth/login').set('X-Forwarded-For', '203.0.113.9');
    for (let i = 0; i < ADDRESS_FAILURES_ALLOWED; i++) await agent().send({ email: `spray${i}@clinic.example`, password: 'Winter2026!!' }).expect(401);
    const refused = await agent().send({ email: 'spray-last@clinic.example', password: 'Winter2026!!' }).expect(429);
    expect(refused.headers['retry-after']).toBe('900');
  });

  it('lets one authenticator serve several accounts, each with a secret of its own, and resets a lost one', async () => {
    const a = await createAdmin(t.store, 'phone.one@clinic.example', 'Phone One');
    const b = await createAdmin(t.store, 'phone.two@clinic.example', 'Phone Two');
    const secret = (uri: string) => new URL(uri).searchParams.get('secret')!;
    expect(secret(a.otpauthUri)).not.toBe(secret(b.otpauthUri));
    for (const admin of [a, b]) {
      const agent = request.agent(app);
      const l = await agent.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
      await agent.post('/auth/2fa/verify').set('X-CSRF-Token', l.body.csrfToken).send({ code: generateSync({ secret: secret(admin.otpauthUri) }) }).expect(200);
    }
    const boss = await sessionFor(t.store, { roles: ['admin'] });
    const reset = await request(app).post(`/admin/users/${b.id}/reset-2fa`).set('Cookie', boss.cookie).set('X-CSRF-Token', boss.csrf).expect(200);
    expect(reset.body.twoFactorEnabled).toBe(false);
    const again = await request(app).post('/auth/login').send({ email: b.email, password: b.password }).expect(200);
    expect(again.body).toMatchObject({ stage: 'password', twoFactor: 'enrolment-required' });
  });

  it('changes a password only with the current one and a strong new one, ending the other sessions', async () => {
    const admin = await createAdmin(t.store, 'changer@clinic.example', 'Changer Person');
    const boss = await sessionFor(t.store, { roles: ['admin'] });
    await request(app).post(`/admin/users/${admin.id}/roles`).expect(404);
    await request(app).put(`/admin/users/${admin.id}/roles`).set('Cookie', boss.cookie).set('X-CSRF-Token', boss.csrf).send({ roles: ['member'] }).expect(200);
    const first = request.agent(app);
    const l1 = await first.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
    expect(l1.body.stage).toBe('password');
    await first.post('/auth/2fa/verify').set('X-CSRF-Token', l1.body.csrfToken).send({ code: generateSync({ secret: new URL(admin.otpauthUri).searchParams.get('secret')! }) }).expect(200);
    const second = request.agent(app);
    const l2 = await second.post('/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
    expect(l2.body).toMatchObject({ stage: 'password', twoFactor: 'code-required' });
    const secret = new URL(admin.otpauthUri).searchParams.get('secret')!;
    await second.post('/auth/2fa/verify').set('X-CSRF-Token', l2.body.csrfToken)
      .send({ code: generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) }).expect(200);
    const csrf = (await second.get('/auth/me').expect(200)).body.csrfToken as string;
    await second.post('/auth/password').set('X-CSRF-Token', csrf).send({ currentPassword: 'not it', newPassword: 'a much better passphrase' }).expect(401);
    const weak = await second.post('/auth/password').set('X-CSRF-Token', csrf).send({ currentPassword: admin.password, newPassword: 'changer-2026' }).expect(400);
    expect(weak.body.issues).toEqual([{ path: 'newPassword', message: 'must not contain your name or e-mail address' }]);
    await second.post('/auth/password').set('X-CSRF-Token', csrf).send({ currentPassword: admin.password, newPassword: 'a much better passphrase' }).expect(200);
    await second.get('/auth/me').expect(200);
    await first.get('/auth/me').expect(401);
  });

  it('changes roles and reactivates through the admin API', async () => {
    const boss = await sessionFor(t.store, { roles: ['admin'] });
    const member = await sessionFor(t.store, { roles: ['member'] });
    const as = (r: request.Test) => r.set('Cookie', boss.cookie).set('X-CSRF-Token', boss.csrf);
    await request(app).get('/admin/users').set('Cookie', member.cookie).expect(403);
    const promoted = await as(request(app).put(`/admin/users/${member.userId}/roles`)).send({ roles: ['provider', 'member'] }).expect(200);
    expect(promoted.body.roles).toEqual(['member', 'provider']);
    // The promotion ended the member's session: the next sign-in holds the new roles (and asks a second factor where needed).
    await request(app).get('/auth/me').set('Cookie', member.cookie).expect(401);
    await as(request(app).post(`/admin/users/${member.userId}/deactivate`)).expect(200);
    await request(app).get('/auth/me').set('Cookie', member.cookie).expect(401);
    await as(request(app).post(`/admin/users/${member.userId}/reactivate`)).expect(200);
    // Reactivation does not revive the old session: the person signs in again.
    await request(app).get('/auth/me').set('Cookie', member.cookie).expect(401);
    await as(request(app).put(`/admin/users/not-a-uuid/roles`)).send({ roles: ['member'] }).expect(400);
  });
});
