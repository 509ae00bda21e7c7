import { splitDutchPrefix, type Address, type HumanName, type Identifier, type Telecom } from '../../canonical/index.js';
import { valueOf } from './issues.js';
import type { Segment } from './syntax.js';

/**
 * Identifier systems for codes a sender assigns on its own (the lab's patient number, its doctor codes, its test
 * codes): scoped by the sender's mailbox, since the same number means different things at two labs. These are
 * our names, not registered ones; the MEDLAB doctor code in particular is not an AGB code (§9).
 */
export function senderScoped(mailbox: string, kind: 'patient' | 'doctor-code' | 'institution-code' | 'order' | 'test-code' | 'test-name'): string {
  return `urn:crossgate:medlab:${mailbox}:${kind}`;
}

export const MAILBOX_SYSTEM = 'urn:crossgate:medlab:mailbox';

export function identifier(system: string, value: string): Identifier[] {
  return value ? [{ system, value }] : [];
}

/** The MEDLAB address composite: street : house number : PO box : city : postcode : province : country. */
export function addressOf(segment: Segment, element: number): Address[] {
  const part = (n: number) => valueOf(segment, element, n);
  const address: Address = {
    lines: part(3) ? [`Postbus ${part(3)}`] : [],
    ...(part(1) ? { street: part(1) } : {}),
    ...(part(2) ? { houseNumber: part(2) } : {}),
    ...(part(4) ? { city: part(4) } : {}),
    ...(part(5) ? { postalCode: part(5) } : {}),
    ...(part(6) ? { state: part(6) } : {}),
    ...(part(7) ? { country: part(7) } : {}),
  };
  return Object.keys(address).length > 1 || address.lines.length > 0 ? [address] : [];
}

export function phoneOf(segment: Segment, element: number): Telecom[] {
  const value = valueOf(segment, element);
  return value ? [{ system: 'phone', value }] : [];
}

/**
 * A family name with its prefix: the prefix slot when the sender filled it, otherwise split off the name
 * ("van der Berg" written whole in the name slot).
 */
export function familyWithPrefix(name: string, prefix: string): { family: string; prefix?: string } {
  if (prefix) return { family: name, prefix };
  const split = splitDutchPrefix(name);
  return split.prefix ? { family: split.family, prefix: split.prefix } : { family: split.family };
}

/** ART element 3: last name : prefix : initials : titles (titles have no place in HumanName and are left out). */
export function doctorName(art: Segment): HumanName[] {
  const last = valueOf(art, 3, 1);
  if (!last) return [];
  const { family, prefix } = familyWithPrefix(last, valueOf(art, 3, 2));
  const initials = valueOf(art, 3, 3);
  return [{ family, ...(prefix ? { familyPrefix: prefix } : {}), given: [], ...(initials ? { initials } : {}) }];
}
