import type { CodeableConcept, ContactPoint, DocumentReference, HumanName, Identifier, Organization, Practitioner, PractitionerRole, Reference } from 'fhir/r4.js';
import { canonicalSystem, type DocumentAuthor } from '../../canonical/index.js';

/**
 * XDS author, legalAuthenticator and referenceIdList (HL7 v2 XCN, XON, XTN and CXi strings, ITI TF-3 4.2.3.1.7) as
 * MHD shows them on a DocumentReference: authors and the authenticator as contained Practitioner, PractitionerRole
 * and Organization resources, reference ids as context.related identifiers. What a string does not carry is left out.
 */

const UNESCAPES: Readonly<Record<string, string>> = { E: '\\', F: '|', S: '^', T: '&', R: '~' };

/** HL7 v2.5 §2.7 escapes undone: a component's own text. */
function unescapeV2(text: string): string {
  return text.replace(/\\([EFSTR])\\/g, (_, c: string) => UNESCAPES[c]!);
}

/** Components split on ^ (an escaped ^ is \S\, so a plain split is exact), each unescaped; `''` when absent. */
function componentsOf(value: string): (index: number) => string {
  const parts = value.split('^');
  return (index) => unescapeV2(parts[index - 1] ?? '').trim();
}

/** An HD assigning authority `&oid&ISO` (its universal id), or undefined. */
function authorityOid(hd: string): string | undefined {
  const [, universal] = hd.split('&');
  return universal && /^[0-2](\.(0|[1-9]\d*))+$/.test(universal) ? universal : undefined;
}

function identifierUnder(value: string, oid: string | undefined): Identifier[] {
  return value && oid ? [{ system: canonicalSystem(oid), value }] : [];
}

function personName(c: (index: number) => string): HumanName[] {
  const given = [c(3), ...c(4).split(' ')].filter((g) => g.length > 0);
  const name: HumanName = {
    ...(c(2) ? { family: c(2) } : {}),
    ...(given.length ? { given } : {}),
    ...(c(6) ? { prefix: [c(6)] } : {}),
    ...(c(5) ? { suffix: [c(5)] } : {}),
  };
  return Object.keys(name).length ? [name] : [];
}

/**
 * XCN: `id^family^given^further given^suffix^prefix^^^&oid&ISO`; none when it names nobody (no id, name or
 * contact), as an empty Practitioner would say nothing. An id without its assigning authority is kept as a bare value.
 */
function practitioner(id: string, xcn: string, telecom: readonly string[]): Practitioner | undefined {
  const c = componentsOf(xcn);
  const authority = authorityOid(c(9));
  const identifier = authority ? identifierUnder(c(1), authority) : c(1) ? [{ value: c(1) }] : [];
  const name = personName(c);
  const contacts = telecom.flatMap(contactPoint);
  if (identifier.length === 0 && name.length === 0 && contacts.length === 0) return undefined;
  return {
    resourceType: 'Practitioner', id,
    ...(identifier.length ? { identifier } : {}), ...(name.length ? { name } : {}), ...(contacts.length ? { telecom: contacts } : {}),
  };
}

/** XON: `name^^^^^&oid&ISO^^^^id` (an id issued under an OID) or `name^^^^^^^^^oid` (the organisation is the OID). */
function organization(id: string, xon: string): Organization {
  const c = componentsOf(xon);
  const authority = authorityOid(c(6));
  const identifier = authority ? identifierUnder(c(10), authority)
    : /^[0-2](\.(0|[1-9]\d*))+$/.test(c(10)) ? [{ system: 'urn:ietf:rfc:3986', value: `urn:oid:${c(10)}` }] : [];
  return { resourceType: 'Organization', id, ...(identifier.length ? { identifier } : {}), ...(c(1) ? { name: c(1) } : {}) };
}

/** XTN: e-mail in XTN.4 (equipment Internet), a number in XTN.12, else XTN.1. */
function contactPoint(xtn: string): ContactPoint[] {
  const c = componentsOf(xtn);
  if (c(3) === 'Internet' && c(4)) return [{ system: 'email', value: c(4) }];
  const number = c(12) || c(1);
  if (!number) return [];
  return [{ system: c(3) === 'FX' ? 'fax' : c(3) === 'CP' ? 'sms' : 'phone', value: number }];
}

/** A coded role or specialty: `code^^^&oid&ISO` as a coding, anything else as text. */
function concept(value: string): CodeableConcept {
  const c = componentsOf(value);
  const oid = authorityOid(c(4));
  return oid && c(1) ? { coding: [{ system: canonicalSystem(oid), code: c(1) }] } : { text: unescapeV2(value) };
}

const local = (id: string): Reference => ({ reference: `#${id}` });

export interface RenderedAuthors {
  readonly contained: (Practitioner | PractitionerRole | Organization)[];
  readonly author: Reference[];
  readonly authenticator?: Reference;
}

/**
 * Each author as one reference: a PractitionerRole when a person comes with an institution, role or specialty
 * (its first institution as the role's organization), the Practitioner alone otherwise, or the institution when
 * no person is named; further institutions as Organization authors of their own.
 */
export function renderAuthors(authors: readonly DocumentAuthor[], legalAuthenticator: string | undefined): RenderedAuthors {
  const contained: RenderedAuthors['contained'] = [];
  const author: Reference[] = [];
  authors.forEach((a, i) => {
    const key = `author-${i + 1}`;
    const organizations = a.institutions.map((xon, j) => organization(`${key}-org-${j + 1}`, xon));
    contained.push(...organizations);
    const person = a.person ? practitioner(key, a.person, a.telecom) : undefined;
    if (person) contained.push(person);
    const roles = a.roles.map(concept);
    const specialties = a.specialties.map(concept);
    if (organizations.length || roles.length || specialties.length) {
      const role: PractitionerRole = {
        resourceType: 'PractitionerRole', id: `${key}-role`,
        ...(person ? { practitioner: local(person.id!) } : {}),
        ...(organizations[0] ? { organization: local(organizations[0].id!) } : {}),
        ...(roles.length ? { code: roles } : {}),
        ...(specialties.length ? { specialty: specialties } : {}),
      };
      if (person || roles.length || specialties.length) {
        contained.push(role);
        author.push(local(role.id!));
      } else {
        author.push(local(organizations[0]!.id!));
      }
      author.push(...organizations.slice(1).map((o) => local(o.id!)));
    } else if (person) {
      author.push(local(person.id!));
    }
  });
  const authenticator = legalAuthenticator ? practitioner('authenticator', legalAuthenticator, []) : undefined;
  if (!authenticator) return { contained, author };
  contained.push(authenticator);
  return { contained, author, authenticator: local(authenticator.id!) };
}

/** referenceIdList (CXi `value^^^&oid&ISO^type`) as context.related identifiers, MHD's plain copy of them. */
export function renderRelated(referenceIds: readonly string[]): NonNullable<NonNullable<DocumentReference['context']>['related']> {
  return referenceIds.flatMap((cxi) => {
    const c = componentsOf(cxi);
    if (!c(1)) return [];
    const oid = authorityOid(c(4));
    const type = c(5);
    const identifier: Identifier = {
      ...(type ? { type: { coding: [{ system: 'urn:ietf:rfc:3986', code: type }] } } : {}),
      ...(oid ? { system: canonicalSystem(oid) } : {}),
      value: c(1),
    };
    return [{ identifier }];
  });
}
