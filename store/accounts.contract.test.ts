import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aPatient } from '../test/support/factories.js';
import { StoreError, type RootStore } from './index.js';

let t: TestStore;
let store: RootStore;
beforeAll(async () => {
  t = await openTestStore();
  store = t.store;
});
afterAll(async () => t.close());

const storeError = (code: StoreError['code']) => expect.objectContaining({ name: 'StoreError', code });
const staff = (overrides: Partial<Parameters<RootStore['users']['create']>[0]> = {}) => ({
  id: randomUUID(), email: `${randomUUID().slice(0, 8)}@Clinic.example`, displayName: 'Test Person', kind: 'staff' as const,
  roles: ['member' as const], status: 'active' as const, passwordHash: '$argon2id$fake', ...overrides,
});

describe(`accounts store on ${engineUnderTest}`, () => {
  it('keeps e-mail addresses unique whatever their case, and one account per patient', async () => {
    const a = await store.users.create(staff({ email: 'Anna.Bakker@Clinic.example' }));
    expect(a).toMatchObject({ email: 'Anna.Bakker@Clinic.example', roles: ['member'], twoFactorEnabled: false, failedLogins: 0 });
    await expect(store.users.create(staff({ email: ' anna.bakker@clinic.EXAMPLE ' }))).rejects.toEqual(storeError('duplicate'));
    expect((await store.users.secretsByEmail('ANNA.BAKKER@clinic.example'))?.account.id).toBe(a.id);
    const p = await store.patients.insert(aPatient());
    await store.users.create({ ...staff(), kind: 'patient', roles: [], patientId: p.id });
    await expect(store.users.create({ ...staff(), kind: 'patient', roles: [], patientId: p.id })).rejects.toEqual(storeError('duplicate'));
  });

  it('refuses roles on a patient account and unknown roles, in the database itself', async () => {
    const p = await store.patients.insert(aPatient());
    await expect(store.users.create({ ...staff(), kind: 'patient', roles: ['admin'], patientId: p.id })).rejects.toThrow(/check constraint/);
    await expect(store.users.create(staff({ roles: ['superuser' as never] }))).rejects.toThrow(/check constraint/);
  });

  it('locks after the threshold of failed sign-ins and unlocks on clear', async () => {
    const u = await store.users.create(staff());
    expect(await store.users.recordFailedLogin(u.id, 3, 900)).toEqual({ failedLogins: 1 });
    await store.users.recordFailedLogin(u.id, 3, 900);
    const locked = await store.users.recordFailedLogin(u.id, 3, 900);
    expect(locked.failedLogins).toBe(3);
    expect(Date.parse(locked.lockedUntil!)).toBeGreaterThan(Date.now() + 800_000);
    await store.users.clearFailedLogins(u.id);
    expect(await store.users.get(u.id)).toMatchObject({ failedLogins: 0 });
    expect((await store.users.get(u.id))?.lockedUntil).toBeUndefined();
  });

  it('ends sessions and trusted devices at once on deactivation', async () => {
    const u = await store.users.create(staff());
    const secrets = (await store.users.secretsById(u.id))!;
    await store.sessions.create({ idHash: `s-${u.id}`, userId: u.id, securityEpoch: secrets.securityEpoch, stage: 'complete', csrfToken: 'c' });
    await store.sessions.trustDevice(`d-${u.id}`, u.id, secrets.securityEpoch);
    expect(await store.sessions.get(`s-${u.id}`)).toMatchObject({ ended: false, current: true, account: { status: 'active' } });
    expect(await store.sessions.useTrustedDevice(`d-${u.id}`, u.id, 3600)).toBe(true);
    await store.users.deactivate(u.id);
    expect(await store.sessions.get(`s-${u.id}`)).toMatchObject({ ended: true, current: false, account: { status: 'deactivated' } });
    expect(await store.sessions.useTrustedDevice(`d-${u.id}`, u.id, 3600)).toBe(false);
  });

  it('spends each recovery code once', async () => {
    const u = await store.users.create(staff());
    await store.users.setPendingTotp(u.id, 'JBSWY3DPEHPK3PXP');
    await store.users.enableTotp(u.id, ['h0', 'h1']);
    expect((await store.users.get(u.id))?.twoFactorEnabled).toBe(true);
    expect(await store.users.spendRecoveryCode(u.id, 1)).toBe(true);
    expect(await store.users.spendRecoveryCode(u.id, 1)).toBe(false);
    expect(await store.users.spendRecoveryCode(u.id, 7)).toBe(false);
    const codes = (await store.users.secretsById(u.id))!.recoveryCodes;
    expect(codes[0]).toEqual({ hash: 'h0' });
    expect(codes[1]!.usedAt).toBeDefined();
    await store.users.resetTwoFactor(u.id);
    expect(await store.users.secretsById(u.id)).toMatchObject({ recoveryCodes: [], account: { twoFactorEnabled: false } });
  });

  it('counts throttled failures in a window shared by all processes', async () => {
    const key = `address:${randomUUID()}`;
    expect(await store.sessions.throttleHit(key, 900)).toBe(1);
    expect(await store.sessions.throttleHit(key, 900)).toBe(2);
    expect(await store.sessions.throttleCount(key, 900)).toBe(2);
    await store.sessions.throttleClear(key);
    expect(await store.sessions.throttleCount(key, 900)).toBe(0);
  });

  it('accepts an invitation once, and never after it expires', async () => {
    const u = await store.users.create(staff({ status: 'invited', passwordHash: undefined }));
    await store.sessions.createInvitation(`inv-${u.id}`, u.id, undefined, 3600);
    expect(await store.sessions.acceptInvitation(`inv-${u.id}`)).toBe(u.id);
    await expect(store.sessions.acceptInvitation(`inv-${u.id}`)).rejects.toEqual(storeError('not-found'));
    await store.sessions.createInvitation(`old-${u.id}`, u.id, undefined, 0);
    await expect(store.sessions.acceptInvitation(`old-${u.id}`)).rejects.toEqual(storeError('not-found'));
  });

  it('keeps connections with credentials: lookup, rotation overlap, revocation, failed-auth counts', async () => {
    const org = await store.organizations.save({ id: randomUUID(), name: 'Partner Health' });
    const c = await store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'fhir', name: 'Partner FHIR client' });
    expect(c.status).toBe('pending');
    await expect(store.connections.create({ id: randomUUID(), organizationId: randomUUID(), kind: 'his', name: 'x' })).rejects.toEqual(storeError('not-found'));
    const first = await store.connections.addCredential({ id: randomUUID(), connectionId: c.id, type: 'token', lookup: `tok-${c.id}`, secretHash: 'abc', createdBy: 'admin' });
    const second = await store.connections.addCredential({ id: randomUUID(), connectionId: c.id, type: 'token', lookup: `tok2-${c.id}`, secretHash: 'def', createdBy: 'admin' });
    expect(await store.connections.expireOtherCredentials(c.id, second.id, 3600)).toBe(1);
    const overlapping = await store.connections.findCredential('token', `tok-${c.id}`);
    expect(overlapping).toMatchObject({ usable: true, secretHash: 'abc', connection: { id: c.id, status: 'pending' } });
    expect(Date.parse(overlapping!.credential.expiresAt!)).toBeGreaterThan(Date.now());
    await store.connections.expireOtherCredentials(c.id, second.id, 0);
    expect((await store.connections.findCredential('token', `tok-${c.id}`))?.usable).toBe(false);
    await store.connections.revokeCredential(c.id, second.id);
    expect((await store.connections.findCredential('token', `tok2-${c.id}`))?.usable).toBe(false);
    expect((await store.connections.listCredentials(c.id)).map((x) => x.id)).toEqual([first.id, second.id]);
    await expect(store.connections.addCredential({ id: randomUUID(), connectionId: c.id, type: 'token', lookup: `tok-${c.id}`, secretHash: 'x', createdBy: 'a' }))
      .rejects.toEqual(storeError('duplicate'));

    await store.connections.recordFailedAuth(c.id);
    await store.connections.recordFailedAuth(c.id);
    const counted = await store.connections.get(c.id);
    expect(counted).toMatchObject({ failedAuthCount: 2 });
    expect(counted?.failedAuthSince).toBeDefined();
    expect((await store.connections.setStatus(c.id, 'active')).status).toBe('active');
    expect((await store.connections.list({ organizationId: org.id })).map((x) => x.id)).toEqual([c.id]);
  });

  it('moves a connection\'s token epoch on whenever it leaves active, by whatever statement, and at no other change', async () => {
    const org = await store.organizations.save({ id: randomUUID(), name: 'Epoch Health' });
    const c = await store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'fhir', name: 'Epoch client' });
    await store.connections.addCredential({ id: randomUUID(), connectionId: c.id, type: 'jwk', lookup: `jwk-${c.id}`, publicJwk: { kty: 'OKP' }, createdBy: 'admin' });
    const epochs = async () => [(await store.connections.getWithTokenEpoch(c.id))!.tokenEpoch, (await store.connections.findCredential('jwk', `jwk-${c.id}`))!.tokenEpoch];
    expect(await epochs()).toEqual([0, 0]);
    await store.connections.setStatus(c.id, 'active');
    await store.connections.setStatus(c.id, 'active');
    await store.connections.recordFailedAuth(c.id);
    expect(await epochs()).toEqual([0, 0]);
    await store.connections.setStatus(c.id, 'suspended');
    await store.connections.setStatus(c.id, 'suspended');
    expect(await epochs()).toEqual([1, 1]);
    await store.connections.setStatus(c.id, 'active');
    expect(await epochs()).toEqual([1, 1]);
    await t.db.query(`UPDATE connections SET status = 'pending' WHERE id = $1`, [c.id]);
    expect(await epochs()).toEqual([2, 2]);
    expect(await store.connections.getWithTokenEpoch(randomUUID())).toBeUndefined();
  });
});
