import { describe, expect, it } from '@jest/globals';
import { codedString, cx, escapeV2, xcn, xon, xtn } from './hl7v2.js';

describe('the HL7 v2 strings of XDS metadata', () => {
  it('escapes the delimiters, so a value cannot shift the components after it', () => {
    expect(escapeV2('A&B^C|D~E\\F')).toBe('A\\T\\B\\S\\C\\F\\D\\R\\E\\E\\F');
  });

  it('writes CX only with an OID assigning authority', () => {
    expect(cx({ system: 'urn:oid:2.999.1.3', value: 'P-1' })).toBe('P-1^^^&2.999.1.3&ISO');
    expect(cx({ system: 'http://fhir.nl/fhir/NamingSystem/bsn', value: '999981213' })).toBe('999981213^^^&2.16.840.1.113883.2.4.6.3&ISO');
    expect(cx({ system: 'https://example.org/mrn', value: 'P-1' })).toBeUndefined();
  });

  it('writes XCN with the id only where its authority is an OID, trailing components dropped', () => {
    expect(xcn({ family: 'Jansen', given: ['Piet', 'Jan', 'Klaas'], prefix: 'dr.' }, { system: 'urn:oid:2.999.2', value: '42' })).toBe('42^Jansen^Piet^Jan Klaas^^dr.^^^&2.999.2&ISO');
    expect(xcn({ family: 'Jansen', given: [] }, { system: 'https://example.org/staff', value: '42' })).toBe('^Jansen');
    expect(xcn(undefined, { system: 'urn:oid:2.999.2', value: '42' })).toBe('42^^^^^^^^&2.999.2&ISO');
  });

  it('writes XON for an organisation that is an OID, one identified under an OID, or by name alone', () => {
    expect(xon('Kliniek', [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.999.3' }])).toBe('Kliniek^^^^^^^^^2.999.3');
    expect(xon('Kliniek', [{ system: 'urn:oid:2.999.3', value: 'K-1' }])).toBe('Kliniek^^^^^&2.999.3&ISO^^^^K-1');
    expect(xon('Kliniek', [{ system: 'https://example.org/orgs', value: 'K-1' }])).toBe('Kliniek');
  });

  it('writes XTN for e-mail and numbers, and nothing for kinds XTN has no equipment type for', () => {
    expect(xtn({ system: 'email', value: 'a@example.org' })).toBe('^^Internet^a@example.org');
    expect(xtn({ system: 'phone', value: '+31 30 123 4567' })).toBe('^^PH^^^^^^^^^+31 30 123 4567');
    expect(xtn({ system: 'fax', value: '+31 30 123 4568' })).toBe('^^FX^^^^^^^^^+31 30 123 4568');
    expect(xtn({ system: 'sms', value: '+31 6 1234 5678' })).toBe('^^CP^^^^^^^^^+31 6 1234 5678');
    expect(xtn({ system: 'url', value: 'https://example.org' })).toBeUndefined();
  });

  it('writes a coded role or specialty as code^^^&oid&ISO, or its display where the system has no OID', () => {
    expect(codedString({ system: 'http://snomed.info/sct', code: '62247001', display: 'General practitioner' })).toBe('62247001^^^&2.16.840.1.113883.6.96&ISO');
    expect(codedString({ system: 'https://example.org/roles', code: 'GP', display: 'Huisarts' })).toBe('Huisarts');
    expect(codedString({ system: 'https://example.org/roles', code: 'GP' })).toBe('GP');
  });
});
