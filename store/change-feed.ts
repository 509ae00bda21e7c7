import { coalesce } from './coalesce.js';
import type { RootStore } from './store.js';

/** The channel every cached kind of change is announced on (store/migrations/0011_change_clock.sql). */
export const CHANGES_CHANNEL = 'crossgate_changes';

/**
 * What keeps the caches of one gateway process right: every change to consent or to partners' credentials moves the
 * change clock in its own transaction and is announced with it as `<kind>:<scope>@<clock>`. The feed hands each
 * announcement to the caches of that kind (their own changes too, which they also drop at once), and tells whether
 * a cache may answer something asked now: only when every change committed before now has reached it. For that it
 * reads the clock once after the question (questions asked while it is read share the next read) and compares
 * it with the newest announcement taken in; the embedded engine needs no read, since it announces before its commit
 * returns and no other process writes. So a committed revocation is never answered from a stale cache, not even in
 * the moment before its announcement arrives. When the listening connection breaks, every cache is dropped and
 * nothing is current until the feed listens again.
 */
export interface ChangeFeed {
  /** Calls `drop` with the scope of every change of this kind (`*` for all); on a lost connection with `*`. */
  on(kind: string, drop: (scope: string) => void): void;
  /**
   * Whether caches may answer what is asked now. `clockReadSince`: the change clock as a statement read it after the
   * question was asked (AtClock), which spares the read of the clock this otherwise makes.
   */
  current(clockReadSince?: number): Promise<boolean>;
  /** Resolves once listening; rejects when the listener cannot be set up (then nothing is ever current). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A lookup's answer with the change clock its own statement read: when the lookup was made for a question, the
 * clock is one read after the question was asked, which is what `current` needs to know.
 */
export interface AtClock<T> {
  readonly value: T;
  readonly changeClock: number;
}

export function createChangeFeed(store: Pick<RootStore, 'listen' | 'notifiesBeforeCommitReturns' | 'changeClock'>): ChangeFeed {
  const handlers = new Map<string, ((scope: string) => void)[]>();
  let trusted = false;
  // The newest clock whose change every cache has taken in (from announcements, or a full drop).
  let seen = -1;

  const dropAll = () => {
    for (const list of handlers.values()) for (const drop of list) drop('*');
  };
  /** After listening (again): drop everything, then what commits from now on is announced to us. */
  const resynchronize = async () => {
    const clock = await store.changeClock();
    dropAll();
    seen = Math.max(seen, clock);
  };

  const listening = store
    .listen(
      CHANGES_CHANNEL,
      (payload) => {
        trusted = true;
        if (payload === '') {
          // Listening again after a break: what was announced meanwhile is unknown.
          dropAll();
          resynchronize().catch(() => undefined);
          return;
        }
        const at = payload.lastIndexOf('@');
        const change = at > 0 ? payload.slice(0, at) : payload;
        const colon = change.indexOf(':');
        const kind = colon > 0 ? change.slice(0, colon) : change;
        for (const drop of handlers.get(kind) ?? []) drop(colon > 0 ? change.slice(colon + 1) : '*');
        const clock = Number(payload.slice(at + 1));
        if (at > 0 && Number.isFinite(clock)) seen = Math.max(seen, clock);
      },
      () => {
        trusted = false;
        dropAll();
      },
    )
    .then(async (stop) => {
      await resynchronize();
      trusted = true;
      return stop;
    });
  // Without a listener nothing is current, so caches are bypassed and answers stay right; ready() reports it.
  listening.catch(() => undefined);

  // The questions asked while the clock is being read share the next read, which starts after all of them.
  const clockAfterNow = coalesce(async (questions: readonly unknown[]) => {
    const clock = await store.changeClock();
    return questions.map(() => clock);
  }, Number.MAX_SAFE_INTEGER);

  return {
    on(kind, drop) {
      handlers.set(kind, [...(handlers.get(kind) ?? []), drop]);
    },
    async current(clockReadSince) {
      if (!trusted) return false;
      if (store.notifiesBeforeCommitReturns) return true;
      return (clockReadSince ?? (await clockAfterNow(undefined))) <= seen;
    },
    async ready() {
      await listening;
    },
    async close() {
      const stop = await listening.catch(() => undefined);
      await stop?.();
    },
  };
}
