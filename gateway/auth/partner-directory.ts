import type { CredentialType, Organization } from '../../canonical/index.js';
import type { ChangeFeed, CredentialMatch, Store } from '../../store/index.js';

/**
 * The partner lookups every request makes (a credential with its connection; an organization by home community id),
 * from a cache the change feed keeps right in every process: a revoked credential, a suspended connection or a
 * changed home community id is never answered from the cache once committed (store/change-feed.ts). Whether a
 * credential is still usable depends on the clock too (its rotation overlap ends), so that is judged at each use.
 * Only what was found is cached: an unknown credential or community costs a lookup every time.
 */
export interface PartnerDirectory {
  /**
   * With `unconfirmed`, a cached credential is answered without reading the change clock, carrying `confirm`: the
   * caller must confirm it with a clock read after its request arrived before it acts on the credential.
   */
  findCredential(type: CredentialType, lookup: string, options?: { readonly unconfirmed?: boolean }): Promise<FoundCredential | undefined>;
  organizationByHomeCommunityId(homeCommunityId: string): Promise<Organization | undefined>;
}

export interface FoundCredential extends CredentialMatch {
  readonly usable: boolean;
  /**
   * Present on an unconfirmed answer from the cache: true when the cache was current at `changeClock` (read now
   * when not given) and no change to partners has reached it since the answer, so the answer stands.
   */
  readonly confirm?: (changeClock?: number) => Promise<boolean>;
}

const MAX_ENTRIES = 10_000;

export function partnerDirectory(store: Pick<Store, 'connections' | 'organizations'>, changes: ChangeFeed, now: () => number = Date.now): PartnerDirectory {
  const credentials = new Map<string, CredentialMatch>();
  const organizations = new Map<string, Organization>();
  let generation = 0;
  changes.on('partners', () => {
    generation += 1;
    credentials.clear();
    organizations.clear();
  });
  const usableNow = (match: CredentialMatch): FoundCredential => {
    const { revokedAt, expiresAt } = match.credential;
    return { ...match, usable: !revokedAt && (!expiresAt || Date.parse(expiresAt) > now()) };
  };
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
    map.set(key, value);
  };

  return {
    async findCredential(type, lookup, options = {}) {
      const key = `${type}|${lookup}`;
      const cached = options.unconfirmed ? credentials.get(key) : undefined;
      if (cached) {
        const answeredAt = generation;
        return { ...usableNow(cached), confirm: async (changeClock) => (await changes.current(changeClock)) && generation === answeredAt };
      }
      const current = await changes.current();
      let match = current ? credentials.get(key) : undefined;
      if (!match) {
        const before = generation;
        match = await store.connections.findCredential(type, lookup);
        if (match && current && before === generation) remember(credentials, key, match);
      }
      return match ? usableNow(match) : undefined;
    },
    async organizationByHomeCommunityId(homeCommunityId) {
      const key = homeCommunityId.startsWith('urn:oid:') ? homeCommunityId : `urn:oid:${homeCommunityId}`;
      const current = await changes.current();
      const cached = current ? organizations.get(key) : undefined;
      if (cached) return cached;
      const before = generation;
      const found = await store.organizations.findByHomeCommunityId(key);
      if (found && current && before === generation) remember(organizations, key, found);
      return found;
    },
  };
}
