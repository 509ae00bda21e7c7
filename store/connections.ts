import type { Connection, ConnectionKind, ConnectionStatus, CredentialSummary, CredentialType } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { Scope } from './scope.js';

type ConnectionRow = {
  id: string; organization_id: string; kind: ConnectionKind; name: string; status: ConnectionStatus;
  failed_auth_count: number; failed_auth_since: string | null; last_failed_auth_at: string | null; created_at: string; token_epoch: number;
};
type CredentialRow = {
  id: string; connection_id: string; type: CredentialType; lookup: string; label: string | null; created_by: string;
  created_at: string; expires_at: string | null; revoked_at: string | null;
};

const CONNECTION_COLUMNS = 'id, organization_id, kind, name, status, failed_auth_count, failed_auth_since, last_failed_auth_at, created_at, token_epoch';
const CREDENTIAL_COLUMNS = 'id, connection_id, type, lookup, label, created_by, created_at, expires_at, revoked_at';

function connection(r: ConnectionRow): Connection {
  return {
    id: r.id, organizationId: r.organization_id, kind: r.kind, name: r.name, status: r.status, failedAuthCount: r.failed_auth_count,
    ...(r.failed_auth_since ? { failedAuthSince: r.failed_auth_since } : {}),
    ...(r.last_failed_auth_at ? { lastFailedAuthAt: r.last_failed_auth_at } : {}), createdAt: r.created_at,
  };
}

function credential(r: CredentialRow): CredentialSummary {
  return {
    id: r.id, connectionId: r.connection_id, type: r.type, lookup: r.lookup, ...(r.label ? { label: r.label } : {}),
    createdBy: r.created_by, createdAt: r.created_at, ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
  };
}

/** What authenticating a credential needs: the credential, its secret hash or key, and its connection. */
export interface CredentialMatch {
  readonly credential: CredentialSummary;
  readonly secretHash?: string;
  readonly publicJwk?: Record<string, unknown>;
  readonly connection: Connection;
  /** True while the credential may be used: not revoked, not past its overlap end. */
  readonly usable: boolean;
  /** The connection's token epoch (store/migrations/0013): an access token issued in another one is refused. */
  readonly tokenEpoch: number;
}

