import { oidOf, type Coding, type Identifier, type Telecom } from '../../../canonical/index.js';

/**
 * The HL7 v2 data types XDS metadata is written in (ITI TF-3 4.2.3.1.7): CX for patient ids, XCN for persons,
 * XON for organisations, XTN for telecom. Components are separated by ^, sub-components by &; a value holding one
 * of the delimiters is escaped (HL7 v2.5 §2.7) so it cannot shift the components after it.
 */

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\E\\', '|': '\\F\\', '^': '\\S\\', '&': '\\T\\', '~': '\\R\\' };

export function escapeV2(text: string): string {
  return text.replace(/[\\|^&~]/g, (c) => ESCAPES[c]!);
}

/** Components joined by ^, trailing empty ones dropped, as XDS examples write them. */
function components(parts: readonly (string | undefined)[]): string {
  return parts.map((p) => p ?? '').join('^').replace(/\^+$/, '');
}

function assigningAuthority(identifier: Pick<Identifier, 'system'> | undefined): string | undefined {
  const oid = identifier ? oidOf(identifier.system) : undefined;
  return oid ? `&${oid}&ISO` : undefined;
}

/** The first identifier whose system has an OID: the only kind an XDS assigning authority can name. */
export function firstOidIdentifier(identifiers: readonly Identifier[]): Identifier | undefined {
  return identifiers.find((i) => oidOf(i.system) !== undefined);
}

/** CX: `value^^^&oid&ISO`, as sourcePatientId is written. */
export function cx(identifier: Identifier): string | undefined {
  const authority = assigningAuthority(identifier);
  return authority ? components([escapeV2(identifier.value), undefined, undefined, authority]) : undefined;
}

export interface PersonName {
  readonly family?: string | undefined;
  readonly given: readonly string[];
  readonly prefix?: string | undefined;
  readonly suffix?: string | undefined;
}

/**
 * XCN: `id^family^given^further given^suffix^prefix^^^&oid&ISO`. The id is written only with an OID assigning
 * authority, since XDS requires XCN.9 whenever XCN.1 is given.
 */
export function xcn(name: PersonName | undefined, identifier: Identifier | undefined): string {
  const authority = assigningAuthority(identifier);
  const [given, ...further] = name?.given ?? [];
  return components([
    authority ? escapeV2(identifier!.value) : undefined,
    name?.family && escapeV2(name.family),
    given && escapeV2(given),
    further.length > 0 ? escapeV2(further.join(' ')) : undefined,
    name?.suffix && escapeV2(name.suffix),
    name?.prefix && escapeV2(name.prefix),
    ...Array<undefined>(2),
    authority,
  ]);
}

const URI_SYSTEM = 'urn:ietf:rfc:3986';

/**
 * XON: an organisation that is itself an OID (identifier urn:ietf:rfc:3986, `urn:oid:` value) as `name^^^^^^^^^oid`;
 * one with an identifier issued under an OID as `name^^^^^&oid&ISO^^^^id`; otherwise the name alone.
 */
export function xon(name: string, identifiers: readonly Identifier[]): string {
  const own = identifiers.find((i) => i.system === URI_SYSTEM && i.value.startsWith('urn:oid:'));
  if (own) return components([escapeV2(name), ...Array<undefined>(8), own.value.slice('urn:oid:'.length)]);
  const issued = firstOidIdentifier(identifiers);
  const authority = assigningAuthority(issued);
  if (!authority) return escapeV2(name);
  return components([escapeV2(name), ...Array<undefined>(4), authority, ...Array<undefined>(3), escapeV2(issued!.value)]);
}

const EQUIPMENT: Readonly<Partial<Record<Telecom['system'], string>>> = { phone: 'PH', fax: 'FX', sms: 'CP' };

/** XTN: e-mail in XTN.4 with equipment type Internet, numbers in XTN.12 (unformatted); other kinds have no XTN form. */
export function xtn(telecom: Pick<Telecom, 'system' | 'value'>): string | undefined {
  if (telecom.system === 'email') return components([undefined, undefined, 'Internet', escapeV2(telecom.value)]);
  const equipment = EQUIPMENT[telecom.system];
  if (!equipment) return undefined;
  return components([undefined, undefined, equipment, ...Array<undefined>(8), escapeV2(telecom.value)]);
}

/** A coded author role or specialty: `code^^^&oid&ISO` where the system has an OID, else the display or the code. */
export function codedString(coding: Coding): string {
  const authority = assigningAuthority(coding);
  return authority ? components([escapeV2(coding.code), undefined, undefined, authority]) : (coding.display ?? coding.code);
}
