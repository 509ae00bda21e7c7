import {
  Address,
  canonicalSystem,
  checkBsn,
  describeBsnProblem,
  HumanName,
  Identifier,
  IdentifierSystems,
  splitDutchPrefix,
  Telecom,
  type Issue,
  type IssueSeverity,
  type PartialDate,
} from '../../canonical/index.js';
import { at, NS, type XmlElement } from '../xml/index.js';

/**
 * The HL7v3 data types of an XCPD query (II, TS, PN, AD, TEL) read into canonical values. Every value is checked
 * with its canonical schema, so what comes out can be stored or matched as is; a value that cannot be used is left
 * out with a warning naming where it was, never with patient data in the message.
 */

export function issue(severity: IssueSeverity, code: string, message: string, element: XmlElement): Issue {
  return { severity, code, message, where: at(element) };
}

/** Whitespace runs as one space, ends trimmed: senders indent text inside name and address parts. */
const clean = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

const hl7Children = (element: XmlElement) => element.children.filter((c) => c.ns === NS.hl7);

/** The codes of a space-separated set attribute (`use="HP MC"`, `qualifier="VV"`). */
const tokens = (value: string | undefined) => clean(value).split(' ').filter(Boolean);

export interface InstanceIdentifier {
  readonly root: string;
  readonly extension?: string;
}

/** An II as sent (root and extension verbatim, for echoing); one with a nullFlavor or without a root is none. */
export function instanceIdentifier(element: XmlElement | undefined): InstanceIdentifier | undefined {
  const root = element?.attributes.root?.trim();
  if (!element || !root || element.attributes.nullFlavor !== undefined) return undefined;
  const extension = element.attributes.extension?.trim();
  return extension ? { root, extension } : { root };
}

/** `urn:oid:1.2.3` and `1.2.3` are the same OID (peers send both: ihe-xca-xcpd.md §6). */
export function bareOid(text: string): string {
  const trimmed = text.trim();
  return trimmed.toLowerCase().startsWith('urn:oid:') ? trimmed.slice('urn:oid:'.length) : trimmed;
}

const TS = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The date part of an HL7 TS (`1963`, `196308`, `19630805`, or with a time, fraction and zone after it), at the
 * precision sent; undefined when the text is no valid TS. The zone is not applied: a birth date is the date the
 * sender wrote, wherever it was.
 */
export function hl7Date(value: string): PartialDate | undefined {
  const m = TS.exec(value.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, zone] = m;
  const y = Number(year);
  const mo = Number(month ?? 1);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 && leap ? 29 : (DAYS[mo - 1] ?? 0);
  if (mo < 1 || mo > 12 || Number(day ?? 1) < 1 || Number(day ?? 1) > days) return undefined;
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 59) return undefined;
  if (zone && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(3)) > 59)) return undefined;
  return [year, month, day].filter((p) => p !== undefined).join('-');
}

/**
 * An II naming a person (livingSubjectId, principalCareProviderId) as a canonical identifier. Both root and
 * extension are needed (IPF's ITI-55 schematron); a nullFlavor means "none" and is skipped without a word. A BSN
 * is written with nine digits; one failing the 11-proef is left out, since it can belong to no one.
 */
export function identifierOf(element: XmlElement, issues: Issue[]): Identifier | undefined {
  if (element.attributes.nullFlavor !== undefined) return undefined;
  const id = instanceIdentifier(element);
  if (!id?.extension) {
    issues.push(issue('warning', 'IDENTIFIER_INCOMPLETE', 'an identifier needs both root and extension; it is not used', element));
    return undefined;
  }
  const parsed = Identifier.safeParse({ system: canonicalSystem(bareOid(id.root)), value: id.extension });
  if (!parsed.success) {
    issues.push(issue('warning', 'IDENTIFIER_UNUSABLE', 'the identifier is longer than the model allows; it is not used', element));
    return undefined;
  }
  if (parsed.data.system !== IdentifierSystems.bsn.uri) return parsed.data;
  const bsn = checkBsn(parsed.data.value);
  if (!bsn.ok) {
    issues.push(issue('warning', 'BSN_INVALID', `${describeBsnProblem(bsn.problem ?? 'check-failed')}; it is not used`, element));
    return undefined;
  }
  return { ...parsed.data, value: bsn.bsn! };
}

