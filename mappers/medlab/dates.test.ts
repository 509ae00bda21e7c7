import { describe, expect, it } from '@jest/globals';
import { amsterdamDateTime, calendarDate, partialDate, yearFromTwoDigits, yearNotAfter } from './dates.js';

describe('MEDLAB dates', () => {
  it('reads two-digit years as 20YY up to the pivot, 19YY above it', () => {
    expect([yearFromTwoDigits(25, 99), yearFromTwoDigits(25, 30), yearFromTwoDigits(31, 30)]).toEqual([2025, 2025, 1931]);
  });

  it('places a two-digit birth year on or before the reference year', () => {
    expect([yearNotAfter(50, 2025), yearNotAfter(25, 2025), yearNotAfter(26, 2025)]).toEqual([1950, 2025, 1926]);
  });

  it('keeps 00 as an unknown month or day and refuses impossible dates', () => {
    expect(partialDate(calendarDate(1962, '07', '00')!)).toBe('1962-07');
    expect(partialDate(calendarDate(1962, '00', '00')!)).toBe('1962');
    expect([calendarDate(2023, '02', '29'), calendarDate(2024, '13', '01'), calendarDate(2024, '00', '05')]).toEqual([undefined, undefined, undefined]);
    expect(calendarDate(2024, '02', '29')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it.each([
    [2025, 3, 30, 1, 59, '+01:00'], [2025, 3, 30, 3, 0, '+02:00'], [2025, 10, 26, 2, 30, '+02:00'], [2025, 10, 26, 3, 0, '+01:00'], [2025, 7, 1, 12, 0, '+02:00'],
  ])('gives %i-%i-%i %i:%i the offset %s', (year, month, day, hours, minutes, offset) => {
    expect(amsterdamDateTime({ year, month, day }, { hours, minutes })).toMatch(new RegExp(`\\${offset}$`));
  });

  it('gives no date-time before the current summer-time rule or for a partial date', () => {
    expect(amsterdamDateTime({ year: 1990, month: 6, day: 1 }, { hours: 8, minutes: 0 })).toBeUndefined();
    expect(amsterdamDateTime({ year: 2025, month: 6, day: 0 }, { hours: 8, minutes: 0 })).toBeUndefined();
  });
});
