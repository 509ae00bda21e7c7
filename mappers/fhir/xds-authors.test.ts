import { describe, expect, it } from '@jest/globals';
import { IdentifierSystems } from '../../canonical/index.js';
import { xcn, xon, xtn } from './parse/hl7v2.js';
import { renderAuthors, renderRelated } from './xds-authors.js';

const AGB = IdentifierSystems.agb;
const URA = IdentifierSystems.ura;

describe('renderAuthors', () => {
  it('gives back, as contained resources, what the XDS writers put into the strings, escaped delimiters included', () => {
    const person = xcn({ family: 'Jansen^Smit', given: ['Anna', 'Maria', 'Louise'], prefix: 'dr.' }, { system: AGB.uri, value: '01234567' });
    const institution = xon('Huisartsen & Co', [{ system: URA.uri, value: '00001234' }]);
    const rendered = renderAuthors([{
      person, institutions: [institution, xon('Lab Noord', [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.16.840.1.113883.2.4.6.99' }])],
      roles: ['01.015^^^&2.16.840.1.113883.2.4.15.111&ISO'], specialties: ['Huisarts'], telecom: [xtn({ system: 'email', value: 'a.jansen@praktijk.example' })!],
    }], xcn({ family: 'de Vries', given: ['Piet'] }, undefined));
    expect(rendered).toEqual({
      contained: [
        { resourceType: 'Organization', id: 'author-1-org-1', identifier: [{ system: URA.uri, value: '00001234' }], name: 'Huisartsen & Co' },
        { resourceType: 'Organization', id: 'author-1-org-2', identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.16.840.1.113883.2.4.6.99' }], name: 'Lab Noord' },
        {
          resourceType: 'Practitioner', id: 'author-1', identifier: [{ system: AGB.uri, value: '01234567' }],
          name: [{ family: 'Jansen^Smit', given: ['Anna', 'Maria', 'Louise'], prefix: ['dr.'] }], telecom: [{ system: 'email', value: 'a.jansen@praktijk.example' }],
        },
        {
          resourceType: 'PractitionerRole', id: 'author-1-role', practitioner: { reference: '#author-1' }, organization: { reference: '#author-1-org-1' },
          code: [{ coding: [{ system: 'urn:oid:2.16.840.1.113883.2.4.15.111', code: '01.015' }] }], specialty: [{ text: 'Huisarts' }],
        },
        { resourceType: 'Practitioner', id: 'authenticator', name: [{ family: 'de Vries', given: ['Piet'] }] },
      ],
      author: [{ reference: '#author-1-role' }, { reference: '#author-1-org-2' }],
      authenticator: { reference: '#authenticator' },
    });
  });

  it('names a person alone by the Practitioner and an institution alone by the Organization; nothing for nothing', () => {
    expect(renderAuthors([{ person: '^Bakker^Jan', institutions: [], roles: [], specialties: [], telecom: [] }], undefined)).toEqual({
      contained: [{ resourceType: 'Practitioner', id: 'author-1', name: [{ family: 'Bakker', given: ['Jan'] }] }],
      author: [{ reference: '#author-1' }],
    });
    expect(renderAuthors([{ institutions: ['Praktijk Oost'], roles: [], specialties: [], telecom: [] }], undefined)).toEqual({
      contained: [{ resourceType: 'Organization', id: 'author-1-org-1', name: 'Praktijk Oost' }],
      author: [{ reference: '#author-1-org-1' }],
    });
    expect(renderAuthors([], undefined)).toEqual({ contained: [], author: [] });
    // A person field that names nobody is no person; an id without its authority still names one.
    expect(renderAuthors([{ person: '^^^', institutions: [], roles: [], specialties: [], telecom: [] }], '^^')).toEqual({ contained: [], author: [] });
    expect(renderAuthors([{ person: '^^^', institutions: ['Praktijk Oost'], roles: [], specialties: [], telecom: [] }], undefined)).toEqual({
      contained: [{ resourceType: 'Organization', id: 'author-1-org-1', name: 'Praktijk Oost' }],
      author: [{ reference: '#author-1-org-1' }],
    });
    expect(renderAuthors([{ person: '12345', institutions: [], roles: [], specialties: [], telecom: [] }], undefined).contained)
      .toEqual([{ resourceType: 'Practitioner', id: 'author-1', identifier: [{ value: '12345' }] }]);
  });
});

describe('renderRelated', () => {
  it('copies each reference id into an identifier, with its authority and kind, and skips one without a value', () => {
    expect(renderRelated(['R-77^^^&2.16.528.1.1007.3.3&ISO^urn:ihe:iti:xds:2013:referral', 'ORD\\S\\1', '^^^&1.2.3&ISO'])).toEqual([
      { identifier: { type: { coding: [{ system: 'urn:ietf:rfc:3986', code: 'urn:ihe:iti:xds:2013:referral' }] }, system: URA.uri, value: 'R-77' } },
      { identifier: { value: 'ORD^1' } },
    ]);
  });
});
