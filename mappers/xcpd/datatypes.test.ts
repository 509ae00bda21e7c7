import { describe, expect, it } from '@jest/globals';
import type { Issue } from '../../canonical/index.js';
import { NS, readXml, type XmlElement } from '../xml/index.js';
import { addressOf, bareOid, hl7Date, identifierOf, instanceIdentifier, nameOf, telecomOf } from './datatypes.js';

function value(inner: string, attributes = ''): XmlElement {
  const read = readXml(`<value xmlns="${NS.hl7}" ${attributes}>${inner}</value>`);
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  return read.root;
}

/** Runs a reader on a value element and returns what it gave with the codes of the issues it raised. */
function reading<T>(read: (e: XmlElement, issues: Issue[]) => T, inner: string, attributes = '') {
  const issues: Issue[] = [];
  const result = read(value(inner, attributes), issues);
  return { result, issues: issues.map((i) => i.code) };
}

describe('HL7 TS and II', () => {
  it.each([
    ['2024', '2024'],
    ['202402', '2024-02'],
    ['20240229', '2024-02-29'],
    ['2024022913', '2024-02-29'],
    ['20240229131415.5+0100', '2024-02-29'],
    [' 19990101 ', '1999-01-01'],
  ])('hl7Date(%p) = %p', (text, date) => expect(hl7Date(text)).toBe(date));

  it.each(['', '24', '2023022', '20230229', '19000229', '20241232', '2024010124', '202401011260', '20240101.5', '20240101+2460', '2024-01-01'])(
    'hl7Date(%p) is no date',
    (text) => expect(hl7Date(text)).toBeUndefined(),
  );

  it('reads an II verbatim, and one with a nullFlavor or without a root as none', () => {
    expect(instanceIdentifier(value('', 'root=" 1.2.3 " extension="A"'))).toEqual({ root: '1.2.3', extension: 'A' });
    expect(instanceIdentifier(value('', 'root="urn:oid:1.2.3"'))).toEqual({ root: 'urn:oid:1.2.3' });
    expect(instanceIdentifier(value('', 'root="1.2.3" nullFlavor="NI"'))).toBeUndefined();
    expect(instanceIdentifier(value('', 'extension="A"'))).toBeUndefined();
    expect(instanceIdentifier(undefined)).toBeUndefined();
    expect([bareOid('urn:oid:1.2'), bareOid('URN:OID:1.2'), bareOid(' 1.2 ')]).toEqual(['1.2', '1.2', '1.2']);
  });

  it('a null identifier is skipped without a warning', () => {
    expect(reading(identifierOf, '', 'nullFlavor="UNK"')).toEqual({ result: undefined, issues: [] });
    expect(reading(identifierOf, '', `root="1.2" extension="${'9'.repeat(201)}"`)).toEqual({ result: undefined, issues: ['IDENTIFIER_UNUSABLE'] });
  });
});

describe('PN', () => {
  it('a name with only a partner surname keeps it as the family name', () => {
    expect(reading(nameOf, '<given>An</given><prefix qualifier="VV">de</prefix><family qualifier="SP">Wit</family>').result).toEqual({
      name: { family: 'Wit', familyPrefix: 'de', given: ['An'] },
      titles: [],
      suffixes: [],
    });
  });

  it('joins several own family parts in order, and reads the partner part written first as partner-own', () => {
    expect(reading(nameOf, '<given>Ana</given><family>García</family><family>van Dijk</family>').result?.name).toEqual({ family: 'García van Dijk', given: ['Ana'] });
    expect(reading(nameOf, '<family qualifier="SP">Bos</family><family qualifier="BR">de Jong</family>', 'use="OR"').result?.name).toEqual({
      use: 'official',
      family: 'Jong',
      familyPrefix: 'de',
      partnerFamily: 'Bos',
      assembly: 'partner-own',
      given: [],
    });
  });

  it('an unqualified prefix is a surname prefix only when it is one and stands before the family part', () => {
    expect(reading(nameOf, '<prefix>Sir</prefix><family>Jones</family>').result).toEqual({ name: { family: 'Jones', given: [] }, titles: ['Sir'], suffixes: [] });
    expect(reading(nameOf, '<prefix>de</prefix><given>Ed</given><family>Jong</family>').result).toEqual({ name: { family: 'Jong', given: ['Ed'] }, titles: ['de'], suffixes: [] });
    expect(reading(nameOf, '<prefix> van  den </prefix><family>Heuvel</family>').result?.name).toEqual({ family: 'Heuvel', familyPrefix: 'van den', given: [] });
  });

  it('a null name is none, an empty one is none without a warning', () => {
    expect(reading(nameOf, '<family>X</family>', 'nullFlavor="MSK"')).toEqual({ result: undefined, issues: [] });
    expect(reading(nameOf, '<given> </given>')).toEqual({ result: undefined, issues: [] });
  });
});

describe('AD and TEL', () => {
  it('reads address parts and uses, and skips a null or empty address', () => {
    expect(reading(addressOf, '<streetAddressLine>Main St 1</streetAddressLine><county>Cook</county><state>IL</state>', 'use="H"').result).toEqual({
      use: 'home',
      lines: ['Main St 1'],
      district: 'Cook',
      state: 'IL',
    });
    expect(reading(addressOf, '<city>X</city>', 'nullFlavor="UNK"')).toEqual({ result: undefined, issues: [] });
    expect(reading(addressOf, '<unknownPart>X</unknownPart>')).toEqual({ result: undefined, issues: [] });
    expect(reading(addressOf, '<streetAddressLine>1</streetAddressLine>'.repeat(6))).toEqual({ result: undefined, issues: ['ADDRESS_UNUSABLE'] });
  });

  it.each([
    ['tel:+31 30 1234567', 'WP', { system: 'phone', value: '+31 30 1234567', use: 'work' }],
    ['TEL:+1-555-0100', 'MC', { system: 'phone', value: '+1-555-0100', use: 'mobile' }],
    ['fax:+31-30-7654321', 'WP', { system: 'fax', value: '+31-30-7654321', use: 'work' }],
    ['sms:+31612345678', '', { system: 'sms', value: '+31612345678' }],
    ['mailto:a@example.org', 'H', { system: 'email', value: 'a@example.org', use: 'home' }],
    ['http://example.org', 'TMP', { system: 'url', value: 'http://example.org', use: 'temp' }],
    ['x-text:abc', 'BAD', { system: 'other', value: 'x-text:abc' }],
  ])('TEL %s (use %p)', (url, use, telecom) => {
    expect(reading(telecomOf, '', `value="${url}" use="${use}"`)).toEqual({ result: telecom, issues: [] });
  });

  it('skips a null or empty TEL without a warning', () => {
    expect(reading(telecomOf, '', 'nullFlavor="UNK" value="tel:1"')).toEqual({ result: undefined, issues: [] });
    expect(reading(telecomOf, '', 'value=" "')).toEqual({ result: undefined, issues: [] });
  });
});
