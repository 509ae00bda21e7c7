import { describe, expect, it } from '@jest/globals';
import { IdentifierSystems, Patient } from '../../canonical/index.js';
import { xcpdFixture } from '../../fixtures/ihe/xcpd/files.js';
// Only to prove the parsed demographics are what identity's matcher takes; the mapper itself never imports identity.
import { decideMatch, scoreCandidate, type Demographics } from '../../identity/match.js';
import { readXml, type XmlElement } from '../xml/index.js';
import { demographicsOf, parsePatientDiscoveryRequest, type PatientDiscoveryQuery } from './parse-patient-discovery.js';

function element(text: string): XmlElement {
  const read = readXml(text);
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  return read.root;
}

function parsed(text: string): PatientDiscoveryQuery {
  const result = parsePatientDiscoveryRequest(element(text));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.query;
}

const query = (name: string) => parsed(xcpdFixture(name));

function refused(text: string) {
  const result = parsePatientDiscoveryRequest(element(text));
  if (result.ok) throw new Error('the request was accepted');
  return result.issues.map((i) => ({ severity: i.severity, code: i.code, path: i.where?.path }));
}

const MINIMAL = xcpdFixture('minimal.xml');
const QBP = '/PRPA_IN201305UV02/controlActProcess/queryByParameter';
const PARAMETERS = `${QBP}/parameterList`;

