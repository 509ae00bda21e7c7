import { describe, expect, it } from '@jest/globals';
import { compareDecimals, Decimal, parseDecimal } from './decimal.js';

describe('exact decimals', () => {
  it.each(['0', '7', '-3', '0.40', '5.0', '123456789012345678901234567890.000000000000000001'])('keeps %s as written', (d) => {
    expect(Decimal.parse(d)).toBe(d);
    expect(JSON.parse(JSON.stringify({ v: Decimal.parse(d) })).v).toBe(d);
  });

  it.each(['1,5', '1e3', '.5', '5.', '01', '+1', '1 000', 'NaN', ''])('refuses %p', (d) => {
    expect(Decimal.safeParse(d).success).toBe(false);
  });

  it.each([
    ['1,5', '1.5'],
    [' 0.40 ', '0.40'],
    ['+7', '7'],
    ['007.50', '7.50'],
    ['-0', '0'],
    ['-0,30', '-0.30'],
  ])('reads what senders write: %p → %s', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
  });

  it.each(['1.000,5', '1e3', 'Zie onder', '', '<5'])('does not read %p as a decimal', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });

  it('compares without floating point', () => {
    const d = (s: string) => Decimal.parse(s);
    expect(compareDecimals(d('0.30'), d('0.3'))).toBe(0);
    expect(compareDecimals(d('0.1'), d('0.10000000000000000001'))).toBe(-1);
    expect(compareDecimals(d('-1.5'), d('-1.25'))).toBe(-1);
    expect(compareDecimals(d('-0.5'), d('0'))).toBe(-1);
    expect(compareDecimals(d('10'), d('9.99'))).toBe(1);
  });
});
