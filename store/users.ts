import type { Account, Role, UserKind, UserStatus } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { Scope } from './scope.js';

/** The secrets of an account, read only by the sign-in path. */
export interface AccountSecrets {
  readonly account: Account;
  readonly passwordHash?: string;
  readonly totpSecret?: string;
  readonly recoveryCodes: readonly { hash: string; usedAt?: string }[];
  readonly securityEpoch: number;
}

type Row = {
  id: string; email: string; display_name: string; kind: UserKind; roles: Role[]; patient_id: string | null;
  status: UserStatus; password_hash: string | null; totp_secret: string | null; totp_enabled_at: string | null;
  recovery_codes: { hash: string; usedAt?: string }[]; failed_logins: number; locked_until: string | null;
  security_epoch: number; created_at: string;
};

const COLUMNS = `id, email, display_name, kind, roles, patient_id, status, password_hash, totp_secret, totp_enabled_at,
  recovery_codes, failed_logins, locked_until, security_epoch, created_at`;

function account(r: Row): Account {
  return {
    id: r.id, email: r.email, displayName: r.display_name, kind: r.kind, roles: [...r.roles].sort(),
    ...(r.patient_id ? { patientId: r.patient_id } : {}), status: r.status, twoFactorEnabled: r.totp_enabled_at !== null,
    ...(r.locked_until ? { lockedUntil: r.locked_until } : {}), failedLogins: r.failed_logins, createdAt: r.created_at,
  };
}

function secrets(r: Row): AccountSecrets {
  return {
    account: account(r),
    ...(r.password_hash ? { passwordHash: r.password_hash } : {}),
    ...(r.totp_secret ? { totpSecret: r.totp_secret } : {}),
    recoveryCodes: r.recovery_codes,
    securityEpoch: r.security_epoch,
  };
}

/** E-mail addresses are unique whatever their case or surrounding blanks. */
export const emailKey = (email: string) => email.trim().toLowerCase();

export type NewUser = Pick<Account, 'id' | 'email' | 'displayName' | 'kind' | 'roles' | 'patientId' | 'status'> & { readonly passwordHash?: string };