describe('parsePatientDiscoveryRequest: fixtures', () => {
  it('a typical Carequality request: header, initiator, query and every demographic', () => {
    const q = query('carequality-typical.xml');
    expect({ ...q, queryByParameter: q.queryByParameter.path }).toEqual({
      messageId: { root: '2.999.1.1', extension: '7d2c6f0e-3b1a-4c55-9a2e-61f0b8d4e913' },
      creationTime: '20250114093015',
      processingCode: 'P',
      processingModeCode: 'T',
      acceptAckCode: 'AL',
      receiverDeviceId: { root: '2.999.2.1' },
      senderDeviceId: { root: '2.999.1.1.10' },
      initiatorHomeCommunityId: '2.999.1.1',
      queryId: { root: '2.999.1.1', extension: 'q-20250114-0042' },
      statusCode: 'new',
      responseModalityCode: 'R',
      responsePriorityCode: 'I',
      parameters: {
        gender: 'female',
        birthDate: '1981-03-17',
        identifiers: [{ system: 'urn:oid:2.999.1.1.5', value: 'MRN-4471' }],
        names: [{ name: { family: 'Garcia', given: ['Maria', 'Elena'] }, titles: [], suffixes: [] }],
        addresses: [{ lines: ['1200 Harbor View Road', 'Apt 4B'], city: 'Portland', state: 'OR', postalCode: '97201', country: 'USA' }],
        telecom: [{ system: 'phone', value: '+1-503-555-0142', use: 'home' }],
        principalCareProviderIds: [{ system: IdentifierSystems.npi.uri, value: '1234567893' }],
      },
      queryByParameter: QBP,
      warnings: [],
    });
  });

  it('the minimal request: name, gender and birth date', () => {
    const q = query('minimal.xml');
    expect(q.parameters).toEqual({
      gender: 'male',
      birthDate: '1981-01-01',
      identifiers: [],
      names: [{ name: { family: 'NWHINZZZTESTPATIENT', given: ['NWHINONE'] }, titles: [], suffixes: [] }],
      addresses: [],
      telecom: [],
      principalCareProviderIds: [],
    });
    expect([q.processingCode, q.creationTime, q.warnings]).toEqual(['T', '20250114100000+0000', []]);
  });

  it('several names and identifiers: Dutch surname prefixes wherever written, partner name, titles, BSN, SSN', () => {
    const q = query('several-names-ids.xml');
    expect(q.parameters).toEqual({
      gender: 'female',
      birthDate: '1965-08',
      identifiers: [
        { system: IdentifierSystems.bsn.uri, value: '999990019' },
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: '666-45-1234' },
        { system: 'urn:oid:2.999.4.1.5', value: 'P-88812' },
      ],
      names: [
        {
          name: { use: 'official', family: 'Berg', familyPrefix: 'van der', partnerFamily: 'Vries', partnerPrefix: 'de', assembly: 'own-partner', given: ['Johanna', 'Maria'], initials: 'J.M.' },
          titles: [],
          suffixes: [],
        },
        { name: { family: 'Berg', familyPrefix: 'van der', given: ['Jo'] }, titles: ['dr.'], suffixes: ['MSc'] },
        { name: { family: 'Berg', familyPrefix: 'van der', given: ['Jo'] }, titles: ['Mrs.'], suffixes: [] },
      ],
      mothersMaidenName: { use: 'maiden', family: 'Jansen', given: [] },
      addresses: [
        { use: 'home', lines: [], street: 'Kerkstraat', houseNumber: '12', postalCode: '3511 AB', city: 'Utrecht', country: 'NL' },
        { use: 'work', lines: ['Postbus 100'], postalCode: '3500 AC', city: 'Utrecht' },
      ],
      telecom: [
        { system: 'phone', value: '+31-6-12345678', use: 'mobile' },
        { system: 'email', value: 'j.vanderberg@example.nl' },
      ],
      principalCareProviderIds: [],
    });
    expect(q.warnings).toEqual([]);
    expect([q.senderDeviceId, q.receiverDeviceId]).toEqual([{ root: '2.999.4.1.1', extension: 'gw-01' }, { root: '2.999.2.1', extension: 'xcpd' }]);
  });

  it.each([
    ['prefixed.xml', { root: '2.999.5.1', extension: '5551' }, 'female', '1981-03-17'],
    ['default-namespace.xml', { root: '2.999.6.1', extension: '6661' }, 'male', '1970-02-28'],
  ])('%s reads like the default-namespace form, unknown elements ignored', (name, messageId, gender, birthDate) => {
    const q = query(name);
    expect([q.messageId, q.parameters.gender, q.parameters.birthDate, q.warnings]).toEqual([messageId, gender, birthDate, []]);
    expect(q.parameters.names).toHaveLength(1);
    expect(q.queryByParameter.name).toBe('queryByParameter');
  });

  it.each([
    ['no-query-by-parameter.xml', [{ severity: 'fatal', code: 'QUERY_MISSING', path: '/PRPA_IN201305UV02/controlActProcess' }]],
    ['wrong-interaction-id.xml', [{ severity: 'fatal', code: 'INTERACTION_ID_WRONG', path: '/PRPA_IN201305UV02/interactionId' }]],
    [
      'bad-birth-time.xml',
      [
        { severity: 'error', code: 'BIRTH_TIME_INVALID', path: `${PARAMETERS}/livingSubjectBirthTime/value` },
        { severity: 'error', code: 'PARAMETERS_INSUFFICIENT', path: PARAMETERS },
      ],
    ],
    ['bad-gender.xml', [{ severity: 'error', code: 'GENDER_INVALID', path: `${PARAMETERS}/livingSubjectAdministrativeGender/value` }]],
  ])('%s is refused, naming where', (name, issues) => {
    expect(refused(xcpdFixture(name))).toEqual(issues);
  });
});

