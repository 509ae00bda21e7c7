/**
 * The one seam between the store and an engine. Both engines return rows with the same JavaScript types:
 * numeric and date as text (exact), timestamptz as an ISO-8601 UTC string, bigint as a number.
 */
export type Engine = 'postgres' | 'pglite';

export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly engine: Engine;
  /** Runs fn in one transaction: committed when fn resolves, rolled back (nothing left behind) when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Receives NOTIFY payloads on a channel, after the notifying transaction commits. `onLost` is called when
   * notifications may have been missed (the listening connection broke; it is re-established), so a cache
   * built on them must be dropped.
   */
  listen(channel: string, onMessage: (payload: string) => void, onLost: () => void): Promise<() => Promise<void>>;
  /**
   * True when a notification has been delivered to this process's listeners before the call that committed it
   * returns, and no other process can write (the embedded engine): a cache kept by notifications is then current
   * for anything that starts after a commit.
   */
  readonly notifiesBeforeCommitReturns: boolean;
  close(): Promise<void>;
}

export const OID = { int8: 20, numeric: 1700, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

/** What the engines write in a UTC session, with a four-digit year: the ISO form is a rewrite of the text. */
const UTC_TIMESTAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/** PostgreSQL writes "2024-01-15 08:05:00.123+00" (zone per session, which both engines set to UTC). */
export function timestampToIso(text: string): string {
  // Rows carry several timestamps each: most are rewritten without a Date (milliseconds cut, as Date cuts them).
  const utc = UTC_TIMESTAMP.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${(utc[3] ?? '').slice(0, 3).padEnd(3, '0')}Z`;
  const m = /^(\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?(?::\d\d)?)?$/.exec(text);
  if (!m) return new Date(text).toISOString();
  const zone = m[3] ? `${m[3]}:${m[4] ?? '00'}` : 'Z';
  return new Date(`${m[1]}T${m[2]}${zone}`).toISOString();
}
