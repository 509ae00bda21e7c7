import argon2 from 'argon2';

/**
 * Passwords: argon2id (OWASP's first choice; 19 MiB, 2 passes), and strength rules after NIST SP 800-63B:
 * long enough, not a known common password, not built from the account's own name or address. No composition
 * rules, which push people to predictable patterns.
 */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set([
  'password1234', 'password12345', 'password123456', '123456789012', 'qwertyuiop12', 'welkom123456', 'welkomwelkom',
  'iloveyou1234', 'administrator', 'letmein12345', 'changeme1234', 'wachtwoord12', 'wachtwoord123', 'passwordpassword',
  'qwerty123456', '111111111111', 'abcdefghijkl', 'abc123abc123', 'zomer2024zomer', 'welcome12345', 'crossgate123',
]);

export function passwordProblems(password: string, context: { email?: string; displayName?: string } = {}): string[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) problems.push(`must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`must have at most ${MAX_PASSWORD_LENGTH} characters`);
  const folded = password.toLowerCase();
  if (COMMON.has(folded)) problems.push('is a commonly used password');
  if (new Set(folded).size < 4) problems.push('uses too few different characters');
  const personal = [
    ...(context.email ? [context.email.split('@')[0]!] : []),
    ...(context.displayName ? context.displayName.split(/\s+/) : []),
  ].map((p) => p.toLowerCase()).filter((p) => p.length >= 4);
  if (personal.some((p) => folded.includes(p))) problems.push('must not contain your name or e-mail address');
  return problems;
}

export const hashPassword = (password: string) => argon2.hash(password, HASH_OPTIONS);

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (!hash) {
    // Spend the same time as a real check, so timing does not tell whether the account exists.
    await argon2.hash(password, HASH_OPTIONS);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
