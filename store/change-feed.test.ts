import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { aPatient } from '../test/support/factories.js';
import { createChangeFeed } from './change-feed.js';

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => t.close());

describe(`the change feed on ${engineUnderTest}`, () => {
  it('reads the clock once for the questions asked while it is read, and again, after them, for those asked meanwhile', async () => {
    const reads: { release: () => void }[] = [];
    let hold = false;
    const feed = createChangeFeed({
      // As another process sees it: announcements arrive after the commit returns, so the clock must be read.
      notifiesBeforeCommitReturns: false,
      listen: (channel, onMessage, onLost) => t.store.listen(channel, onMessage, onLost),
      changeClock: async () => {
        if (hold) await new Promise<void>((release) => reads.push({ release }));
        return t.store.changeClock();
      },
    });
    await feed.ready();
    hold = true;
    const first = [feed.current(), feed.current(), feed.current()];
    while (reads.length < 1) await new Promise((r) => setImmediate(r));
    const meanwhile = [feed.current(), feed.current()];
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toHaveLength(1);
    reads[0]!.release();
    expect(await Promise.all(first)).toEqual([true, true, true]);
    while (reads.length < 2) await new Promise((r) => setImmediate(r));
    reads[1]!.release();
    expect(await Promise.all(meanwhile)).toEqual([true, true]);
    expect(reads).toHaveLength(2);
    hold = false;
    await feed.close();
  });

  it('is not current while a committed change has not reached it', async () => {
    let deliver = true;
    const feed = createChangeFeed({
      notifiesBeforeCommitReturns: false,
      listen: (channel, onMessage, onLost) => t.store.listen(channel, (payload) => { if (deliver) onMessage(payload); }, onLost),
      changeClock: () => t.store.changeClock(),
    });
    await feed.ready();
    expect(await feed.current()).toBe(true);
    deliver = false;
    const p = await t.store.patients.insert(aPatient());
    await t.store.consent.setChoice(p.id, 0, ['Treatment'], { setBy: 'staff', kind: 'staff' });
    expect(await feed.current()).toBe(false);
    await feed.close();
  });
});
