import { createHash } from 'node:crypto';

/**
 * The identifier spellings XDS and XCA mix: `urn:oid:` present or absent (peers differ: ihe-xca-xcpd.md §6; a
 * Metriport sample response even carries it twice), `urn:uuid:` ids in either case. Everything is compared in one
 * normal form.
 */
const URN_OID = /^urn:oid:/i;
const UUID = /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** `urn:oid:1.2.3`, `URN:OID:urn:oid:1.2.3` and `1.2.3` all give `1.2.3`. */
export function bareOid(value: string): string {
  let bare = value.trim();
  while (URN_OID.test(bare)) bare = bare.slice('urn:oid:'.length).trim();
  return bare;
}

/** The `urn:oid:` form XCA uses for home community ids (`home`, ITI-39 `HomeCommunityId`). */
export function urnOid(value: string): string {
  return `urn:oid:${bareOid(value)}`;
}

/** `urn:uuid:` plus the lower-case UUID, for a UUID written with or without the prefix; undefined otherwise. */
export function urnUuid(value: string): string | undefined {
  const match = UUID.exec(value.trim());
  return match ? `urn:uuid:${match[1]!.toLowerCase()}` : undefined;
}

/**
 * A registry object id for a part of another object (a Classification, an ExternalIdentifier): an RFC 9562
 * name-based (version 5) UUID of the owner's id and the part's role. The same response renders with the same ids,
 * so goldens stay stable and no clock or random source enters a pure mapper.
 */
const PART_NAMESPACE = Buffer.from('9d3c1f0e6a2b4c57b8e1f4a7c2d90e36', 'hex');

export function partId(ownerId: string, role: string): string {
  const digest = createHash('sha1').update(PART_NAMESPACE).update(`${ownerId}\u0000${role}`, 'utf8').digest();
  digest[6] = 0x50 | (digest[6]! & 0x0f);
  digest[8] = 0x80 | (digest[8]! & 0x3f);
  const hex = digest.toString('hex', 0, 16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A sender's value quoted in a codeContext, cut short: ids and URIs only, never patient data. */
export function excerpt(value: string, max = 64): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
