import type { Extension, HumanName as FhirHumanName } from 'fhir/r4.js';
import { displayName, type HumanName } from '../../canonical/index.js';

/**
 * Names the way the Dutch nl-core profiles write them: `family` is the surname as the person uses it ("de
 * Vries-van der Berg"), and the own and partner parts, each with its voorvoegsel, ride on `_family` as the core
 * humanname-own-prefix / own-name / partner-prefix / partner-name extensions, so a receiver can sort and match
 * on "Berg" without guessing where a prefix ends.
 */
const SD = 'http://hl7.org/fhir/StructureDefinition';
const ASSEMBLY_ORDER = `${SD}/humanname-assembly-order`;
const QUALIFIER = `${SD}/iso21090-EN-qualifier`;

const ASSEMBLY_CODES: Record<NonNullable<HumanName['assembly']>, string> = { own: 'NL1', partner: 'NL2', 'partner-own': 'NL3', 'own-partner': 'NL4' };

export function renderHumanName(name: HumanName): FhirHumanName {
  const family = writtenFamily(name);
  const parts = familyParts(name);
  return {
    ...(name.assembly ? { extension: [{ url: ASSEMBLY_ORDER, valueCode: ASSEMBLY_CODES[name.assembly] }] } : {}),
    ...(name.use ? { use: name.use } : {}),
    text: displayName(name),
    family,
    // A plain surname ("Jansen") needs no parts: own-name alone would only repeat `family`.
    ...(parts.length > 1 ? { _family: { extension: parts } } : {}),
    ...givenNames(name),
  };
}

/**
 * displayName without first names or text is the surname assembled in the person's chosen order; reusing it
 * keeps `family` and every list the console shows in agreement.
 */
function writtenFamily(name: HumanName): string {
  return displayName({ ...name, given: [], initials: undefined, text: undefined });
}

function familyParts(name: HumanName): Extension[] {
  const part = (kind: string, value: string | undefined): Extension[] => (value ? [{ url: `${SD}/humanname-${kind}`, valueString: value }] : []);
  return [
    ...part('own-prefix', name.familyPrefix),
    ...part('own-name', name.family),
    ...part('partner-prefix', name.partnerPrefix),
    ...part('partner-name', name.partnerFamily),
  ];
}

/**
 * Initials stand in for given names only when no given name is known: next to given names they add nothing a
 * reader cannot derive, and mixing the two would require qualifying each given name (birth name, call name)
 * beyond what the record says.
 */
function givenNames(name: HumanName): Pick<FhirHumanName, 'given' | '_given'> {
  if (name.given.length > 0) return { given: [...name.given] };
  if (!name.initials) return {};
  return { given: [name.initials], _given: [{ extension: [{ url: QUALIFIER, valueCode: 'IN' }] }] };
}
