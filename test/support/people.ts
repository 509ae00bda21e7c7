import { randomUUID } from 'node:crypto';
import type { Role } from '../../canonical/index.js';
import type { RootStore } from '../../store/index.js';
import { randomToken, sha256 } from '../../gateway/auth/secrets.js';

export interface TestSession {
  readonly userId: string;
  readonly cookie: string;
  readonly csrf: string;
}

/** An account with a session made directly in the store, for tests about what a role may do (not about signing in). */
export async function sessionFor(store: RootStore, who: { roles?: Role[]; patientId?: string; stage?: 'password' | 'complete' }): Promise<TestSession> {
  const id = randomUUID();
  await store.users.create({
    id, email: `${id.slice(0, 8)}@test.example`, displayName: 'Test', kind: who.patientId ? 'patient' : 'staff',
    roles: who.patientId ? [] : (who.roles ?? ['member']), ...(who.patientId ? { patientId: who.patientId } : {}), status: 'active', passwordHash: 'x',
  });
  const token = randomToken();
  const csrf = randomToken(24);
  const secrets = (await store.users.secretsById(id))!;
  await store.sessions.create({ idHash: sha256(token), userId: id, securityEpoch: secrets.securityEpoch, stage: who.stage ?? 'complete', csrfToken: csrf });
  return { userId: id, cookie: `cg_session=${token}`, csrf };
}
