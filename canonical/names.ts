import { z } from 'zod';

/**
 * A person's name as Dutch registries keep it: the own (birth) family name with its prefix ("van der" in
 * "Jan van der Berg") apart from the surname proper, the partner's name likewise, given names, and initials.
 * The prefix is kept apart because sorting, matching and FHIR's `own-prefix` extension all need it separately.
 */
export const NameUse = z.enum(['official', 'usual', 'nickname', 'maiden', 'old', 'anonymous']);

/** How the person wants to be addressed (NEN 1888 / FHIR `humanname-assembly-order`). */
export const NameAssembly = z.enum(['own', 'partner', 'partner-own', 'own-partner']);

export const HumanName = z
  .object({
    use: NameUse.optional(),
    family: z.string().trim().min(1).max(200),
    familyPrefix: z.string().trim().min(1).max(40).optional(),
    partnerFamily: z.string().trim().min(1).max(200).optional(),
    partnerPrefix: z.string().trim().min(1).max(40).optional(),
    assembly: NameAssembly.optional(),
    given: z.array(z.string().trim().min(1).max(100)).max(10).default([]),
    initials: z.string().trim().min(1).max(20).optional(),
    text: z.string().trim().min(1).max(300).optional(),
  })
  .strict();
export type HumanName = z.infer<typeof HumanName>;

/** Dutch surname prefixes (voorvoegsels), longest first so "van der" wins over "van". */
const DUTCH_PREFIXES = [
  'van de', 'van der', 'van den', 'van het', "van 't", 'van ter', 'van ten', 'in de', 'in der', 'in den', "in 't",
  'in het', 'op de', 'op den', 'op het', "op 't", 'uit de', 'uit den', 'uit het', "uit 't", 'aan de', 'aan den',
  'aan het', 'bij de', 'onder de', 'over de', 'voor de', 'de la', 'de le', 'van', 'de', 'den', 'der', 'het', "'t",
  'te', 'ten', 'ter', 'in', 'op', 'la', 'le', 'du', 'des', 'di', 'da', 'del', 'von', 'vom', 'zu', 'zum', 'von der',
  'von dem', 'auf dem', "d'",
].sort((a, b) => b.length - a.length);

/** Lower case, no diacritics, apostrophes kept, every run of other separators one space. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’`´]/g, "'")
    .replace(/[^a-z0-9']+/g, ' ')
    .trim();
}

/**
 * Splits "van der Berg" into prefix "van der" and surname "Berg"; a surname that is only a prefix word
 * ("De") is left whole. Returns the parts as written, not folded.
 */
export function splitDutchPrefix(written: string): { prefix?: string; family: string } {
  const text = written.trim().replace(/\s+/g, ' ');
  const folded = text.toLowerCase();
  for (const p of DUTCH_PREFIXES) {
    if (folded.startsWith(`${p} `) || (p.endsWith("'") && folded.startsWith(p) && folded.length > p.length)) {
      const rest = text.slice(p.length).trim();
      if (rest) return { prefix: text.slice(0, p.length).trim(), family: rest };
    }
  }
  return { family: text };
}

/**
 * The key a family name is matched on: prefixes removed wherever they were written ("Berg, van der",
 * "van der Berg" and "VAN DER BERG" all give "berg"), diacritics folded ("Çelik" → "celik"), no spaces or
 * punctuation; a double name keeps both parts ("Jansen-de Vries" → "jansendevries").
 */
export function familyKey(family: string, prefix?: string): string {
  let text = family;
  const comma = text.indexOf(',');
  if (comma > 0) text = text.slice(0, comma);
  const split = prefix ? { family: text } : splitDutchPrefix(text);
  return foldText(split.family).replace(/[\s']/g, '');
}

/** Initials as bare upper-case letters ("J.P." → "JP"), from the initials field or else the given names. */
export function initialsKey(name: Pick<HumanName, 'initials' | 'given'>): string {
  if (name.initials) return foldText(name.initials).replace(/[^a-z]/g, '').toUpperCase();
  return name.given.map((g) => foldText(g).charAt(0)).join('').toUpperCase();
}

/** The name as a person would read it: "J. van der Berg" style display for lists and audit views. */
export function displayName(name: HumanName): string {
  if (name.text) return name.text;
  const first = name.given.length > 0 ? name.given.join(' ') : (name.initials ?? '');
  const own = [name.familyPrefix, name.family].filter(Boolean).join(' ');
  const partner = [name.partnerPrefix, name.partnerFamily].filter(Boolean).join(' ');
  const surname =
    name.assembly === 'partner' && partner
      ? partner
      : name.assembly === 'partner-own' && partner
        ? `${partner}-${own}`
        : name.assembly === 'own-partner' && partner
          ? `${own}-${partner}`
          : own;
  return [first, surname].filter(Boolean).join(' ');
}
