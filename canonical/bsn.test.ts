import { describe, expect, it } from '@jest/globals';
import { checkBsn, completeBsn, isValidBsn } from './bsn.js';

describe('BSN 11-proef', () => {
  it.each(['123456782', '111222333', '999990019'])('accepts %s', (bsn) => {
    expect(checkBsn(bsn)).toEqual({ ok: true, bsn });
  });

  it('accepts an eight-digit number as the nine-digit one with a leading zero', () => {
    const nine = completeBsn('01234567')!;
    expect(nine).toMatch(/^0\d{8}$/);
    expect(checkBsn(nine.slice(1))).toEqual({ ok: true, bsn: nine });
  });

  it.each([
    ['123456789', 'check-failed'],
    ['123456783', 'check-failed'],
    ['000000000', 'check-failed'],
    ['12345678', 'check-failed'],
    ['1234567', 'wrong-length'],
    ['1234567890', 'wrong-length'],
    ['12345678a', 'not-digits'],
    ['123 456 782', 'not-digits'],
    ['', 'empty'],
    ['   ', 'empty'],
  ])('rejects %p as %s', (input, problem) => {
    expect(checkBsn(input)).toEqual({ ok: false, problem });
    expect(isValidBsn(input)).toBe(false);
  });

  it('computes the check digit, and finds none when the remainder would be 10', () => {
    expect(completeBsn('12345678')).toBe('123456782');
    let withoutCheckDigit = 0;
    for (let n = 0; n < 1000; n++) {
      const eight = `9999${String(n).padStart(4, '0')}`;
      const bsn = completeBsn(eight);
      if (bsn === undefined) withoutCheckDigit++;
      else expect(isValidBsn(bsn)).toBe(true);
    }
    expect(withoutCheckDigit).toBeGreaterThan(50);
    expect(withoutCheckDigit).toBeLessThan(150);
  });
});
