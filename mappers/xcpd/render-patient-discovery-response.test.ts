import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Patient, type Issue } from '../../canonical/index.js';
import { XCPD_FIXTURES, xcpdFixture } from '../../fixtures/ihe/xcpd/files.js';
import { GARCIA, RESPONSE_CONTEXT as CONTEXT, VAN_DER_BERG } from '../../fixtures/ihe/xcpd/patients.js';
import { childNamed, childrenNamed, NS, pathOf, readXml, serializeElement, type XmlElement } from '../xml/index.js';
import { ERROR_CODES } from './codes.js';
import { addressOf, nameOf, telecomOf } from './datatypes.js';
import { parsePatientDiscoveryRequest, type PatientDiscoveryQuery } from './parse-patient-discovery.js';
import { renderPatientDiscoveryResponse, type DiscoveryOutcome } from './render-patient-discovery-response.js';

function element(text: string): XmlElement {
  const read = readXml(text);
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  return read.root;
}

function requestOf(name: string): PatientDiscoveryQuery {
  const parsed = parsePatientDiscoveryRequest(element(xcpdFixture(name)));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.query;
}

const CASES: readonly [string, DiscoveryOutcome][] = [
  ['case1-match', { kind: 'match', patients: [{ ...GARCIA, matchScore: 92 }] }],
  ['case2-matches', { kind: 'match', patients: [{ ...GARCIA, matchScore: 100 }, VAN_DER_BERG] }],
  ['case3-ambiguous', { kind: 'ambiguous', requested: ['LivingSubjectAdministrativeGenderRequested', 'PatientAddressRequested', 'SSNRequested', 'PatientAddressRequested'] }],
  ['case4-no-match', { kind: 'no-match' }],
  ['case5-internal-error', { kind: 'error', code: 'InternalError' }],
];

