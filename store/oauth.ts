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

/** One use of an assertion id (a client assertion's jti, a SOAP MessageID) by a client, remembered until it expires. */
export interface AssertionUse {
  readonly clientId: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

const useKey = (clientId: string, jti: string) => `${clientId.toLowerCase()} ${jti}`;

type ClientKeyRow = { id: string; lookup: string; public_jwk: Record<string, unknown>; usable: boolean };

/** What the OAuth token endpoint keeps: the keys partners sign with, and the client assertions already used. */
export function oauthRepository(scope: Scope) {
  const { q } = scope;
  /**
   * `useAssertion` for many uses in one statement, an answer for each in order. A use repeated within the batch
   * is a replay of its first.
   */
  async function useAssertions(uses: readonly AssertionUse[]): Promise<boolean[]> {
    if (uses.length === 0) return [];
    const seen = new Set<string>();
    const distinct: AssertionUse[] = [];
    const position = uses.map((use) => {
      const key = useKey(use.clientId, use.jti);
      if (seen.has(key)) return -1;
      seen.add(key);
      distinct.push(use);
      return distinct.length - 1;
    });
    // Rows live minutes, so the expired ones are few and found by index: swept in the same statement, leaving
    // out the rows of these ids, which the upsert below decides on.
    const fresh = await q.query<{ client_id: string; jti: string }>(
      `WITH used AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u (client_id, jti, expires_at)),
       swept AS (DELETE FROM oauth_used_assertions o WHERE o.expires_at <= now()
         AND NOT EXISTS (SELECT 1 FROM used WHERE used.client_id = o.client_id AND used.jti = o.jti))
       INSERT INTO oauth_used_assertions (client_id, jti, expires_at) SELECT client_id, jti, expires_at FROM used
       ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE oauth_used_assertions.expires_at <= now()
       RETURNING client_id, jti`,
      [distinct.map((u) => u.clientId), distinct.map((u) => u.jti), distinct.map((u) => u.expiresAt.toISOString())],
    );
    const won = new Set(fresh.map((r) => useKey(r.client_id, r.jti)));
    return position.map((i) => i >= 0 && won.has(useKey(distinct[i]!.clientId, distinct[i]!.jti)));
  }

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
      return (await useAssertions([{ clientId, jti, expiresAt }]))[0]!;
    },
    useAssertions,
  };
}

export type OAuthRepository = ReturnType<typeof oauthRepository>;
