import type { ReceivedPurpose } from '../../../canonical/index.js';
import { NS, type DomElement } from '../../../mappers/xml/index.js';
import { attribute, childrenNamed, elementChildren, textOf } from './dom.js';
import { fault, type CodedValue, type XuaAttributes, type XuaFault } from './types.js';

/**
 * The XUA attributes of ihe-xca-xcpd.md §5, read from the AttributeStatements of the verified assertion only (never
 * from Advice or anything nested). Attributes are matched on Name alone, since NameFormat differs between peers;
 * synonyms (two subject-id names, two homeCommunityId names) count as one attribute. A required attribute that is
 * missing, or a single-valued one with two different values, is a security failure: nothing is defaulted
 * (consent-and-audit.md §4, §6), nothing chosen.
 */
type Read = { readonly ok: true; readonly attributes: XuaAttributes } | { readonly ok: false; readonly fault: XuaFault };

const ATTRIBUTE_NAMES = {
  subjectId: ['urn:oasis:names:tc:xspa:1.0:subject:subject-id', 'urn:oasis:names:tc:xacml:1.0:subject:subject-id'],
  organization: ['urn:oasis:names:tc:xspa:1.0:subject:organization'],
  organizationId: ['urn:oasis:names:tc:xspa:1.0:subject:organization-id'],
  homeCommunityId: ['urn:nhin:names:saml:homeCommunityId', 'urn:ihe:iti:xca:2010:homeCommunityId'],
  role: ['urn:oasis:names:tc:xacml:2.0:subject:role'],
  purposeOfUse: ['urn:oasis:names:tc:xspa:1.0:subject:purposeofuse'],
  resourceId: ['urn:oasis:names:tc:xacml:2.0:resource:resource-id'],
  npi: ['urn:oasis:names:tc:xspa:2.0:subject:npi'],
  acp: ['urn:ihe:iti:xua:2012:acp'],
  bppcDocId: ['urn:ihe:iti:bppc:2007:docid'],
  queryAuthGrantor: ['QueryAuthGrantor'],
} as const;

const SINGLE: readonly [string, readonly string[]][] = [
  ['subject-id', ATTRIBUTE_NAMES.subjectId],
  ['organization', ATTRIBUTE_NAMES.organization],
  ['organization-id', ATTRIBUTE_NAMES.organizationId],
  ['npi', ATTRIBUTE_NAMES.npi],
  ['resource-id', ATTRIBUTE_NAMES.resourceId],
  ['QueryAuthGrantor', ATTRIBUTE_NAMES.queryAuthGrantor],
];
const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const missing = (what: string) => fault('wsse:InvalidSecurity', `attribute: ${what} is missing`);
const several = (what: string) => fault('wsse:InvalidSecurity', `attribute: ${what} has more than one value`);

export function readAttributes(assertion: DomElement): Read {
  const values = new Map<string, DomElement[]>();
  for (const statement of childrenNamed(assertion, NS.saml2, 'AttributeStatement')) {
    for (const a of childrenNamed(statement, NS.saml2, 'Attribute')) {
      const name = (attribute(a, 'Name') ?? '').trim();
      const list = values.get(name) ?? [];
      list.push(...childrenNamed(a, NS.saml2, 'AttributeValue'));
      values.set(name, list);
    }
  }
  const valuesOf = (names: readonly string[]) => names.flatMap((n) => values.get(n) ?? []);
  const texts = (names: readonly string[]) => [...new Set(valuesOf(names).map((v) => textOf(v).trim()).filter((t) => t !== ''))];

  // Single-valued attributes, by the name a fault gives them.
  const single = new Map<string, string | undefined>();
  for (const [label, names] of SINGLE) {
    const found = texts(names);
    if (found.length > 1) return several(label);
    single.set(label, found[0]);
  }
  const subjectId = single.get('subject-id');
  const organization = single.get('organization');
  const organizationId = single.get('organization-id');
  if (!subjectId) return missing('subject-id');
  if (!organization) return missing('organization');
  if (!organizationId) return missing('organization-id');
  const npi = single.get('npi');
  const resourceId = single.get('resource-id');
  const queryAuthGrantor = single.get('QueryAuthGrantor');

  const communities = [...new Set(texts(ATTRIBUTE_NAMES.homeCommunityId).map((t) => t.replace(/^urn:oid:/i, '')))];
  if (communities.length === 0) return missing('homeCommunityId');
  if (communities.length > 1) return several('homeCommunityId');
  if (!OID.test(communities[0]!)) return fault('wsse:InvalidSecurity', 'attribute: homeCommunityId is not an OID');

  const roles = unique(valuesOf(ATTRIBUTE_NAMES.role).flatMap((v) => hl7Elements(v, 'Role')).flatMap((e) => codedValue(e) ?? []));
  if (roles.length === 0) return missing('role');
  if (roles.length > 1) return several('role');

  const purposes = valuesOf(ATTRIBUTE_NAMES.purposeOfUse).flatMap(purposesOf);
  if (purposes.length === 0) return missing('purpose of use');

  return {
    ok: true,
    attributes: {
      subjectId, organization, organizationId,
      homeCommunityId: `urn:oid:${communities[0]!}`,
      role: roles[0]!,
      purposes,
      ...(npi ? { npi } : {}),
      ...(resourceId ? { resourceId } : {}),
      acp: texts(ATTRIBUTE_NAMES.acp),
      bppcDocIds: texts(ATTRIBUTE_NAMES.bppcDocId),
      ...(queryAuthGrantor ? { queryAuthGrantor } : {}),
    },
  };
}

/** hl7:PurposeOfUse, or the legacy hl7:PurposeForUse (CONNECT), as CEs; a plain text value is kept without a system. */
function purposesOf(value: DomElement): ReceivedPurpose[] {
  const coded = [...hl7Elements(value, 'PurposeOfUse'), ...hl7Elements(value, 'PurposeForUse')];
  if (coded.length > 0) {
    return coded.flatMap((e) => {
      const code = attribute(e, 'code')?.trim();
      const system = attribute(e, 'codeSystem')?.trim();
      return code ? [system ? { system, code } : { code }] : [];
    });
  }
  const text = elementChildren(value).length === 0 ? textOf(value).trim() : '';
  return text ? [{ code: text }] : [];
}

/** Children in the HL7 v3 namespace, or in none (some peers leave it off), with this local name. */
function hl7Elements(value: DomElement, name: string): DomElement[] {
  return elementChildren(value).filter((e) => e.localName === name && (e.namespaceURI === NS.hl7 || e.namespaceURI === null));
}

function codedValue(e: DomElement): CodedValue | undefined {
  const code = attribute(e, 'code')?.trim();
  const codeSystem = attribute(e, 'codeSystem')?.trim();
  if (!code || !codeSystem) return undefined;
  const codeSystemName = attribute(e, 'codeSystemName')?.trim();
  const displayName = attribute(e, 'displayName')?.trim();
  return { code, codeSystem, ...(codeSystemName ? { codeSystemName } : {}), ...(displayName ? { displayName } : {}) };
}

function unique(values: readonly CodedValue[]): CodedValue[] {
  const seen = new Map<string, CodedValue>();
  for (const v of values) seen.set(`${v.codeSystem}|${v.code}`, seen.get(`${v.codeSystem}|${v.code}`) ?? v);
  return [...seen.values()];
}