/** A name as the query gave it: the canonical name, plus the titles and suffixes the canonical name has no place for. */
export interface QueryName {
  readonly name: HumanName;
  /** Titles written before the name (`Dr.`, `Mr.`); never a surname prefix such as "van der". */
  readonly titles: readonly string[];
  /** `Jr.`, `III`, `PhD`. */
  readonly suffixes: readonly string[];
}

type NameUse = NonNullable<HumanName['use']>;

const NAME_USES: Readonly<Record<string, NameUse>> = { L: 'official', OR: 'official', P: 'nickname', A: 'nickname' };

/** True when the text is only a surname prefix ("van der", "de"), by the canonical model's Dutch list. */
const isSurnamePrefix = (text: string) => splitDutchPrefix(`${text} x`).prefix?.toLowerCase() === text.toLowerCase();

/**
 * A PN. Surname prefixes are taken wherever senders put them: a `prefix qualifier="VV"` (Dutch HL7v3), an
 * unqualified prefix that is a surname prefix and stands right before the family part, or inside the family text
 * ("van der Berg"); other prefixes are titles. `family qualifier="SP"` is the partner's surname, and the order of
 * own and partner parts gives the assembly. A name with only a partner's surname keeps it as the family name:
 * matching weighs both alike. `given qualifier="IN"` holds initials. A name without any family part, or written
 * as unstructured text, cannot be a canonical name and is left out with a warning.
 */
export function nameOf(value: XmlElement, issues: Issue[], fixedUse?: NameUse): QueryName | undefined {
  if (value.attributes.nullFlavor !== undefined) return undefined;
  const parts = hl7Children(value).map((p) => ({ part: p.name, text: clean(p.text), qualifiers: new Set(tokens(p.attributes.qualifier)) })).filter((p) => p.text);
  const surnames: { partner: boolean; family: string; prefix?: string }[] = [];
  const given: string[] = [];
  const titles: string[] = [];
  const suffixes: string[] = [];
  let initials: string | undefined;
  let pendingPrefix: string | undefined;
  parts.forEach(({ part, text, qualifiers }, i) => {
    if (part === 'prefix') {
      const beforeFamily = parts[i + 1]?.part === 'family';
      if (qualifiers.has('VV') || (beforeFamily && qualifiers.size === 0 && isSurnamePrefix(text))) pendingPrefix = text;
      else titles.push(text);
    } else if (part === 'suffix') suffixes.push(text);
    else if (part === 'given') {
      if (qualifiers.has('IN')) initials = text;
      else given.push(text);
    } else if (part === 'family') {
      const split = pendingPrefix ? { prefix: pendingPrefix, family: text } : splitDutchPrefix(text);
      surnames.push({ partner: qualifiers.has('SP'), family: split.family, ...(split.prefix ? { prefix: split.prefix } : {}) });
      pendingPrefix = undefined;
    }
  });
  if (surnames.length === 0) {
    if (parts.length > 0) issues.push(issue('warning', 'NAME_WITHOUT_FAMILY', 'the name has no family part; it is not used', value));
    else if (clean(value.text)) issues.push(issue('warning', 'NAME_UNSTRUCTURED', 'the name is plain text without parts; it is not used', value));
    return undefined;
  }
  const ownParts = surnames.filter((s) => !s.partner);
  const partnerParts = surnames.filter((s) => s.partner);
  const [own, partner] = ownParts.length > 0 ? [ownParts, partnerParts] : [partnerParts, []];
  const joined = (list: typeof surnames) => ({
    family: [list[0]!.family, ...list.slice(1).map((s) => [s.prefix, s.family].filter(Boolean).join(' '))].join(' '),
    ...(list[0]!.prefix ? { prefix: list[0]!.prefix } : {}),
  });
  const ownName = joined(own);
  const partnerName = partner.length > 0 ? joined(partner) : undefined;
  const use = fixedUse ?? tokens(value.attributes.use).map((t) => NAME_USES[t]).find(Boolean);
  const parsed = HumanName.safeParse({
    ...(use ? { use } : {}),
    family: ownName.family,
    ...(ownName.prefix ? { familyPrefix: ownName.prefix } : {}),
    ...(partnerName ? { partnerFamily: partnerName.family } : {}),
    ...(partnerName?.prefix ? { partnerPrefix: partnerName.prefix } : {}),
    ...(partnerName ? { assembly: surnames[0]!.partner ? 'partner-own' : 'own-partner' } : {}),
    given,
    ...(initials ? { initials } : {}),
  });
  if (!parsed.success) {
    issues.push(issue('warning', 'NAME_UNUSABLE', 'the name has more or longer parts than the model allows; it is not used', value));
    return undefined;
  }
  return { name: parsed.data, titles, suffixes };
}

