import { z } from 'zod';

/**
 * An exact decimal kept as its written digits ("0.40" stays "0.40"). Clinical values are never held as binary
 * floats: a float would print 0.1 + 0.2 as 0.30000000000000004 and lose the trailing zeros that carry precision.
 */
const DECIMAL_PATTERN = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export const Decimal = z
  .string()
  .regex(DECIMAL_PATTERN, 'must be a decimal number written with digits and an optional "." (e.g. 7.5, -0.40)')
  .brand<'Decimal'>();
export type Decimal = z.infer<typeof Decimal>;

/**
 * Reads a decimal as senders write it: a comma or a point as the decimal mark, a leading "+", leading zeros and
 * surrounding blanks are accepted; anything else (thousand separators, exponents, words) is not a decimal.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const trimmed = text.trim().replace(/^\+/, '');
  const m = /^(-?)(\d+)(?:[.,](\d+))?$/.exec(trimmed);
  if (!m) return undefined;
  const sign = m[1] ?? '';
  const int = (m[2] ?? '').replace(/^0+(?=\d)/, '');
  const frac = m[3];
  const written = `${int === '0' && !frac ? '' : sign}${int}${frac !== undefined ? `.${frac}` : ''}`;
  return Decimal.parse(written === '-0' ? '0' : written);
}

/** Compares two decimals exactly, without converting either to a float. */
export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [ai, af] = split(a);
  const [bi, bf] = split(b);
  const width = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(width, '0'));
  const y = BigInt(bi + bf.padEnd(width, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

function split(d: string): [string, string] {
  const [int = '0', frac = ''] = d.split('.');
  return [int, frac];
}
