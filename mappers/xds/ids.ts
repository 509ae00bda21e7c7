import { hash } from 'node:crypto';

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
  const name = `${ownerId}\u0000${role}`;
  const bytes = Buffer.allocUnsafe(PART_NAMESPACE.byteLength + Buffer.byteLength(name, 'utf8'));
  PART_NAMESPACE.copy(bytes, 0);
  bytes.write(name, PART_NAMESPACE.byteLength, 'utf8');
  // One-shot hashing: a response derives ten ids a document, and a Hash object for each cost three times as much.
  const hex = hash('sha1', bytes, 'hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A sender's value quoted in a codeContext, cut short: ids and URIs only, never patient data. */
export function excerpt(value: string, max = 64): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
