import { describe, expect, it } from '@jest/globals';
import { displayName, familyKey, HumanName, initialsKey, splitDutchPrefix } from './names.js';

describe('Dutch names', () => {
  it.each([
    ['van der Berg', { prefix: 'van der', family: 'Berg' }],
    ['Van Den Heuvel', { prefix: 'Van Den', family: 'Heuvel' }],
    ["in 't Veld", { prefix: "in 't", family: 'Veld' }],
    ['de Vries', { prefix: 'de', family: 'Vries' }],
    ["d'Ancona", { prefix: "d'", family: 'Ancona' }],
    ['Jansen', { family: 'Jansen' }],
    ['De', { family: 'De' }],
    ['Vandenberg', { family: 'Vandenberg' }],
  ])('splits %p', (written, expected) => {
    expect(splitDutchPrefix(written)).toEqual(expected);
  });

  it('keeps the prefix apart from the family name in the canonical name', () => {
    const name = HumanName.parse({ family: 'Berg', familyPrefix: 'van der', given: ['Jan'], initials: 'J.' });
    expect(name).toEqual({ family: 'Berg', familyPrefix: 'van der', given: ['Jan'], initials: 'J.' });
    expect(displayName(name)).toBe('Jan van der Berg');
  });

  it('folds prefixes, case, diacritics and sort order to one key', () => {
    const key = familyKey('Berg', 'van der');
    expect(familyKey('van der Berg')).toBe(key);
    expect(familyKey('VAN DER BERG')).toBe(key);
    expect(familyKey('Berg, van der')).toBe(key);
    expect(familyKey('Bérg')).toBe(key);
    expect(familyKey('Çelik')).toBe('celik');
    expect(familyKey('Jansen-de Vries')).toBe('jansendevries');
    expect(familyKey("in 't Veld")).toBe('veld');
    expect(familyKey('Bergen')).not.toBe(key);
  });

  it('reads initials from the initials field or the given names', () => {
    expect(initialsKey({ initials: 'J.P.', given: [] })).toBe('JP');
    expect(initialsKey({ given: ['Johannes', 'Pieter'] })).toBe('JP');
    expect(initialsKey({ given: ['Émile'] })).toBe('E');
  });

  it('assembles the surname the way the person uses it', () => {
    const base = { family: 'Vries', familyPrefix: 'de', partnerFamily: 'Jansen', given: ['Anna'] };
    expect(displayName(HumanName.parse({ ...base, assembly: 'partner-own' }))).toBe('Anna Jansen-de Vries');
    expect(displayName(HumanName.parse({ ...base, assembly: 'partner' }))).toBe('Anna Jansen');
    expect(displayName(HumanName.parse(base))).toBe('Anna de Vries');
  });

  it('refuses an empty family name', () => {
    expect(HumanName.safeParse({ family: '  ', given: [] }).success).toBe(false);
  });
});
