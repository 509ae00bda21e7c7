import { CodeSystems, oidOf, type Address, type Coding, type HumanName, type Telecom } from '../../canonical/index.js';
import { OID, type FixedCode, type TemplateRef } from './vocabulary.js';
import { el, type XmlNode } from './xml-writer.js';

/** HL7 v3 data types (CDA R2, ISO 21090's predecessor) built from canonical values. */

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/**
 * A canonical (FHIR-style) date or date-time as an HL7 TS, at the precision it was written: `2024-03` stays
 * `202403`, `2024-03-14T08:05+01:00` becomes `202403140805+0100`. Nothing is padded, since a TS's length is its
 * precision and padding would claim a minute or second nobody recorded.
 */
export function ts(value: string): string {
  const m = DATE_TIME.exec(value);
  // Canonical values are checked against this very shape by their schemas; anything else passes through untouched.
  if (!m) return value;
  const [, y, mo = '', d = '', h = '', mi = '', s = '', fraction = '', zone] = m;
  const offset = zone === undefined ? '' : zone === 'Z' ? '+0000' : zone.replace(':', '');
  return `${y}${mo}${d}${h}${mi}${s}${s ? fraction : ''}${offset}`;
}

export function templateIds(template: TemplateRef): XmlNode[] {
  return [
    ...(template.r11 && template.extension ? [el('templateId', { root: template.root })] : []),
    el('templateId', { root: template.root, extension: template.extension }),
  ];
}

const fixedAttributes = (c: FixedCode) => ({ code: c.code, codeSystem: c.codeSystem, codeSystemName: c.codeSystemName, displayName: c.displayName });

/** A code from our fixed tables. */
export function fixedCode(code: FixedCode, ...content: XmlNode[]): XmlNode {
  return el('code', fixedAttributes(code), content);
}

export function fixedTranslation(code: FixedCode): XmlNode {
  return el('translation', fixedAttributes(code));
}

const SYSTEM_NAMES = new Map<string, string>(Object.values(CodeSystems).flatMap((s) => (s.oid ? [[s.oid, s.label] as const] : [])));

/** A coding whose system has an OID, as the attributes of a CD (or a translation). */
export interface CdCode {
  readonly code: string;
  readonly codeSystem: string;
  readonly codeSystemName?: string;
  readonly displayName?: string;
}

export function cdCode(coding: Coding): CdCode | undefined {
  const codeSystem = oidOf(coding.system);
  if (!codeSystem) return undefined;
  return { code: coding.code, codeSystem, codeSystemName: SYSTEM_NAMES.get(codeSystem), displayName: coding.display };
}

const cdAttributes = (c: CdCode) => ({ code: c.code, codeSystem: c.codeSystem, codeSystemName: c.codeSystemName, displayName: c.displayName });

/**
 * A CD: the primary code, its original text as a pointer into the narrative, and the other codings as
 * translations. Without a primary code the CD is `nullFlavor="OTH"` (the concept has no code in a system we can
 * name by OID, or none in the value set the element is bound to) and still carries text and translations.
 */
export function cd(
  name: string,
  primary: CdCode | undefined,
  translations: readonly CdCode[],
  reference: string | undefined,
  extra: Readonly<Record<string, string>> = {},
): XmlNode {
  return el(
    name,
    { ...extra, ...(primary ? cdAttributes(primary) : { nullFlavor: 'OTH' }) },
    reference !== undefined && el('originalText', {}, el('reference', { value: `#${reference}` })),
    translations.map((c) => el('translation', cdAttributes(c))),
  );
}

export function ii(root: string, extension?: string): XmlNode {
  return el('id', { root, extension });
}

/** A point in time, or the null flavour that says we do not know it (the element itself is required). */
function timeElement(name: string, value: string | undefined, nullFlavor = 'UNK'): XmlNode {
  return value ? el(name, { value: ts(value) }) : el(name, { nullFlavor });
}

export function interval(low: string | undefined, high: string | undefined, withHigh: boolean): XmlNode {
  return el('effectiveTime', {}, timeElement('low', low), withHigh && timeElement('high', high));
}

const ADDRESS_USE: Readonly<Record<string, string | undefined>> = { home: 'H', work: 'WP', temp: 'TMP' };

/** Old addresses and contacts are history, not a way to reach anyone: a summary leaves them out. */
export const current = <T extends { use?: string | undefined }>(items: readonly T[]): T[] => items.filter((i) => i.use !== 'old');

