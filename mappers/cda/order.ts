import { startInstant } from '../../canonical/index.js';

/**
 * The orders the document lists records in. Code-unit comparison, not localeCompare: a collation depends on the
 * ICU data and locale of the machine, and the same input must give the same bytes everywhere.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const byId = <T extends { id: string }>(a: T, b: T): number => compareText(a.id, b.id);

/** Newest first, unknown times last; two spellings of the same instant in a fixed order. */
export function byTimeDesc(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareText(startInstant(b), startInstant(a)) || compareText(b, a);
}
