import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { xcpdFixture } from '../../fixtures/ihe/xcpd/files.js';
import { RESPONSE_CONTEXT as CONTEXT } from '../../fixtures/ihe/xcpd/patients.js';
import { childNamed, childrenNamed, NS, pathOf, readXml, type XmlElement } from '../xml/index.js';
import { parsePatientDiscoveryRequest } from './parse-patient-discovery.js';
import { renderPatientDiscoveryRefusal } from './render-patient-discovery-response.js';

const read = (text: string): XmlElement => {
  const xml = readXml(text);
  if (!xml.ok) throw new Error(JSON.stringify(xml.issues));
  return xml.root;
};
const h = (name: string) => [NS.hl7, name] as const;

describe('renderPatientDiscoveryRefusal', () => {
  it.each(['no-query-by-parameter.xml', 'wrong-interaction-id.xml', 'bad-birth-time.xml', 'bad-gender.xml'])('answers %s with AE, every problem named with its path, and what could be read echoed', (name) => {
    const request = read(xcpdFixture(name));
    const parsed = parsePatientDiscoveryRequest(request);
    if (parsed.ok) throw new Error('the fixture should be refused');
    const reply = read(renderPatientDiscoveryRefusal(request, parsed.issues, CONTEXT));
    expect([reply.ns, reply.name]).toEqual([NS.hl7, 'PRPA_IN201306UV02']);
    const ack = childNamed(reply, ...h('acknowledgement'))!;
    expect(childNamed(ack, ...h('typeCode'))!.attributes.code).toBe('AE');
    expect(pathOf(ack, h('targetMessage'), h('id'))!.attributes).toEqual(childNamed(request, ...h('id'))!.attributes);
    const refusing = parsed.issues.filter((i) => i.severity === 'fatal' || i.severity === 'error');
    const details = childrenNamed(ack, ...h('acknowledgementDetail'));
    expect(details.map((d) => childNamed(d, ...h('text'))!.text)).toEqual(refusing.map((i) => `${i.code}: ${i.message}`));
    expect(details.map((d) => childNamed(d, ...h('location'))?.text)).toEqual(refusing.map((i) => i.where?.path));
    expect(pathOf(reply, h('controlActProcess'), h('queryAck'), h('queryResponseCode'))!.attributes.code).toBe('AE');
    const echoed = pathOf(reply, h('controlActProcess'), h('queryByParameter'));
    expect(echoed !== undefined).toBe(pathOf(request, h('controlActProcess'), h('queryByParameter')) !== undefined);
  });

  it('stays well-formed whatever the request held', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (message, path) => {
      const request = read('<PRPA_IN201305UV02 xmlns="urn:hl7-org:v3"/>');
      expect(readXml(renderPatientDiscoveryRefusal(request, [{ severity: 'error', code: 'X', message: message || 'm', where: { path } }], CONTEXT)).ok).toBe(true);
    }), { numRuns: 200 });
  });
});