/**
 * A US Realm Address (AD.US.FIELDED): street lines as written, or the Dutch street and house number as one line;
 * city, postal code and country as held. The street line and city are required, so a missing one is NI.
 */
export function address(a: Address | undefined): XmlNode {
  if (!a) return el('addr', { nullFlavor: 'NI' });
  const composed = [a.street, a.houseNumber].filter(Boolean).join(' ');
  const lines = a.lines.length > 0 ? a.lines : composed ? [composed] : [];
  return el(
    'addr',
    { use: a.use ? ADDRESS_USE[a.use] : undefined },
    lines.length > 0 ? lines.slice(0, 4).map((l) => el('streetAddressLine', {}, l)) : el('streetAddressLine', { nullFlavor: 'NI' }),
    a.city ? el('city', {}, a.city) : el('city', { nullFlavor: 'NI' }),
    a.state !== undefined && el('state', {}, a.state),
    a.postalCode !== undefined && el('postalCode', {}, a.postalCode),
    a.country !== undefined && el('country', {}, a.country),
  );
}

const TELECOM_SCHEME: Readonly<Record<Telecom['system'], string | undefined>> = {
  phone: 'tel:', sms: 'tel:', fax: 'fax:', email: 'mailto:', url: '', other: undefined,
};
const TELECOM_USE: Readonly<Record<string, string | undefined>> = { home: 'HP', work: 'WP', mobile: 'MC', temp: 'TMP' };

/** A TEL is a URL: phone numbers lose the blanks written between digit groups, which a tel: URL cannot hold. */
export function telecom(t: Telecom | undefined): XmlNode | undefined {
  if (!t) return el('telecom', { nullFlavor: 'NI' });
  const scheme = TELECOM_SCHEME[t.system];
  if (scheme === undefined) return undefined;
  const value = scheme === 'tel:' || scheme === 'fax:' ? t.value.replace(/\s+/g, '') : t.value;
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(value);
  return el('telecom', { use: t.use ? TELECOM_USE[t.use] : undefined, value: hasScheme ? value : `${scheme}${value}` });
}

/** At least one telecom element: the ones we can write as URLs, or one NI. */
export function telecoms(list: readonly Telecom[]): XmlNode[] {
  const written = current(list).flatMap((t) => telecom(t) ?? []);
  return written.length > 0 ? written : [el('telecom', { nullFlavor: 'NI' })];
}

const NAME_USE: Readonly<Record<string, string | undefined>> = { official: 'L', nickname: 'P', anonymous: 'P' };

/**
 * Dutch names in a US Realm Patient Name, the way the Dutch HL7v3 standards write them: the voorvoegsel as
 * `prefix qualifier="VV"` with its trailing space (v3 name parts are concatenated as written, so "van der " +
 * "Berg" reads "van der Berg"), the own surname as `family qualifier="BR"`. PTN.US.FIELDED allows one family per
 * name, so a partner's surname is a second name whose family is qualified `SP`, given names repeated there and no
 * use code (only the own name is the legal one).
 * Initials stand in for given names only when no given name is held, qualified `IN`.
 */
export function names(name: HumanName): XmlNode[] {
  const use = name.use ? NAME_USE[name.use] : undefined;
  const given = name.given.length > 0
    ? name.given.map((g) => el('given', {}, g))
    : [name.initials ? el('given', { qualifier: 'IN' }, name.initials) : el('given', { nullFlavor: 'NI' })];
  const part = (prefix: string | undefined, family: string, qualifier: string) => [
    prefix !== undefined && el('prefix', { qualifier: 'VV' }, `${prefix} `),
    el('family', { qualifier }, family),
  ];
  return [
    el('name', { use }, given, part(name.familyPrefix, name.family, 'BR')),
    ...(name.partnerFamily ? [el('name', {}, given, part(name.partnerPrefix, name.partnerFamily, 'SP'))] : []),
  ];
}

const GENDER: Readonly<Record<string, string | undefined>> = { male: 'M', female: 'F', other: 'UN' };

export function genderCode(gender: string): XmlNode {
  const code = GENDER[gender];
  return code
    ? el('administrativeGenderCode', { code, codeSystem: OID.administrativeGender, codeSystemName: 'AdministrativeGender' })
    : el('administrativeGenderCode', { nullFlavor: 'UNK' });
}
