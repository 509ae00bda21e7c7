import { describe, expect, it } from '@jest/globals';
import { address, names, telecom, ts } from './datatypes.js';
import { serialize, type XmlNode } from './xml-writer.js';

const xml = (node: XmlNode) => serialize(node).xml.split('\n').slice(1).join('\n').trim();

describe('ts', () => {
  it.each([
    ['1956', '1956'],
    ['1949-11', '194911'],
    ['1956-04-12', '19560412'],
    ['2024-03-14T08:05+01:00', '202403140805+0100'],
    ['2024-03-14T08:05:09Z', '20240314080509+0000'],
    ['2024-03-14T08:05:09.250-05:00', '20240314080509.250-0500'],
  ])('writes %s as %s, at the precision it was stored', (value, expected) => {
    expect(ts(value)).toBe(expected);
  });
});

describe('names', () => {
  it('stands initials in for given names only when none are held', () => {
    expect(xml(names({ given: [], initials: 'M.E.', family: 'Çelik' })[0]!)).toBe(
      '<name>\n  <given qualifier="IN">M.E.</given>\n  <family qualifier="BR">Çelik</family>\n</name>',
    );
    expect(xml(names({ given: [], family: 'Jong' })[0]!)).toContain('<given nullFlavor="NI"/>');
  });
});

describe('address and telecom', () => {
  it('keeps written lines over street and house number, and makes a phone number a tel: URL', () => {
    expect(xml(address({ lines: ['Postbus 12'], street: 'Laan', houseNumber: '3', city: 'Utrecht' }))).toContain('<streetAddressLine>Postbus 12</streetAddressLine>');
    expect(xml(address({ lines: [] }))).toBe('<addr>\n  <streetAddressLine nullFlavor="NI"/>\n  <city nullFlavor="NI"/>\n</addr>');
    expect(xml(telecom({ system: 'phone', value: '+31 6 1234 5678', use: 'mobile' })!)).toBe('<telecom use="MC" value="tel:+31612345678"/>');
    expect(xml(telecom({ system: 'email', value: 'mailto:a@b.nl' })!)).toBe('<telecom value="mailto:a@b.nl"/>');
    expect(telecom({ system: 'other', value: 'pager 12' })).toBeUndefined();
  });
});