describe('renderPatientDiscoveryResponse: the five cases against reviewed goldens', () => {
  // A missing golden fails; UPDATE_GOLDEN=1 writes it for a person to review against ihe-xca-xcpd.md §4.
  it.each(CASES)('%s', (name, outcome) => {
    const rendered = `${renderPatientDiscoveryResponse(requestOf('carequality-typical.xml'), outcome, CONTEXT)}\n`;
    const golden = path.join(XCPD_FIXTURES, 'expected', `${name}.xml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, rendered);
    if (!existsSync(golden)) throw new Error(`no golden ${golden}: write it with UPDATE_GOLDEN=1 and review it`);
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(ERROR_CODES.filter((c) => c !== 'InternalError'))('case 5 with %s differs from InternalError only in the code and its text', (code) => {
    const query = requestOf('carequality-typical.xml');
    const internal = renderPatientDiscoveryResponse(query, { kind: 'error', code: 'InternalError' }, CONTEXT);
    const other = renderPatientDiscoveryResponse(query, { kind: 'error', code }, CONTEXT);
    const lines = (s: string) => s.split('\n');
    const changed = lines(other).filter((line, i) => line !== lines(internal)[i]);
    expect(lines(other)).toHaveLength(lines(internal).length);
    expect(changed).toEqual([expect.stringMatching(/^ *<text>.+<\/text>$/), `            <code code="${code}" codeSystem="1.3.6.1.4.1.19376.1.2.27.3"/>`]);
  });
});

describe('renderPatientDiscoveryResponse: details', () => {
  const query = requestOf('minimal.xml');

  it('a match without patients is answered as no match (NF), not as the legacy OK without subject', () => {
    const empty = element(renderPatientDiscoveryResponse(query, { kind: 'match', patients: [] }, CONTEXT));
    const noMatch = element(renderPatientDiscoveryResponse(query, { kind: 'no-match' }, CONTEXT));
    expect(empty).toEqual(noMatch);
  });

  it('echoes the processing code, and uses the home community id as device id when none is given, urn:oid: removed', () => {
    const { deviceId: _, ...withoutDevice } = CONTEXT;
    const rendered = renderPatientDiscoveryResponse(query, { kind: 'no-match' }, { ...withoutDevice, homeCommunityId: 'urn:oid:2.999.2' });
    expect(rendered).toContain('<processingCode code="T"/>');
    expect(rendered).toContain('<sender typeCode="SND">\n    <device classCode="DEV" determinerCode="INSTANCE">\n      <id root="2.999.2"/>');
    expect(rendered).not.toContain('urn:oid:');
  });

  it('echoes a queryByParameter written with other prefixes, with the declarations it needs', () => {
    const rendered = renderPatientDiscoveryResponse(requestOf('prefixed.xml'), { kind: 'no-match' }, CONTEXT);
    expect(rendered).toContain('<queryByParameter xmlns="urn:hl7-org:v3" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:vendor="urn:example:vendor">');
    expect(rendered).toContain('<value i:type="PN">');
    expect(rendered).toContain('<vendor:matchHint weight="0.8">strict &amp; fast</vendor:matchHint>');
  });

  const text = fc.string({ unit: 'binary', maxLength: 40 });
  it('any string content gives well-formed XML that reads back to it', () => {
    fc.assert(
      fc.property(text, text, text, text, (family, given, value, extension) => {
        const patient = Patient.safeParse({
          id: GARCIA.patient.id,
          names: [{ family: `x${family}`, given: [`y${given}`] }],
          telecom: [{ system: 'email', value: `z${value}` }],
          identifiers: [{ system: 'urn:oid:2.999.7', value: `v${value}` }],
          addresses: [{ lines: [value], city: family }],
        });
        fc.pre(patient.success);
        const context = { ...CONTEXT, responseId: { root: value, extension }, creationTime: given };
        const read = readXml(renderPatientDiscoveryResponse(query, { kind: 'match', patients: [{ id: { root: '2.999.2.1.5', extension }, patient: patient.data! }] }, context));
        expect(read.ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

const h = (name: string) => [NS.hl7, name] as const;
const find = (from: XmlElement, ...names: string[]) => {
  const found = pathOf(from, ...names.map(h));
  if (!found) throw new Error(`no ${names.join('/')} under ${from.path}`);
  return found;
};
const attrs = (from: XmlElement, ...names: string[]) => find(from, ...names).attributes;

const render = (query: PatientDiscoveryQuery, outcome: DiscoveryOutcome) => element(renderPatientDiscoveryResponse(query, outcome, CONTEXT));

describe('render, then read back', () => {
  it.each(['carequality-typical.xml', 'minimal.xml', 'several-names-ids.xml', 'prefixed.xml', 'default-namespace.xml'])(
    '%s: header, acknowledgement, queryAck and the echoed queryByParameter',
    (name) => {
      const query = requestOf(name);
      const response = render(query, { kind: 'match', patients: [GARCIA] });
      expect([response.ns, response.name]).toEqual([NS.hl7, 'PRPA_IN201306UV02']);
      expect(attrs(response, 'id')).toEqual({ root: '2.999.2.1', extension: 'resp-0001' });
      expect(attrs(response, 'creationTime').value).toBe('20250114093016');
      expect(attrs(response, 'interactionId')).toEqual({ root: '2.16.840.1.113883.1.6', extension: 'PRPA_IN201306UV02' });
      expect(attrs(response, 'processingCode').code).toBe(query.processingCode);
      expect(attrs(response, 'receiver', 'device', 'id')).toEqual(query.senderDeviceId);
      expect(attrs(response, 'receiver', 'device', 'asAgent', 'representedOrganization', 'id')).toEqual({ root: query.initiatorHomeCommunityId });
      expect(attrs(response, 'sender', 'device', 'asAgent', 'representedOrganization', 'id')).toEqual({ root: '2.999.2' });
      expect(attrs(response, 'acknowledgement', 'typeCode').code).toBe('AA');
      expect(attrs(response, 'acknowledgement', 'targetMessage', 'id')).toEqual(query.messageId);
      expect(attrs(response, 'controlActProcess', 'code')).toEqual({ code: 'PRPA_TE201306UV02', codeSystem: '2.16.840.1.113883.1.6' });
      expect(attrs(response, 'controlActProcess', 'queryAck', 'queryId')).toEqual(query.queryId);
      expect(attrs(response, 'controlActProcess', 'queryAck', 'queryResponseCode').code).toBe('OK');
      // Written the same means the same: serializeElement declares what it uses and is stable under its own output.
      expect(serializeElement(find(response, 'controlActProcess', 'queryByParameter'))).toBe(serializeElement(query.queryByParameter));
    },
  );

  it('each patient: our id, demographics that read back to the canonical record, other ids and the custodian', () => {
    const response = render(requestOf('carequality-typical.xml'), { kind: 'match', patients: [GARCIA, VAN_DER_BERG] });
    const subjects = childrenNamed(find(response, 'controlActProcess'), ...h('subject'));
    expect(subjects).toHaveLength(2);
    const read = subjects.map((s) => {
      const event = find(s, 'registrationEvent');
      const patient = find(event, 'subject1', 'patient');
      const person = find(patient, 'patientPerson');
      const issues: Issue[] = [];
      const values = {
        id: childNamed(patient, ...h('id'))!.attributes,
        status: [attrs(event, 'statusCode').code, attrs(patient, 'statusCode').code],
        names: childrenNamed(person, ...h('name')).map((n) => nameOf(n, issues)?.name),
        telecom: childrenNamed(person, ...h('telecom')).map((t) => telecomOf(t, issues)),
        gender: attrs(person, 'administrativeGenderCode'),
        birthTime: childNamed(person, ...h('birthTime'))?.attributes.value,
        addresses: childrenNamed(person, ...h('addr')).map((a) => addressOf(a, issues)),
        otherIds: childrenNamed(person, ...h('asOtherIDs')).map((o) => [attrs(o, 'id'), attrs(o, 'scopingOrganization', 'id').root]),
        custodian: [attrs(event, 'custodian', 'assignedEntity', 'id'), attrs(event, 'custodian', 'assignedEntity', 'code')],
      };
      expect(issues).toEqual([]);
      return values;
    });
    const custodian = [{ root: '2.999.2' }, { code: 'NotHealthDataLocator', codeSystem: '1.3.6.1.4.1.19376.1.2.27.2' }];
    expect(read).toEqual([
      {
        id: GARCIA.id,
        status: ['active', 'active'],
        names: [{ family: 'Garcia', given: ['Maria', 'Elena'] }],
        telecom: [
          { system: 'phone', value: '+15035550142', use: 'home' },
          { system: 'email', value: 'maria.garcia@example.org' },
        ],
        gender: { code: 'F', codeSystem: '2.16.840.1.113883.5.1' },
        birthTime: '19810317',
        addresses: [GARCIA.patient.addresses[0]],
        otherIds: [[{ root: '2.16.840.1.113883.4.1', extension: '666-12-3456' }, '2.16.840.1.113883.4.1']],
        custodian,
      },
      {
        id: VAN_DER_BERG.id,
        status: ['active', 'active'],
        names: [{ ...VAN_DER_BERG.patient.names[0] }],
        telecom: [{ system: 'phone', value: '+31-6-12345678', use: 'mobile' }],
        gender: { nullFlavor: 'UNK' },
        birthTime: '196508',
        addresses: [{ use: 'work', lines: ['Kerkstraat 12'], postalCode: '3511 AB', city: 'Utrecht', district: 'Utrecht', country: 'NL' }],
        otherIds: [[{ root: '2.16.840.1.113883.2.4.6.3', extension: '999990019' }, '2.16.840.1.113883.2.4.6.3']],
        custodian,
      },
    ]);
  });

  it('the other cases read back with their codes', () => {
    const query = requestOf('minimal.xml');
    const summary = (outcome: DiscoveryOutcome) => {
      const response = render(query, outcome);
      const controlAct = find(response, 'controlActProcess');
      const issue = pathOf(controlAct, h('reasonOf'), h('detectedIssueEvent'));
      return {
        ack: attrs(response, 'acknowledgement', 'typeCode').code,
        detail: pathOf(response, h('acknowledgement'), h('acknowledgementDetail'), h('code'))?.attributes.code,
        subjects: childrenNamed(controlAct, ...h('subject')).length,
        requested: issue ? childrenNamed(issue, ...h('triggerFor')).map((t) => attrs(t, 'actOrderRequired', 'code').code) : [],
        mitigation: issue && pathOf(issue, h('mitigatedBy'), h('detectedIssueManagement'), h('code'))?.attributes.code,
        queryAck: [attrs(controlAct, 'queryAck', 'statusCode').code, attrs(controlAct, 'queryAck', 'queryResponseCode').code],
      };
    };
    expect(summary({ kind: 'ambiguous', requested: ['MothersMaidenNameRequested', 'PatientTelecomRequested'] })).toEqual({
      ack: 'AA', detail: undefined, subjects: 0, requested: ['MothersMaidenNameRequested', 'PatientTelecomRequested'], mitigation: undefined, queryAck: ['deliveredResponse', 'OK'],
    });
    expect(summary({ kind: 'no-match' })).toEqual({ ack: 'AA', detail: undefined, subjects: 0, requested: [], mitigation: undefined, queryAck: ['deliveredResponse', 'NF'] });
    expect(summary({ kind: 'error', code: 'ResponderBusy' })).toEqual({ ack: 'AE', detail: 'INTERR', subjects: 0, requested: [], mitigation: 'ResponderBusy', queryAck: ['aborted', 'AE'] });
  });
});
