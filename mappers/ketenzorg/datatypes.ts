import { canonicalSystem, type Coding, type Identifier } from '../../canonical/index.js';
import type { XmlElement } from './xml.js';

/** HL7v3 data types as Ketenzorg uses them (II, CD/CE, TS), read from the element tree. */

export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : [];
}

/** Follows a chain of first children by name: `descend(msg, 'sender', 'device', 'id')`. */
export function descend(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = child(current, name);
  return current;
}

export interface InstanceId {
  readonly root: string;
  readonly extension?: string;
}

/** An II; one with a nullFlavor or without a root identifies nothing. */
export function instanceId(element: XmlElement | undefined): InstanceId | undefined {
  const root = element?.attributes.root?.trim();
  if (!element || !root || element.attributes.nullFlavor) return undefined;
  const extension = element.attributes.extension?.trim();
  // An empty extension is a broken id, not the root alone: the root is then the sender's namespace for many ids.
  if (extension === '') return undefined;
  return extension ? { root, extension } : { root };
}

/** One string per II, for ids and look-ups: `root^extension`, or the root alone when it is the whole id. */
export function idKey(id: InstanceId): string {
  return id.extension === undefined ? id.root : `${id.root}^${id.extension}`;
}

/** An II as a canonical identifier (system in its canonical spelling); a root-only II names no one here. */
export function identifierOf(id: InstanceId): Identifier | undefined {
  return id.extension === undefined ? undefined : { system: canonicalSystem(id.root), value: id.extension };
}

export function identifiersOf(elements: readonly XmlElement[]): Identifier[] {
  return elements.flatMap((e) => {
    const id = instanceId(e);
    const identifier = id && identifierOf(id);
    return identifier ? [identifier] : [];
  });
}

/** A CD/CE/CV as a canonical coding, or undefined when it has no code or no code system. */
export function codingOf(element: XmlElement | undefined): Coding | undefined {
  const code = element?.attributes.code?.trim();
  const system = element?.attributes.codeSystem?.trim();
  if (!element || !code || !system) return undefined;
  const display = element.attributes.displayName?.trim();
  const version = element.attributes.codeSystemVersion?.trim();
  return {
    system: canonicalSystem(system),
    code,
    ...(display ? { display } : {}),
    ...(version ? { version } : {}),
  };
}

const TS = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/;

/**
 * An HL7v3 TS as a FHIR date or dateTime, precision kept: `2019` → `2019`, `20190130` → `2019-01-30`,
 * `201901301415` → `2019-01-30T14:15+01:00`. A time without a zone is read as Dutch local time
 * (assumed: Ketenzorg senders are Dutch systems and the standards give no zone rule), so the instant is right in
 * both summer and winter. Undefined when the text is no valid TS.
 */
export function hl7Time(value: string | undefined): string | undefined {
  const m = value === undefined ? null : TS.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as [string, string, string?, string?, string?, string?, string?, string?, string?];
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d !== undefined && (Number(d) < 1 || Number(d) > daysIn(Number(y), Number(mo)))) return undefined;
  if ((h !== undefined && Number(h) > 23) || (mi !== undefined && Number(mi) > 59) || (s !== undefined && Number(s) > 59)) return undefined;
  const date = [y, mo, d].filter((p) => p !== undefined).join('-');
  if (h === undefined) return date;
  const time = `${h}:${mi ?? '00'}${s !== undefined ? `:${s}${frac !== undefined ? `.${frac}` : ''}` : ''}`;
  const offset = zone !== undefined ? zoneMinutes(zone) : amsterdamOffset(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi ?? 0), Number(s ?? 0)));
  if (offset === undefined) return undefined;
  return `${date}T${time}${formatOffset(offset)}`;
}

/**
 * Whether FHIR date or dateTime `a` (from hl7Time, any precision) lies more than a day after `b`: the earliest
 * instant `a` can mean against the last `b` can (a year or month `b` runs to its end), with a day for zones and
 * dates without a time.
 */
export function laterThan(a: string, b: string): boolean {
  const [at, bt] = [Date.parse(a), latestOf(b)];
  return Number.isFinite(at) && Number.isFinite(bt) && at > bt + DAY_MS;
}

function latestOf(value: string): number {
  const partial = /^(\d{4})(?:-(\d{2}))?$/.exec(value);
  if (!partial) return Date.parse(value);
  const year = Number(partial[1]);
  return partial[2] === undefined ? Date.UTC(year + 1, 0, 1) : Date.UTC(year, Number(partial[2]), 1);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneMinutes(zone: string): number | undefined {
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const AMSTERDAM = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Amsterdam', timeZoneName: 'longOffset' });
const DAY_MS = 86_400_000;
/**
 * UTC day → the offset in force all that day, or null on a day the offset changes. Asking Intl was most of the
 * cost of a time; Amsterdam's offset has never changed twice within 56 days (tz data 1800–2200), so a day whose
 * first and last millisecond share an offset has it throughout. Bounded: a day is a few bytes, 100,000 days is
 * 270 years of dates.
 */
const dayOffsets = new Map<number, number | null>();

function offsetAt(utcMs: number): number {
  const day = Math.floor(utcMs / DAY_MS);
  let known = dayOffsets.get(day);
  if (known === undefined) {
    const first = intlOffsetAt(day * DAY_MS);
    known = first === intlOffsetAt((day + 1) * DAY_MS - 1) ? first : null;
    if (dayOffsets.size >= 100_000) dayOffsets.clear();
    dayOffsets.set(day, known);
  }
  return known ?? intlOffsetAt(utcMs);
}

function intlOffsetAt(utcMs: number): number {
  const name = AMSTERDAM.formatToParts(utcMs).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  // Seconds in old local mean time offsets are dropped: FHIR offsets have minutes only.
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The offset in force at a wall-clock time in Amsterdam (given as if it were UTC); a second pass settles DST edges. */
export function amsterdamOffset(wallClockAsUtcMs: number): number {
  const first = offsetAt(wallClockAsUtcMs - 60 * 60_000);
  return offsetAt(wallClockAsUtcMs - first * 60_000);
}