describe('parsePatientDiscoveryRequest: rules', () => {
  const edit = (from: string, to: string) => {
    if (!MINIMAL.includes(from)) throw new Error(`fixture has no ${from}`);
    return MINIMAL.replace(from, to);
  };

  it('refuses an element that is not a PRPA_IN201305UV02 in the HL7 namespace', () => {
    expect(refused('<PRPA_IN201305UV02/>')).toEqual([{ severity: 'fatal', code: 'NOT_PATIENT_DISCOVERY', path: '/PRPA_IN201305UV02' }]);
    expect(refused('<PRPA_IN201306UV02 xmlns="urn:hl7-org:v3"/>')).toEqual([{ severity: 'fatal', code: 'NOT_PATIENT_DISCOVERY', path: '/PRPA_IN201306UV02' }]);
  });

  it('reports every header problem at once', () => {
    const text = edit('<id root="2.999.3.1" extension="min-0001"/>', '')
      .replace('<creationTime value="20250114100000+0000"/>', '<creationTime value="2025-01-14T10:00:00Z"/>')
      .replace('<processingCode code="T"/>', '<processingCode code="X"/>')
      .replace('<interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201305UV02"/>', '')
      .replace(/<sender typeCode="SND">[\s\S]*<\/sender>/, '<sender typeCode="SND"><device><asAgent><representedOrganization><id root="not-an-oid"/></representedOrganization></asAgent></device></sender>')
      .replace('<queryId root="2.999.3.1" extension="min-q-0001"/>', '');
    expect(refused(text)).toEqual([
      { severity: 'fatal', code: 'INTERACTION_ID_WRONG', path: '/PRPA_IN201305UV02' },
      { severity: 'error', code: 'MESSAGE_ID_MISSING', path: '/PRPA_IN201305UV02' },
      { severity: 'error', code: 'CREATION_TIME_INVALID', path: '/PRPA_IN201305UV02/creationTime' },
      { severity: 'error', code: 'PROCESSING_CODE_INVALID', path: '/PRPA_IN201305UV02/processingCode' },
      { severity: 'error', code: 'SENDER_DEVICE_ID_MISSING', path: '/PRPA_IN201305UV02/sender/device' },
      { severity: 'error', code: 'HOME_COMMUNITY_ID_INVALID', path: '/PRPA_IN201305UV02/sender/device/asAgent/representedOrganization/id' },
      { severity: 'error', code: 'QUERY_ID_MISSING', path: QBP },
    ]);
  });

  it('requires the initiator home community id and the parameter list', () => {
    expect(refused(edit('<id root="2.999.3.1"/>\n        </representedOrganization>', '</representedOrganization>'))).toEqual([
      { severity: 'error', code: 'HOME_COMMUNITY_ID_MISSING', path: '/PRPA_IN201305UV02/sender/device' },
    ]);
    expect(refused(MINIMAL.replace(/<parameterList>[\s\S]*<\/parameterList>/, ''))).toEqual([{ severity: 'error', code: 'PARAMETER_LIST_MISSING', path: QBP }]);
  });

  it('needs a usable identifier, or both a name and a birth date', () => {
    const withoutBirth = MINIMAL.replace(/<livingSubjectBirthTime>[\s\S]*<\/livingSubjectBirthTime>/, '');
    expect(refused(withoutBirth)).toEqual([{ severity: 'error', code: 'PARAMETERS_INSUFFICIENT', path: PARAMETERS }]);
    const idOnly = withoutBirth.replace('<livingSubjectName>', '<livingSubjectId><value root="2.999.3.1.5" extension="77"/></livingSubjectId><livingSubjectName>');
    expect(parsed(idOnly).parameters.identifiers).toEqual([{ system: 'urn:oid:2.999.3.1.5', value: '77' }]);
  });

  it.each([
    ['1981', '1981'],
    ['198107', '1981-07'],
    ['19810731', '1981-07-31'],
    ['19810731235959.1234-0500', '1981-07-31'],
    ['20000229', '2000-02-29'],
  ])('reads birth time %s as %s', (value, date) => {
    expect(parsed(edit('<value value="19810101"/>', `<value value="${value}"/>`)).parameters.birthDate).toBe(date);
  });

  it.each(['19810229', '19811301', '19810100', '1981073', '19810731246000', '19810731+2500', ' ', 'x'])('refuses birth time %p', (value) => {
    expect(refused(edit('<value value="19810101"/>', `<value value="${value}"/>`))[0]).toEqual({ severity: 'error', code: 'BIRTH_TIME_INVALID', path: `${PARAMETERS}/livingSubjectBirthTime/value` });
  });

  it('leaves a birth-time range and a null birth time to the other parameters', () => {
    const withId = (birth: string) => edit('<value value="19810101"/>', birth).replace('<livingSubjectName>', '<livingSubjectId><value root="2.999.9" extension="1"/></livingSubjectId><livingSubjectName>');
    const range = parsed(withId('<value><low value="1981"/><high value="1982"/></value>'));
    expect([range.parameters.birthDate, range.warnings.map((w) => w.code)]).toEqual([undefined, ['BIRTH_TIME_RANGE']]);
    const nulled = parsed(withId('<value nullFlavor="UNK"/>'));
    expect([nulled.parameters.birthDate, nulled.warnings]).toEqual([undefined, []]);
  });

  it.each([
    ['F', 'female'],
    ['M', 'male'],
    ['UN', 'other'],
  ])('reads gender %s as %s, with or without the AdministrativeGender code system', (code, gender) => {
    expect(parsed(edit('<value code="M"/>', `<value code="${code}"/>`)).parameters.gender).toBe(gender);
    expect(parsed(edit('<value code="M"/>', `<value code="${code}" codeSystem="urn:oid:2.16.840.1.113883.5.1"/>`)).parameters.gender).toBe(gender);
  });

  it('refuses a gender code of another system, and leaves a null gender out', () => {
    expect(refused(edit('<value code="M"/>', '<value code="M" codeSystem="2.16.840.1.113883.4.642.3.1"/>'))).toEqual([
      { severity: 'error', code: 'GENDER_INVALID', path: `${PARAMETERS}/livingSubjectAdministrativeGender/value` },
    ]);
    expect(parsed(edit('<value code="M"/>', '<value nullFlavor="UNK"/>')).parameters.gender).toBeUndefined();
  });

  it('uses the first of a repeated single parameter, with a warning', () => {
    const q = parsed(edit('</livingSubjectAdministrativeGender>', '</livingSubjectAdministrativeGender><livingSubjectAdministrativeGender><value code="F"/></livingSubjectAdministrativeGender>'));
    expect([q.parameters.gender, q.warnings.map((w) => [w.code, w.where?.path])]).toEqual(['male', [['PARAMETER_REPEATED', `${PARAMETERS}/livingSubjectAdministrativeGender[2]/value`]]]);
  });

  it('leaves out with a warning what the canonical model cannot hold, and keeps the rest', () => {
    const extra = [
      '<livingSubjectId><value root="2.999.9.1"/></livingSubjectId>',
      '<livingSubjectId><value root="2.16.840.1.113883.2.4.6.3" extension="123456789"/></livingSubjectId>',
      '<livingSubjectId><value root="2.16.840.1.113883.2.4.6.3" extension="00001041"/></livingSubjectId>',
      '<livingSubjectName><value><given>Only</given></value><value>Jan Jansen</value></livingSubjectName>',
      `<livingSubjectName><value><given>A</given><family>${'x'.repeat(201)}</family></value></livingSubjectName>`,
      '<patientAddress><value>Kerkstraat 1, Utrecht</value></patientAddress>',
      '<patientTelecom><value value="tel:"/></patientTelecom><patientTelecom><value value="https://example.org/me" use="WP"/></patientTelecom>',
    ].join('');
    const q = parsed(edit('</parameterList>', `${extra}</parameterList>`));
    expect(q.warnings.map((w) => [w.code, w.where?.path])).toEqual([
      ['IDENTIFIER_INCOMPLETE', `${PARAMETERS}/livingSubjectId[1]/value`],
      ['BSN_INVALID', `${PARAMETERS}/livingSubjectId[2]/value`],
      ['NAME_WITHOUT_FAMILY', `${PARAMETERS}/livingSubjectName[2]/value[1]`],
      ['NAME_UNSTRUCTURED', `${PARAMETERS}/livingSubjectName[2]/value[2]`],
      ['NAME_UNUSABLE', `${PARAMETERS}/livingSubjectName[3]/value`],
      ['TELECOM_UNUSABLE', `${PARAMETERS}/patientTelecom[1]/value`],
    ]);
    expect(q.warnings.map((w) => w.message).join(' ')).not.toMatch(/123456789|Jansen|xxxx/);
    expect(q.parameters.identifiers).toEqual([{ system: IdentifierSystems.bsn.uri, value: '000001041' }]);
    expect(q.parameters.names.map((n) => n.name.family)).toEqual(['NWHINZZZTESTPATIENT']);
    expect(q.parameters.addresses).toEqual([{ lines: ['Kerkstraat 1, Utrecht'] }]);
    expect(q.parameters.telecom).toEqual([{ system: 'url', value: 'https://example.org/me', use: 'work' }]);
  });

  it('normalises urn:oid: on the initiator home community id and identifier roots, and echoes ids verbatim', () => {
    const q = parsed(
      edit('<id root="2.999.3.1"/>\n        </representedOrganization>', '<id root="URN:OID:2.999.3.1"/>\n        </representedOrganization>').replace(
        '<livingSubjectName>',
        '<livingSubjectId><value root="urn:oid:2.16.840.1.113883.4.6" extension="1234567893"/></livingSubjectId><livingSubjectName>',
      ),
    );
    expect(q.initiatorHomeCommunityId).toBe('2.999.3.1');
    expect(q.parameters.identifiers).toEqual([{ system: IdentifierSystems.npi.uri, value: '1234567893' }]);
    expect(q.messageId).toEqual({ root: '2.999.3.1', extension: 'min-0001' });
  });
});

