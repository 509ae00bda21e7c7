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
  findCredential(type: CredentialType, lookup: string): Promise<CredentialMatch | undefined>;
  organizationByHomeCommunityId(homeCommunityId: string): Promise<Organization | undefined>;
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
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
    map.set(key, value);
  };

  return {
    async findCredential(type, lookup) {
      const key = `${type}|${lookup}`;
      const current = await changes.current();
      let match = current ? credentials.get(key) : undefined;
      if (!match) {
        const before = generation;
        match = await store.connections.findCredential(type, lookup);
        if (match && current && before === generation) remember(credentials, key, match);
      }
      if (!match) return undefined;
      const { revokedAt, expiresAt } = match.credential;
      return { ...match, usable: !revokedAt && (!expiresAt || Date.parse(expiresAt) > now()) };
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
