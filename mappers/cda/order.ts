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
  return compareText(instant(b), instant(a)) || compareText(b, a);
}

/**
 * startInstant of the times being ordered, kept: a sort compares each time many times, and working out an instant
 * (a date parse) at every comparison was most of what ordering a summary's records cost. Bounded, and invisible
 * to callers: the same time always has the same instant.
 */
const instants = new Map<string, string>();
const INSTANTS_KEPT = 4096;

function instant(time: string): string {
  let known = instants.get(time);
  if (known === undefined) {
    if (instants.size >= INSTANTS_KEPT) instants.clear();
    known = startInstant(time);
    instants.set(time, known);
  }
  return known;
}
