import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { timestampToIso } from './database.js';

describe('timestampToIso', () => {
  it('gives what Date gives for every UTC timestamp PostgreSQL writes, fraction cut to milliseconds', () => {
    const text = fc.record({
      at: fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
      micros: fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }),
      digits: fc.integer({ min: 1, max: 6 }),
    }).map(({ at, micros, digits }) => {
      const base = at.toISOString().slice(0, 19).replace('T', ' ');
      return micros === undefined ? `${base}+00` : `${base}.${String(micros).padStart(6, '0').slice(0, digits)}+00`;
    });
    fc.assert(fc.property(text, (t) => {
      expect(timestampToIso(t)).toBe(new Date(`${t.slice(0, -3).replace(' ', 'T')}Z`).toISOString());
    }), { numRuns: 2000 });
  });

  it('reads other zones and forms through Date', () => {
    expect(timestampToIso('2024-01-15 08:05:00.5+02')).toBe('2024-01-15T06:05:00.500Z');
    expect(timestampToIso('2024-01-15 08:05:00+05:30')).toBe('2024-01-15T02:35:00.000Z');
    expect(timestampToIso('2024-01-15T08:05:00.123456')).toBe('2024-01-15T08:05:00.123Z');
  });
});
