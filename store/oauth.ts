import type { Scope } from './scope.js';

/** A public key a connection registered to sign its client assertions with (a `jwk` credential). */
export interface ClientKey {
  readonly credentialId: string;
  /** The key's RFC 7638 thumbprint: what a client assertion's `kid` names. */
  readonly thumbprint: string;
  readonly publicJwk: Record<string, unknown>;
  /** False once revoked or past the end of its rotation overlap. */
  readonly usable: boolean;
}

type ClientKeyRow = { id: string; lookup: string; public_jwk: Record<string, unknown>; usable: boolean };

/** What the OAuth token endpoint keeps: the keys partners sign with, and the client assertions already used. */
export function oauthRepository(scope: Scope) {
  const { q } = scope;
  return {
    /** Every JWK credential of the connection, usable ones first, newest first. */
    async clientKeys(connectionId: string): Promise<ClientKey[]> {
      const rows = await q.query<ClientKeyRow>(
        `SELECT id, lookup, public_jwk, (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())) AS usable
         FROM connection_credentials WHERE connection_id = $1 AND type = 'jwk'
         ORDER BY usable DESC, created_at DESC, id`,
        [connectionId],
      );
      return rows.map((r) => ({ credentialId: r.id, thumbprint: r.lookup, publicJwk: r.public_jwk, usable: r.usable }));
    },
    /**
     * Records that a client used an assertion id until `expiresAt`. False when the client used the same id before
     * and that use has not yet expired: a replay. One statement, so two processes racing on one id cannot both win.
     */
    async useAssertion(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
      // Rows live minutes, so the expired ones are few and found by index: swept in the same statement, leaving
      // out this id's own row, which the upsert below decides on.
      const fresh = await q.query(
        `WITH swept AS (DELETE FROM oauth_used_assertions WHERE expires_at <= now() AND NOT (client_id = $1 AND jti = $2))
         INSERT INTO oauth_used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE oauth_used_assertions.expires_at <= now()
         RETURNING jti`,
        [clientId, jti, expiresAt.toISOString()],
      );
      return fresh.length === 1;
    },
  };
}

export type OAuthRepository = ReturnType<typeof oauthRepository>;
