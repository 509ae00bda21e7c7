/**
 * MEDLAB dates: PID `YYYY:MM:DD`, DET `YY:MM:DD` + `HH:MM`, UNB `YYMMDD:HHMM`, all local Dutch time without an
 * offset (nl-ketenzorg-medlab.md §8.1, assumed Europe/Amsterdam). Two-digit years are read as 20YY unless above
 * the configured pivot (then 19YY); a two-digit birth year is placed in the century that keeps it on or before
 * the message date, as a birth cannot follow its own lab result.
 */
export interface CalendarDate {
  readonly year: number;
  /** 0 when the sender wrote 00: the month is unknown. */
  readonly month: number;
  /** 0 when the sender wrote 00: the day is unknown. */
  readonly day: number;
}

export function yearFromTwoDigits(yy: number, pivot: number): number {
  return yy <= pivot ? 2000 + yy : 1900 + yy;
}

/** The latest year ending in `yy` that is not after `notAfter`. */
export function yearNotAfter(yy: number, notAfter: number): number {
  return notAfter - (((notAfter % 100) - yy + 100) % 100);
}

/**
 * A date from its written parts; `year` is the 4-digit year already resolved. 00 for month or day means
 * unknown (a partial date), as GP systems write it; any other impossible date gives undefined.
 */
export function calendarDate(year: number, month: string, day: string): CalendarDate | undefined {
  if (!/^\d{1,2}$/.test(month) || !/^\d{1,2}$/.test(day)) return undefined;
  const m = Number(month);
  const d = Number(day);
  if (m > 12 || (m === 0 && d !== 0) || d > daysInMonth(year, m)) return undefined;
  return { year, month: m, day: d };
}

function daysInMonth(year: number, month: number): number {
  if (month === 0) return 31;
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** FHIR partial date: YYYY, YYYY-MM or YYYY-MM-DD. */
export function partialDate(date: CalendarDate): string {
  const y = String(date.year).padStart(4, '0');
  if (date.month === 0) return y;
  const m = String(date.month).padStart(2, '0');
  return date.day === 0 ? `${y}-${m}` : `${y}-${m}-${String(date.day).padStart(2, '0')}`;
}

/** Hours and minutes as written (two digits each); undefined unless a valid time of day. */
export function timeOfDay(hours: string, minutes: string): { hours: number; minutes: number } | undefined {
  if (!/^\d{2}$/.test(hours) || !/^\d{2}$/.test(minutes)) return undefined;
  const h = Number(hours);
  const m = Number(minutes);
  return h < 24 && m < 60 ? { hours: h, minutes: m } : undefined;
}

/** The EU summer-time rule (last Sunday of March to last Sunday of October) holds for the Netherlands since 1996. */
const FIRST_YEAR_OF_CURRENT_RULE = 1996;

/**
 * A local Dutch date and time as a FHIR dateTime with its offset (+01:00 winter, +02:00 summer). In the October
 * hour that occurs twice, summer time is chosen. Undefined for a partial date or a year before the current rule:
 * the caller then keeps the date alone rather than guess an offset.
 */
export function amsterdamDateTime(date: CalendarDate, time: { hours: number; minutes: number }): string | undefined {
  if (date.month === 0 || date.day === 0 || date.year < FIRST_YEAR_OF_CURRENT_RULE) return undefined;
  const local = Date.UTC(date.year, date.month - 1, date.day, time.hours, time.minutes);
  const summerStarts = Date.UTC(date.year, 2, lastSunday(date.year, 2), 2);
  const summerEnds = Date.UTC(date.year, 9, lastSunday(date.year, 9), 3);
  const offset = local >= summerStarts && local < summerEnds ? '+02:00' : '+01:00';
  const hh = String(time.hours).padStart(2, '0');
  const mm = String(time.minutes).padStart(2, '0');
  return `${partialDate(date)}T${hh}:${mm}:00${offset}`;
}

/** Day of the month of the last Sunday in a month (month 0-based). */
function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/** Whether `a` is a later day than `b` (an unknown month or day, 0, counts as the earliest). */
export function later(a: CalendarDate, b: CalendarDate): boolean {
  return a.year !== b.year ? a.year > b.year : a.month !== b.month ? a.month > b.month : a.day > b.day;
}
