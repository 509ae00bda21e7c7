import { describe, expect, it } from '@jest/globals';
import type { Patient as FhirPatient } from 'fhir/r4.js';
import { Address, type Issue } from '../../../canonical/index.js';
import { renderAddress } from '../datatypes.js';
import { parsePatient } from './index.js';

const SD = 'http://hl7.org/fhir/StructureDefinition';
const BSN = 'http://fhir.nl/fhir/NamingSystem/bsn';
const PATH = 'Bundle.entry[4].resource';

const minimal: FhirPatient = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.999.1.3', value: 'P-1' }], name: [{ family: 'Doe' }] };
const parse = (overrides: object) => parsePatient({ ...minimal, ...overrides }, PATH);
const problems = (issues: readonly Issue[]) => issues.map((i) => [i.severity, i.where?.path, i.message]);

describe('parsePatient', () => {
  it('maps a minimal patient, defaulting gender to unknown as the canonical model does', () => {
    expect(parsePatient(minimal, PATH)).toEqual({
      patient: { identifiers: [{ system: 'urn:oid:2.999.1.3', value: 'P-1' }], names: [{ family: 'Doe', given: [] }], addresses: [], telecom: [] },
      issues: [],
    });
  });

  it('canonicalises identifier systems: a known OID becomes its URI, an unknown one stays urn:oid:', () => {
    const { patient } = parse({
      identifier: [
        { system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: '999981213', use: 'official' },
        { system: 'urn:oid:2.999.1.3', value: 'P-1', assigner: { display: 'Test Clinic' }, period: { start: '2020-01-01' } },
      ],
    });
    expect(patient!.identifiers).toEqual([
      { system: BSN, value: '999981213', use: 'official' },
      { system: 'urn:oid:2.999.1.3', value: 'P-1', assignerName: 'Test Clinic', period: { start: '2020-01-01' } },
    ]);
  });

  it('writes an older eight-digit BSN with nine digits, the form the identifier index holds', () => {
    expect(parse({ identifier: [{ system: BSN, value: '12345672' }] }).patient!.identifiers).toEqual([{ system: BSN, value: '012345672' }]);
  });

  it('refuses a BSN that fails the 11-proef, at its value', () => {
    expect(problems(parse({ identifier: [{ system: BSN, value: '999981214' }] }).issues)).toEqual([
      ['error', `${PATH}.identifier[0].value`, 'Patient.identifier[0].value is invalid: BSN fails the 11-proef'],
    ]);
  });

  it('needs an identifier with system and value: it is what finds the patient again', () => {
    expect(problems(parse({ identifier: [] }).issues)).toEqual([
      ['error', `${PATH}.identifier`, 'Patient.identifier is required: the import finds the same patient again by an identifier'],
    ]);
    expect(problems(parse({ identifier: [{ value: 'P-1' }, { system: 'urn:oid:2.999.1.3' }] }).issues)).toEqual([
      ['error', `${PATH}.identifier[0].system`, 'Patient.identifier[0].system is required: an identifier is matched by system and value'],
      ['error', `${PATH}.identifier[1].value`, 'Patient.identifier[1].value is required'],
    ]);
  });

  it('keeps nl-core name parts apart, with the assembly order, and takes qualified given names as initials', () => {
    const { patient } = parse({
      name: [{
        extension: [{ url: `${SD}/humanname-assembly-order`, valueCode: 'NL4' }],
        use: 'official',
        family: 'van der Berg-de Vries',
        _family: {
          extension: [
            { url: `${SD}/humanname-own-prefix`, valueString: 'van der' },
            { url: `${SD}/humanname-own-name`, valueString: 'Berg' },
            { url: `${SD}/humanname-partner-prefix`, valueString: 'de' },
            { url: `${SD}/humanname-partner-name`, valueString: 'Vries' },
          ],
        },
        given: ['Johanna', 'J.M.'],
        _given: [null, { extension: [{ url: `${SD}/iso21090-EN-qualifier`, valueCode: 'IN' }] }],
      }],
    });
    expect(patient!.names).toEqual([{
      use: 'official', family: 'Berg', familyPrefix: 'van der', partnerFamily: 'Vries', partnerPrefix: 'de', assembly: 'own-partner', given: ['Johanna'], initials: 'J.M.',
    }]);
  });

  it('keeps a family name without parts as written', () => {
    expect(parse({ name: [{ family: 'van den Heuvel', given: ['Piet'], text: 'Piet van den Heuvel' }] }).patient!.names).toEqual([
      { family: 'van den Heuvel', given: ['Piet'], text: 'Piet van den Heuvel' },
    ]);
  });

  it('needs a name with a family name, and a known assembly order', () => {
    expect(problems(parse({ name: [] }).issues)).toEqual([['error', `${PATH}.name`, 'Patient.name is required']]);
    expect(problems(parse({ name: [{ given: ['Jo'] }] }).issues)).toEqual([
      ['error', `${PATH}.name[0].family`, 'Patient.name[0].family is required: patients are matched on the family name'],
    ]);
    expect(problems(parse({ name: [{ family: 'Doe', extension: [{ url: `${SD}/humanname-assembly-order`, valueCode: 'NL9' }] }] }).issues)).toEqual([
      ['error', `${PATH}.name[0].extension`, 'Patient.name[0].extension has a humanname-assembly-order code outside NL1-NL4'],
    ]);
  });

  it('maps gender, birth date, deceased, addresses (with ADXP street and house number) and telecom', () => {
    const { patient, issues } = parse({
      gender: 'female',
      birthDate: '1984-03',
      deceasedDateTime: '2024-01-02T03:04:00+01:00',
      address: [{
        use: 'home', line: ['Dorpsstraat 12a'], city: 'Ede', district: 'Gelderland', postalCode: '6711AA', country: 'NL',
        _line: [{ extension: [{ url: `${SD}/iso21090-ADXP-streetName`, valueString: 'Dorpsstraat' }, { url: `${SD}/iso21090-ADXP-houseNumber`, valueString: '12a' }] }],
      }],
      telecom: [{ system: 'phone', value: '+31 6 12345678', use: 'mobile' }, { system: 'email', value: 'a@example.org' }],
    });
    expect(issues).toEqual([]);
    expect(patient).toMatchObject({
      gender: 'female',
      birthDate: '1984-03',
      deceased: '2024-01-02T03:04:00+01:00',
      addresses: [{ use: 'home', lines: ['Dorpsstraat 12a'], street: 'Dorpsstraat', houseNumber: '12a', city: 'Ede', district: 'Gelderland', postalCode: '6711AA', country: 'NL' }],
      telecom: [{ system: 'phone', value: '+31 6 12345678', use: 'mobile' }, { system: 'email', value: 'a@example.org' }],
    });
    expect(parse({ deceasedBoolean: true }).patient!.deceased).toBe(true);
  });

  it('refuses values outside the element rules, each at its path', () => {
    expect(problems(parse({ gender: 'M' }).issues)).toEqual([
      ['error', `${PATH}.gender`, 'Patient.gender is invalid: invalid option: expected one of "male"|"female"|"other"|"unknown"'],
    ]);
    expect(problems(parse({ birthDate: '01-01-1970' }).issues)).toEqual([
      ['error', `${PATH}.birthDate`, 'Patient.birthDate is invalid: must be YYYY, YYYY-MM or YYYY-MM-DD'],
    ]);
    expect(problems(parse({ deceasedDateTime: '2024-01-02T03:04:00' }).issues)).toEqual([
      ['error', `${PATH}.deceasedDateTime`, 'Patient.deceasedDateTime must be a FHIR date or dateTime, with a time zone when a time is given'],
    ]);
    expect(problems(parse({ telecom: [{ system: 'phone' }] }).issues)).toEqual([['error', `${PATH}.telecom[0].value`, 'Patient.telecom[0].value is required']]);
    expect(problems(parse({ address: [{ postalCode: 'x'.repeat(21) }] }).issues)).toEqual([
      ['error', `${PATH}.address[0].postalCode`, 'Patient.address[0].postalCode is invalid: too big: expected string to have <=20 characters'],
    ]);
    expect(problems(parse({ resourceType: 'Person' }).issues)).toEqual([['error', `${PATH}.resourceType`, 'Patient.resourceType is invalid: invalid input: expected "Patient"']]);
  });
});

describe('an nl-core address read and rendered again', () => {
  it('keeps the street and house number parts of a written line that is exactly street and number', () => {
    const address = {
      use: 'home' as const, line: ['Oudegracht 231'], city: 'Utrecht', postalCode: '3511NK', country: 'NL',
      _line: [{ extension: [
        { url: `${SD}/iso21090-ADXP-streetName`, valueString: 'Oudegracht' },
        { url: `${SD}/iso21090-ADXP-houseNumber`, valueString: '231' },
      ] }],
    };
    const read = parse({ address: [address] }).patient!.addresses![0]!;
    expect(renderAddress(Address.parse(read))).toEqual(address);
    // A second written line would need null padding in _line, so the parts stay on the canonical record only.
    const twoLines = Address.parse({ ...read, lines: ['p/a Zorggroep Noord', 'Oudegracht 231'] });
    expect(renderAddress(twoLines)).toEqual({ use: 'home', line: ['p/a Zorggroep Noord', 'Oudegracht 231'], city: 'Utrecht', postalCode: '3511NK', country: 'NL' });
  });
});
