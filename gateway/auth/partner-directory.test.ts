import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../../test/support/database.js';
import { createChangeFeed, type ChangeFeed, type RootStore } from '../../store/index.js';
import { partnerDirectory } from './partner-directory.js';

let t: TestStore;
let feed: ChangeFeed;
let reads = 0;

/** Another process's view of the store: it hears of changes half a second late, and counts its lookups. */
function lateStore(store: RootStore): RootStore {
  return {
    ...store,
    notifiesBeforeCommitReturns: false,
    listen: (channel, onMessage, onLost) => store.listen(channel, (payload) => void setTimeout(() => onMessage(payload), 500), onLost),
    connections: { ...store.connections, findCredential: (type, lookup) => { reads += 1; return store.connections.findCredential(type, lookup); } },
    organizations: { ...store.organizations, findByHomeCommunityId: (hcid) => { reads += 1; return store.organizations.findByHomeCommunityId(hcid); } },
  };
}

beforeAll(async () => {
  t = await openTestStore();
  feed = createChangeFeed(lateStore(t.store));
  await feed.ready();
});
afterAll(async () => {
  await feed.close();
  await t.close();
});

const settle = () => new Promise((r) => setTimeout(r, 700));

describe(`the partner directory on ${engineUnderTest}`, () => {
  it('answers repeated lookups from its cache, and never a revoked credential or a suspended connection once committed', async () => {
    const late = lateStore(t.store);
    const partners = partnerDirectory(late, feed);
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Partner', homeCommunityId: 'urn:oid:2.999.77' });
    const connection = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'fhir', name: 'client' });
    await t.store.connections.setStatus(connection.id, 'active');
    const credential = await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: 'ab'.repeat(32), createdBy: 'test' });
    await settle();

    expect(await partners.findCredential('certificate', 'ab'.repeat(32))).toMatchObject({ usable: true, connection: { status: 'active' } });
    expect((await partners.organizationByHomeCommunityId('2.999.77'))?.id).toBe(org.id);
    const before = reads;
    await partners.findCredential('certificate', 'ab'.repeat(32));
    await partners.organizationByHomeCommunityId('urn:oid:2.999.77');
    expect(reads).toBe(before);

    await t.store.connections.setStatus(connection.id, 'suspended');
    expect((await partners.findCredential('certificate', 'ab'.repeat(32)))?.connection.status).toBe('suspended');
    await t.store.connections.revokeCredential(connection.id, credential.id);
    expect((await partners.findCredential('certificate', 'ab'.repeat(32)))?.usable).toBe(false);
    await settle();
    expect((await partners.findCredential('certificate', 'ab'.repeat(32)))?.usable).toBe(false);
  });

  it('answers a cached credential unconfirmed, and confirms it only with a clock at which nothing about partners changed since', async () => {
    const partners = partnerDirectory(lateStore(t.store), feed);
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Partner asked unconfirmed' });
    const connection = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'fhir', name: 'client' });
    await t.store.connections.setStatus(connection.id, 'active');
    await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: '12'.repeat(32), createdBy: 'test' });
    await settle();
    const key = '12'.repeat(32);
    // Not cached yet: read and confirmed now, as without the option.
    expect((await partners.findCredential('certificate', key, { unconfirmed: true }))?.confirm).toBeUndefined();

    const before = reads;
    const cached = await partners.findCredential('certificate', key, { unconfirmed: true });
    expect(cached).toMatchObject({ usable: true, connection: { status: 'active' } });
    expect(await cached!.confirm!(await t.store.changeClock())).toBe(true);
    expect(reads).toBe(before);

    // Committed, not yet heard of here: the cache still answers, and no clock read after the commit confirms it.
    await t.store.connections.setStatus(connection.id, 'suspended');
    const stale = await partners.findCredential('certificate', key, { unconfirmed: true });
    expect(stale?.connection.status).toBe('active');
    expect(await stale!.confirm!(await t.store.changeClock())).toBe(false);
    expect(await stale!.confirm!()).toBe(false);
    // Heard of since: the clock is current again, but the answer was given before the change reached the cache.
    await settle();
    expect(await stale!.confirm!()).toBe(false);
    const fresh = await partners.findCredential('certificate', key, { unconfirmed: true });
    expect(fresh?.connection.status).toBe('suspended');
    expect(fresh?.confirm).toBeUndefined();
  });

  it('judges a credential past its rotation overlap unusable at the moment of use, cached or not', async () => {
    let clock = Date.now();
    const partners = partnerDirectory(lateStore(t.store), feed, () => clock);
    const org = await t.store.organizations.save({ id: randomUUID(), name: 'Rotating partner' });
    const connection = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind: 'fhir', name: 'client' });
    await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: 'cd'.repeat(32), createdBy: 'test' });
    const renewed = await t.store.connections.addCredential({ id: randomUUID(), connectionId: connection.id, type: 'certificate', lookup: 'ef'.repeat(32), createdBy: 'test' });
    // The old certificate stays good for a minute of overlap after the new one is issued.
    await t.store.connections.expireOtherCredentials(connection.id, renewed.id, 60);
    await settle();
    expect((await partners.findCredential('certificate', 'cd'.repeat(32)))?.usable).toBe(true);
    clock += 61_000;
    expect((await partners.findCredential('certificate', 'cd'.repeat(32)))?.usable).toBe(false);
  });
});
