import type { Database, Queryable } from './database.js';

/**
 * What a repository runs on: a query function, and `atomic`, which opens a transaction or, when the scope
 * already is one, joins it. So a repository method that needs several statements is atomic on its own and
 * also takes part in a caller's larger transaction.
 */
export interface Scope {
  readonly q: Queryable;
  atomic<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

export function rootScope(db: Database): Scope {
  return { q: db, atomic: (fn) => db.transaction(fn) };
}

export function transactionScope(tx: Queryable): Scope {
  return { q: tx, atomic: (fn) => fn(tx) };
}

/** Splits rows into batches small enough for one statement's parameter (a jsonb array). */
export function* batches<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