export function connectionRepository(scope: Scope) {
  const { q } = scope;
  const requiredConnection = async (sql: string, params: unknown[]): Promise<Connection> => {
    const row = (await q.query<ConnectionRow>(sql, params))[0];
    if (!row) throw new StoreError('not-found', 'connection not found');
    return connection(row);
  };
  const connectionRow = async (id: string) => (await q.query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id = $1`, [id]))[0];

  return {
    async create(c: { id: string; organizationId: string; kind: ConnectionKind; name: string }): Promise<Connection> {
      const org = await q.query('SELECT 1 FROM organizations WHERE id = $1', [c.organizationId]);
      if (org.length === 0) throw new StoreError('not-found', 'organization not found');
      return requiredConnection(
        `INSERT INTO connections (id, organization_id, kind, name, status) VALUES ($1, $2, $3, $4, 'pending') RETURNING ${CONNECTION_COLUMNS}`,
        [c.id, c.organizationId, c.kind, c.name],
      );
    },
    async get(id: string): Promise<Connection | undefined> {
      const row = await connectionRow(id);
      return row ? connection(row) : undefined;
    },
    /** The connection and the token epoch an access token issued now is bound to, read from one row so they agree. */
    async getWithTokenEpoch(id: string): Promise<{ connection: Connection; tokenEpoch: number } | undefined> {
      const row = await connectionRow(id);
      return row ? { connection: connection(row), tokenEpoch: row.token_epoch } : undefined;
    },
    async list(filter: { organizationId?: string; kind?: ConnectionKind } = {}): Promise<Connection[]> {
      const rows = await q.query<ConnectionRow>(
        `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE ($1::uuid IS NULL OR organization_id = $1) AND ($2::text IS NULL OR kind = $2)
         ORDER BY created_at, id`,
        [filter.organizationId ?? null, filter.kind ?? null],
      );
      return rows.map(connection);
    },
    async setStatus(id: string, status: ConnectionStatus): Promise<Connection> {
      return requiredConnection(`UPDATE connections SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${CONNECTION_COLUMNS}`, [id, status]);
    },
    /** Counts a rejected authentication attributed to this connection ("rejected 14 times since …"). */
    async recordFailedAuth(id: string): Promise<void> {
      await q.query(
        `UPDATE connections SET failed_auth_count = failed_auth_count + 1, failed_auth_since = COALESCE(failed_auth_since, now()),
           last_failed_auth_at = now() WHERE id = $1`,
        [id],
      );
    },
    async resetFailedAuth(id: string): Promise<Connection> {
      return requiredConnection(
        `UPDATE connections SET failed_auth_count = 0, failed_auth_since = NULL, last_failed_auth_at = NULL WHERE id = $1 RETURNING ${CONNECTION_COLUMNS}`,
        [id],
      );
    },

    async addCredential(c: {
      id: string; connectionId: string; type: CredentialType; lookup: string; secretHash?: string; publicJwk?: Record<string, unknown>;
      label?: string; createdBy: string;
    }): Promise<CredentialSummary> {
      try {
        const row = (await q.query<CredentialRow>(
          `INSERT INTO connection_credentials (id, connection_id, type, lookup, secret_hash, public_jwk, label, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CREDENTIAL_COLUMNS}`,
          [c.id, c.connectionId, c.type, c.lookup, c.secretHash ?? null, c.publicJwk ? JSON.stringify(c.publicJwk) : null, c.label ?? null, c.createdBy],
        ))[0]!;
        return credential(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreError('duplicate', 'this certificate or key is already registered');
        throw error;
      }
    },
    async listCredentials(connectionId: string): Promise<CredentialSummary[]> {
      const rows = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM connection_credentials WHERE connection_id = $1 ORDER BY created_at, id`, [connectionId]);
      return rows.map(credential);
    },
    /** Rotation: every other usable credential of the connection stays valid for `overlapSeconds`, then expires. */
    async expireOtherCredentials(connectionId: string, keepId: string, overlapSeconds: number): Promise<number> {
      const rows = await q.query(
        `UPDATE connection_credentials SET expires_at = now() + make_interval(secs => $3)
         WHERE connection_id = $1 AND id <> $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $3))
         RETURNING id`,
        [connectionId, keepId, overlapSeconds],
      );
      return rows.length;
    },
    async revokeCredential(connectionId: string, credentialId: string): Promise<CredentialSummary> {
      const row = (await q.query<CredentialRow>(
        `UPDATE connection_credentials SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND connection_id = $2 RETURNING ${CREDENTIAL_COLUMNS}`,
        [credentialId, connectionId],
      ))[0];
      if (!row) throw new StoreError('not-found', 'credential not found');
      return credential(row);
    },
    async findCredential(type: CredentialType, lookup: string): Promise<CredentialMatch | undefined> {
      const row = (await q.query<CredentialRow & ConnectionRow & { cred_id: string; cred_created_at: string; secret_hash: string | null; public_jwk: Record<string, unknown> | null; usable: boolean }>(
        `SELECT cr.id AS cred_id, cr.connection_id, cr.type, cr.lookup, cr.label, cr.created_by, cr.created_at AS cred_created_at,
                cr.expires_at, cr.revoked_at, cr.secret_hash, cr.public_jwk,
                (cr.revoked_at IS NULL AND (cr.expires_at IS NULL OR cr.expires_at > now())) AS usable,
                c.id, c.organization_id, c.kind, c.name, c.status, c.failed_auth_count, c.failed_auth_since, c.last_failed_auth_at, c.created_at,
                c.token_epoch
         FROM connection_credentials cr JOIN connections c ON c.id = cr.connection_id WHERE cr.type = $1 AND cr.lookup = $2`,
        [type, lookup],
      ))[0];
      if (!row) return undefined;
      return {
        credential: credential({ ...row, id: row.cred_id, created_at: row.cred_created_at }),
        ...(row.secret_hash ? { secretHash: row.secret_hash } : {}),
        ...(row.public_jwk ? { publicJwk: row.public_jwk } : {}),
        connection: connection(row),
        usable: row.usable,
        tokenEpoch: row.token_epoch,
      };
    },
  };
}

export type ConnectionRepository = ReturnType<typeof connectionRepository>;
