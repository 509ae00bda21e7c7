import type { Account, Role, UserKind, UserStatus } from '../canonical/index.js';
import { StoreError } from './errors.js';
import type { Scope } from './scope.js';

/** A session joined with the account it belongs to, as each request checks it. */
export interface SessionView {
  readonly userId: string;
  readonly stage: 'password' | 'complete';
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly ended: boolean;
  /** False when the account's security epoch moved on (deactivation, password or 2FA reset) since sign-in. */
  readonly current: boolean;
  readonly account: Pick<Account, 'id' | 'email' | 'displayName' | 'kind' | 'roles' | 'status' | 'patientId' | 'twoFactorEnabled'>;
}

type SessionRow = {
  user_id: string; stage: 'password' | 'complete'; csrf_token: string; created_at: string; last_seen_at: string;
  ended_at: string | null; session_epoch: number; security_epoch: number; email: string; display_name: string;
  kind: UserKind; roles: Role[]; status: UserStatus; patient_id: string | null; totp_enabled_at: string | null;
};

export function sessionRepository(scope: Scope) {
  const { q } = scope;
  return {
    async create(s: { idHash: string; userId: string; securityEpoch: number; stage: 'password' | 'complete'; csrfToken: string; sourceAddress?: string }): Promise<void> {
      await q.query(
        `INSERT INTO sessions (id_hash, user_id, security_epoch, stage, csrf_token, source_address) VALUES ($1, $2, $3, $4, $5, $6)`,
        [s.idHash, s.userId, s.securityEpoch, s.stage, s.csrfToken, s.sourceAddress ?? null],
      );
    },
    async get(idHash: string): Promise<SessionView | undefined> {
      const row = (await q.query<SessionRow>(
        `SELECT s.user_id, s.stage, s.csrf_token, s.created_at, s.last_seen_at, s.ended_at, s.security_epoch AS session_epoch,
                u.security_epoch, u.email, u.display_name, u.kind, u.roles, u.status, u.patient_id, u.totp_enabled_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`,
        [idHash],
      ))[0];
      if (!row) return undefined;
      return {
        userId: row.user_id, stage: row.stage, csrfToken: row.csrf_token, createdAt: row.created_at, lastSeenAt: row.last_seen_at,
        ended: row.ended_at !== null, current: row.session_epoch === row.security_epoch,
        account: {
          id: row.user_id, email: row.email, displayName: row.display_name, kind: row.kind, roles: [...row.roles].sort(), status: row.status,
          ...(row.patient_id ? { patientId: row.patient_id } : {}), twoFactorEnabled: row.totp_enabled_at !== null,
        },
      };
    },
    async touch(idHash: string): Promise<void> {
      await q.query('UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1', [idHash]);
    },
    async end(idHash: string): Promise<void> {
      await q.query('UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL', [idHash]);
    },
    async endAllForUser(userId: string): Promise<number> {
      return (await q.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL RETURNING id_hash', [userId])).length;
    },

    async trustDevice(idHash: string, userId: string, securityEpoch: number): Promise<void> {
      await q.query('INSERT INTO trusted_devices (id_hash, user_id, security_epoch) VALUES ($1, $2, $3)', [idHash, userId, securityEpoch]);
    },
    /** True, and the device's idle clock restarted, when it is trusted for this user, current, and used within maxIdle. */
    async useTrustedDevice(idHash: string, userId: string, maxIdleSeconds: number): Promise<boolean> {
      const rows = await q.query(
        `UPDATE trusted_devices d SET last_used_at = now() FROM users u
         WHERE d.id_hash = $1 AND d.user_id = $2 AND u.id = d.user_id AND d.security_epoch = u.security_epoch
           AND d.revoked_at IS NULL AND d.last_used_at > now() - make_interval(secs => $3) RETURNING d.id_hash`,
        [idHash, userId, maxIdleSeconds],
      );
      return rows.length === 1;
    },
    async revokeDevice(idHash: string): Promise<void> {
      await q.query('UPDATE trusted_devices SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL', [idHash]);
    },

    /** Counts a failure against `key` in a window of `windowSeconds`, starting a new window when the old one ran out. */
    async throttleHit(key: string, windowSeconds: number): Promise<number> {
      const rows = await q.query<{ failures: number }>(
        `INSERT INTO auth_throttle (key, failures, window_start) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN auth_throttle.window_start < now() - make_interval(secs => $2) THEN 1 ELSE auth_throttle.failures + 1 END,
           window_start = CASE WHEN auth_throttle.window_start < now() - make_interval(secs => $2) THEN now() ELSE auth_throttle.window_start END
         RETURNING failures`,
        [key, windowSeconds],
      );
      return rows[0]!.failures;
    },
    async throttleCount(key: string, windowSeconds: number): Promise<number> {
      const rows = await q.query<{ failures: number }>(
        `SELECT failures FROM auth_throttle WHERE key = $1 AND window_start >= now() - make_interval(secs => $2)`,
        [key, windowSeconds],
      );
      return rows[0]?.failures ?? 0;
    },
    async throttleClear(key: string): Promise<void> {
      await q.query('DELETE FROM auth_throttle WHERE key = $1', [key]);
    },

    async createInvitation(tokenHash: string, userId: string, createdBy: string | undefined, ttlSeconds: number): Promise<string> {
      const rows = await q.query<{ expires_at: string }>(
        `INSERT INTO invitations (token_hash, user_id, created_by, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`,
        [tokenHash, userId, createdBy ?? null, ttlSeconds],
      );
      return rows[0]!.expires_at;
    },
    /** Takes an invitation once: the user id when it is open and not expired, else a not-found error. */
    async acceptInvitation(tokenHash: string): Promise<string> {
      const rows = await q.query<{ user_id: string }>(
        `UPDATE invitations SET accepted_at = now() WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() RETURNING user_id`,
        [tokenHash],
      );
      if (!rows[0]) throw new StoreError('not-found', 'invitation unknown, used or expired');
      return rows[0].user_id;
    },
  };
}

export type SessionRepository = ReturnType<typeof sessionRepository>;