export function userRepository(scope: Scope) {
  const { q } = scope;
  const one = async (sql: string, params: unknown[]): Promise<Row | undefined> => (await q.query<Row>(sql, params))[0];
  const required = async (sql: string, params: unknown[]): Promise<Row> => {
    const row = await one(sql, params);
    if (!row) throw new StoreError('not-found', 'account not found');
    return row;
  };

  return {
    async create(user: NewUser): Promise<Account> {
      try {
        const row = await required(
          `INSERT INTO users (id, email, email_key, display_name, kind, roles, patient_id, status, password_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
          [user.id, user.email.trim(), emailKey(user.email), user.displayName, user.kind, [...new Set(user.roles)], user.patientId ?? null, user.status, user.passwordHash ?? null],
        );
        return account(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreError('duplicate', 'an account with this e-mail address (or for this patient) exists');
        throw error;
      }
    },
    async get(id: string): Promise<Account | undefined> {
      const row = await one(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return row ? account(row) : undefined;
    },
    async secretsByEmail(email: string): Promise<AccountSecrets | undefined> {
      const row = await one(`SELECT ${COLUMNS} FROM users WHERE email_key = $1`, [emailKey(email)]);
      return row ? secrets(row) : undefined;
    },
    async secretsById(id: string): Promise<AccountSecrets | undefined> {
      const row = await one(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return row ? secrets(row) : undefined;
    },
    async list(filter: { kind?: UserKind; status?: UserStatus; limit?: number } = {}): Promise<Account[]> {
      const rows = await q.query<Row>(
        `SELECT ${COLUMNS} FROM users WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY email_key LIMIT $3`,
        [filter.kind ?? null, filter.status ?? null, Math.min(filter.limit ?? 200, 1000)],
      );
      return rows.map(account);
    },
    async countAdmins(): Promise<number> {
      const rows = await q.query<{ n: number }>(`SELECT count(*) AS n FROM users WHERE status = 'active' AND 'admin' = ANY(roles)`);
      return rows[0]!.n;
    },
    /**
     * New roles take effect through a new sign-in: the person's sessions end, so a role that needs a second
     * factor is never held in a session that did not give one.
     */
    async setRoles(id: string, roles: readonly Role[]): Promise<Account> {
      return scope.atomic(async (tx) => {
        const row = (await tx.query<Row>(
          `UPDATE users SET roles = $2, security_epoch = security_epoch + 1, updated_at = now() WHERE id = $1 AND kind = 'staff' RETURNING ${COLUMNS}`,
          [id, [...new Set(roles)]],
        ))[0];
        if (!row) throw new StoreError('not-found', 'account not found');
        await tx.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [id]);
        return account(row);
      });
    },
    /** Activates an invited account with its first password. */
    async activate(id: string, passwordHash: string): Promise<Account> {
      return account(await required(
        `UPDATE users SET status = 'active', password_hash = $2, updated_at = now() WHERE id = $1 AND status = 'invited' RETURNING ${COLUMNS}`,
        [id, passwordHash],
      ));
    },
    /** Ends every session and trusted device at once: the epoch they carry no longer matches. */
    async deactivate(id: string): Promise<Account> {
      return scope.atomic(async (tx) => {
        const row = (await tx.query<Row>(
          `UPDATE users SET status = 'deactivated', security_epoch = security_epoch + 1, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
          [id],
        ))[0];
        if (!row) throw new StoreError('not-found', 'account not found');
        await tx.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [id]);
        await tx.query('UPDATE trusted_devices SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
        return account(row);
      });
    },
    async reactivate(id: string): Promise<Account> {
      return account(await required(`UPDATE users SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'deactivated' AND password_hash IS NOT NULL RETURNING ${COLUMNS}`, [id]));
    },
    async setPassword(id: string, passwordHash: string): Promise<void> {
      await required(`UPDATE users SET password_hash = $2, security_epoch = security_epoch + 1, updated_at = now() WHERE id = $1 RETURNING id`, [id, passwordHash]);
    },
    /** Counts a failed sign-in; at `threshold` failures the account locks for `lockSeconds`. */
    async recordFailedLogin(id: string, threshold: number, lockSeconds: number): Promise<{ failedLogins: number; lockedUntil?: string }> {
      const row = await required(
        `UPDATE users SET failed_logins = failed_logins + 1,
           locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, threshold, lockSeconds],
      );
      return { failedLogins: row.failed_logins, ...(row.locked_until ? { lockedUntil: row.locked_until } : {}) };
    },
    async clearFailedLogins(id: string): Promise<void> {
      await q.query('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1', [id]);
    },
    /** An enrolment in progress: the secret is kept, not yet required, until a first code confirms it. */
    async setPendingTotp(id: string, secret: string): Promise<void> {
      await required(`UPDATE users SET totp_secret = $2, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = now() WHERE id = $1 RETURNING id`, [id, secret]);
    },
    async enableTotp(id: string, recoveryCodeHashes: readonly string[]): Promise<void> {
      await required(
        `UPDATE users SET totp_enabled_at = now(), recovery_codes = $2, updated_at = now() WHERE id = $1 AND totp_secret IS NOT NULL RETURNING id`,
        [id, JSON.stringify(recoveryCodeHashes.map((hash) => ({ hash })))],
      );
    },
    /** Removes the second factor and signs the person out everywhere (an admin reset after a lost phone). */
    async resetTwoFactor(id: string): Promise<void> {
      await scope.atomic(async (tx) => {
        const rows = await tx.query(
          `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, recovery_codes = '[]', security_epoch = security_epoch + 1, updated_at = now()
           WHERE id = $1 RETURNING id`,
          [id],
        );
        if (rows.length === 0) throw new StoreError('not-found', 'account not found');
        await tx.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [id]);
        await tx.query('UPDATE trusted_devices SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
      });
    },
    /** Accepts a TOTP time step only if it is later than the last one accepted (each code works once). */
    async acceptTotpStep(id: string, step: number): Promise<boolean> {
      const rows = await q.query('UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id', [id, step]);
      return rows.length === 1;
    },
    /** Marks recovery code `index` used, once: a second use of the same code finds it spent and returns false. */
    async spendRecoveryCode(id: string, index: number): Promise<boolean> {
      const rows = await q.query(
        `UPDATE users SET recovery_codes = jsonb_set(recovery_codes, ARRAY[$2::text, 'usedAt'], to_jsonb(now()::text))
         WHERE id = $1 AND recovery_codes -> $2::int IS NOT NULL AND NOT (recovery_codes -> $2::int ? 'usedAt') RETURNING id`,
        [id, index],
      );
      return rows.length === 1;
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;