const ADDRESS_USES: Readonly<Record<string, NonNullable<Address['use']>>> = { H: 'home', HP: 'home', HV: 'home', WP: 'work', TMP: 'temp', OLD: 'old' };

/** An AD: street lines, or a Dutch street name and house number, then city, county, state, postal code, country. */
export function addressOf(value: XmlElement, issues: Issue[]): Address | undefined {
  if (value.attributes.nullFlavor !== undefined) return undefined;
  const parts = hl7Children(value);
  const part = (name: string) => clean(parts.find((p) => p.name === name)?.text) || undefined;
  const lines = parts.filter((p) => p.name === 'streetAddressLine').map((p) => clean(p.text)).filter(Boolean);
  // An address written as plain text is kept as its one line.
  if (parts.length === 0 && clean(value.text)) lines.push(clean(value.text));
  const use = tokens(value.attributes.use).map((t) => ADDRESS_USES[t]).find(Boolean);
  const fields = {
    street: part('streetName'),
    houseNumber: part('houseNumber'),
    city: part('city'),
    district: part('county'),
    state: part('state'),
    postalCode: part('postalCode'),
    country: part('country'),
  };
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  if (lines.length === 0 && Object.keys(present).length === 0) return undefined;
  const parsed = Address.safeParse({ ...(use ? { use } : {}), lines, ...present });
  if (!parsed.success) {
    issues.push(issue('warning', 'ADDRESS_UNUSABLE', 'the address has more or longer parts than the model allows; it is not used', value));
    return undefined;
  }
  return parsed.data;
}

const TELECOM_USES: Readonly<Record<string, NonNullable<Telecom['use']>>> = { MC: 'mobile', H: 'home', HP: 'home', HV: 'home', WP: 'work', TMP: 'temp' };
const SCHEMES: readonly (readonly [string, Telecom['system'], boolean])[] = [
  // [scheme, system, whether the value keeps its scheme]
  ['tel:', 'phone', false],
  ['mailto:', 'email', false],
  ['fax:', 'fax', false],
  ['sms:', 'sms', false],
  ['http:', 'url', true],
  ['https:', 'url', true],
];

/** A TEL URL (`tel:+31-30-1234567`, `mailto:…`) as a canonical telecom: the scheme gives the system. */
export function telecomOf(value: XmlElement, issues: Issue[]): Telecom | undefined {
  const url = clean(value.attributes.value);
  if (value.attributes.nullFlavor !== undefined || !url) return undefined;
  const scheme = SCHEMES.find(([s]) => url.toLowerCase().startsWith(s));
  const uses = tokens(value.attributes.use);
  // A mobile number is worth knowing as such, whatever other use is listed with it.
  const use = uses.includes('MC') ? 'mobile' : uses.map((t) => TELECOM_USES[t]).find(Boolean);
  const parsed = Telecom.safeParse({
    system: scheme?.[1] ?? 'other',
    value: scheme && !scheme[2] ? url.slice(scheme[0].length) : url,
    ...(use ? { use } : {}),
  });
  if (!parsed.success) {
    issues.push(issue('warning', 'TELECOM_UNUSABLE', 'the telecom address is empty or longer than the model allows; it is not used', value));
    return undefined;
  }
  return parsed.data;
}
