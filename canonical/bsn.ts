/**
 * The Dutch citizen service number (BSN): nine digits passing the 11-proef
 * 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11), with a non-zero sum (so 000000000 is refused).
 * Older eight-digit numbers are written with a leading zero. Source: nl-ketenzorg-medlab.md §9.
 */
export type BsnProblem = 'empty' | 'not-digits' | 'wrong-length' | 'check-failed';

export interface BsnCheck {
  readonly ok: boolean;
  /** The nine-digit form, present when ok. */
  readonly bsn?: string;
  readonly problem?: BsnProblem;
}

const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

export function checkBsn(input: string): BsnCheck {
  const text = input.trim();
  if (text === '') return { ok: false, problem: 'empty' };
  if (!/^\d+$/.test(text)) return { ok: false, problem: 'not-digits' };
  if (text.length !== 9 && text.length !== 8) return { ok: false, problem: 'wrong-length' };
  const bsn = text.padStart(9, '0');
  const sum = elfproefSum(bsn);
  if (sum === 0 || sum % 11 !== 0) return { ok: false, problem: 'check-failed' };
  return { ok: true, bsn };
}

export function isValidBsn(input: string): boolean {
  return checkBsn(input).ok;
}

export function describeBsnProblem(problem: BsnProblem): string {
  switch (problem) {
    case 'empty':
      return 'BSN is empty';
    case 'not-digits':
      return 'BSN must contain digits only';
    case 'wrong-length':
      return 'BSN must have 9 digits (or 8, for older numbers)';
    case 'check-failed':
      return 'BSN fails the 11-proef';
  }
}

function elfproefSum(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += WEIGHTS[i]! * (nineDigits.charCodeAt(i) - 48);
  return sum;
}

/**
 * Completes eight digits into a valid BSN by computing the check digit, or returns undefined when no digit
 * satisfies the 11-proef (the remainder would need 10). Used by the synthetic data generator.
 */
export function completeBsn(firstEight: string): string | undefined {
  if (!/^\d{8}$/.test(firstEight)) return undefined;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += WEIGHTS[i]! * (firstEight.charCodeAt(i) - 48);
  const check = sum % 11;
  if (check === 10) return undefined;
  const bsn = `${firstEight}${check}`;
  return isValidBsn(bsn) ? bsn : undefined;
}