describe('demographicsOf', () => {
  const PATIENT = Patient.parse({
    id: '00000000-0000-4000-8000-000000000017',
    identifiers: [{ system: IdentifierSystems.bsn.uri, value: '999990019' }],
    names: [{ family: 'Berg', familyPrefix: 'van der', given: ['Johanna', 'Maria'] }],
    birthDate: '1965-08-14',
    gender: 'female',
    addresses: [{ postalCode: '3511AB', city: 'Utrecht' }],
  });

  it('gives identity exactly its Demographics input', () => {
    const demographics: Demographics = demographicsOf(query('several-names-ids.xml'));
    expect(demographics).toEqual({
      identifiers: [
        { system: IdentifierSystems.bsn.uri, value: '999990019' },
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: '666-45-1234' },
        { system: 'urn:oid:2.999.4.1.5', value: 'P-88812' },
      ],
      names: [
        expect.objectContaining({ family: 'Berg', familyPrefix: 'van der', partnerFamily: 'Vries' }),
        expect.objectContaining({ family: 'Berg', given: ['Jo'] }),
        expect.objectContaining({ family: 'Berg', given: ['Jo'] }),
      ],
      birthDate: '1965-08',
      gender: 'female',
      postalCode: '3511 AB',
    });
    expect(decideMatch([scoreCandidate(demographics, PATIENT)])).toEqual({ outcome: 'match', patientId: PATIENT.id, score: expect.any(Number) });
  });

  it('matches on demographics alone when no identifier is shared', () => {
    const q = parsed(
      MINIMAL.replace('<given>NWHINONE</given>', '<given>Johanna</given>')
        .replace('<family>NWHINZZZTESTPATIENT</family>', '<family>van der Berg</family>')
        .replace('19810101', '19650814')
        .replace('<value code="M"/>', '<value code="F"/>'),
    );
    const result = scoreCandidate(demographicsOf(q), PATIENT);
    expect([result.grade, result.reasons]).toEqual(['match', ['family name equal', 'birth date equal', 'sex equal', 'first initial equal', 'given name equal']]);
  });
});
