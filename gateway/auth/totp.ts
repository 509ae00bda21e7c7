import { randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verifySync } from 'otplib';
import { sha256 } from './secrets.js';

/** TOTP per RFC 6238: 30-second steps, 6 digits, SHA-1 (what authenticator apps support), one step of drift. */
export const TOTP_ISSUER = 'Crossgate';

export const newTotpSecret = () => generateSecret();

export function otpauthUri(secret: string, accountName: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: accountName, secret });
}

/** The time step the code belongs to when it is valid now (give it to acceptTotpStep to refuse a replay). */
export function verifyTotp(secret: string, code: string): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  try {
    const result = verifySync({ secret, token: code, epochTolerance: 30 });
    return result.valid ? Math.floor(Date.now() / 30_000) + result.delta : undefined;
  } catch {
    return undefined;
  }
}

/** Ten one-time recovery codes, shown once; only their SHA-256 is kept (they are random, so a fast hash suffices). */
export function newRecoveryCodes(count = 10): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: count }, () => {
    const raw = randomBytes(8).toString('hex');
    return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}-${raw.slice(12)}`;
  });
  return { codes, hashes: codes.map(normalRecoveryHash) };
}

export const normalRecoveryHash = (code: string) => sha256(code.toLowerCase().replace(/[^0-9a-f]/g, ''));
