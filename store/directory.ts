import { Identifier, Organization, Practitioner, type OrganizationInput, type PractitionerInput } from '../canonical/index.js';
import { StoreError, isUniqueViolation } from './errors.js';
import type { Scope } from './scope.js';
import type { Queryable } from './database.js';

/** Organizations and practitioners: the parties records and exchanges name, each found by any of its identifiers. */

async function claimIdentifiers(q: Queryable, table: string, owner: string, ownerId: string, identifiers: readonly Identifier[]): Promise<void> {
  for (const i of identifiers) {
    const rows = await q.query<{ owner: string }>(
      `INSERT INTO ${table} (system, value, ${owner}) VALUES ($1, $2, $3)
       ON CONFLICT (system, value) DO UPDATE SET system = EXCLUDED.system RETURNING ${owner} AS owner`,
      [i.system, i.value, ownerId],
    );
    if (rows[0]?.owner !== ownerId) {
      throw new StoreError('identifier-taken', `identifier in system ${i.system} already names another record`, { system: i.system });
    }
  }
}

/** Reads shared by both parties: by id, and by any identifier through the party's identifier table. */
function partyReads<T>(scope: Scope, table: 'organizations' | 'practitioners', parse: (resource: unknown) => T) {
  const idTable = table === 'organizations' ? 'organization_identifiers' : 'practitioner_identifiers';
  const owner = table === 'organizations' ? 'organization_id' : 'practitioner_id';
  const one = async (sql: string, params: unknown[]): Promise<T | undefined> => {
    const rows = await scope.q.query<{ resource: unknown }>(sql, params);
    return rows[0] ? parse(rows[0].resource) : undefined;
  };
  return {
    get: (id: string) => one(`SELECT resource FROM ${table} WHERE id = $1`, [id]),
    findByIdentifier(system: string, value: string): Promise<T | undefined> {
      const i = Identifier.parse({ system, value });
      return one(`SELECT t.resource FROM ${table} t JOIN ${idTable} i ON i.${owner} = t.id WHERE i.system = $1 AND i.value = $2`, [i.system, i.value]);
    },
    one,
    /** The version and last change of each, for FHIR meta and ETags. */
    async stamps(ids: readonly string[]): Promise<Map<string, { version: number; updatedAt: string }>> {
      if (ids.length === 0) return new Map();
      const rows = await scope.q.query<{ id: string; version: number; updated_at: string }>(`SELECT id, version, updated_at FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
      return new Map(rows.map((r) => [r.id, { version: r.version, updatedAt: r.updated_at }]));
    },
  };
}

export function organizationRepository(scope: Scope) {
  const reads = partyReads(scope, 'organizations', (r) => Organization.parse(r));
  return {
    /** Stores an organization, or replaces it when the id exists; its identifiers may not name another one. */
    async save(input: OrganizationInput): Promise<Organization> {
      const org = Organization.parse(input);
      try {
        await scope.atomic(async (tx) => {
          await tx.query(
            `INSERT INTO organizations (id, name, home_community_id, resource) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, home_community_id = EXCLUDED.home_community_id, resource = EXCLUDED.resource,
               version = organizations.version + 1, updated_at = now()`,
            [org.id, org.name, org.homeCommunityId ?? null, JSON.stringify(org)],
          );
          await claimIdentifiers(tx, 'organization_identifiers', 'organization_id', org.id, org.identifiers);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreError('duplicate', 'home community id already names another organization');
        throw error;
      }
      return org;
    },
    get: reads.get,
    stamps: reads.stamps,
    findByIdentifier: reads.findByIdentifier,
    /** By home community id, in either spelling (urn:oid:1.2.3 or 1.2.3). */
    findByHomeCommunityId(hcid: string): Promise<Organization | undefined> {
      const normal = hcid.startsWith('urn:oid:') ? hcid : `urn:oid:${hcid}`;
      return reads.one('SELECT resource FROM organizations WHERE home_community_id = $1', [normal]);
    },
    async list(limit = 100): Promise<Organization[]> {
      const rows = await scope.q.query<{ resource: unknown }>('SELECT resource FROM organizations ORDER BY name, id LIMIT $1', [limit]);
      return rows.map((r) => Organization.parse(r.resource));
    },
  };
}

export function practitionerRepository(scope: Scope) {
  const reads = partyReads(scope, 'practitioners', (r) => Practitioner.parse(r));
  return {
    async save(input: PractitionerInput): Promise<Practitioner> {
      const practitioner = Practitioner.parse(input);
      await scope.atomic(async (tx) => {
        await tx.query(
          `INSERT INTO practitioners (id, resource) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET resource = EXCLUDED.resource, version = practitioners.version + 1, updated_at = now()`,
          [practitioner.id, JSON.stringify(practitioner)],
        );
        await claimIdentifiers(tx, 'practitioner_identifiers', 'practitioner_id', practitioner.id, practitioner.identifiers);
      });
      return practitioner;
    },
    get: reads.get,
    stamps: reads.stamps,
    findByIdentifier: reads.findByIdentifier,
  };
}

export type OrganizationRepository = ReturnType<typeof organizationRepository>;
export type PractitionerRepository = ReturnType<typeof practitionerRepository>;
