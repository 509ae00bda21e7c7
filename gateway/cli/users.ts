import { randomUUID } from 'node:crypto';
import type { RootStore } from '../../store/index.js';
import { hashPassword, passwordProblems } from '../auth/passwords.js';
import { randomToken } from '../auth/secrets.js';
import { newTotpSecret, otpauthUri } from '../auth/totp.js';

export interface CreatedAdmin {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly otpauthUri: string;
}

/**
 * The first administrator of a new installation: an active admin account with a password (given, or made
 * here) and a TOTP secret awaiting confirmation, which the first sign-in's code completes.
 */
export async function createAdmin(store: RootStore, email: string, displayName: string, givenPassword?: string): Promise<CreatedAdmin> {
  const password = givenPassword ?? randomToken(18);
  const problems = passwordProblems(password, { email, displayName });
  if (problems.length > 0) throw new Error(`password ${problems.join('; ')}`);
  const id = randomUUID();
  const secret = newTotpSecret();
  await store.transaction(async (tx) => {
    await tx.users.create({ id, email, displayName, kind: 'staff', roles: ['admin'], status: 'active', passwordHash: await hashPassword(password) });
    await tx.users.setPendingTotp(id, secret);
  });
  return { id, email, password, otpauthUri: otpauthUri(secret, email) };
}
