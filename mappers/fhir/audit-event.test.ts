import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AuditRecordInput, AuditTransaction, type AuditRecord } from '../../canonical/index.js';
import { fhirProblems } from '../../test/support/fhir-validators.js';
import { renderAuditBundle, renderAuditEvents } from './audit-event.js';

const context = { homeCommunityId: '2.16.840.1.113883.3.9999.1', gatewayName: 'Crossgate (test)' };

function record(seq: number, input: Parameters<typeof AuditRecordInput.parse>[0]): AuditRecord {
  return { seq, recordedAt: '2026-11-22T10:00:00.000Z', prevHash: '0'.repeat(64), hash: 'a'.repeat(64), content: AuditRecordInput.parse(input) };
}

const search = record(7, {
  transaction: 'fhir-search', action: 'Observation?patient', outcome: 'success',
  actor: { type: 'partner', organizationId: randomUUID(), connectionId: randomUUID(), name: 'Dr. A. Example', role: 'physician' },
  purpose: { asReceived: 'urn:oid:2.16.840.1.113883.5.8#TREAT', matched: 'Treatment' },
  patientIds: [randomUUID(), randomUUID()], query: Buffer.from('GET /fhir/R4/Observation?patient=x').toString('base64'),
  decision: { result: 'filtered', reason: 'one of two patients denied by patient choice', policyVersion: '12' },
  returned: ['Observation/abc-1', '2.25.123456'], requestId: 'req-7', sourceAddress: '198.51.100.7',
});

describe('audit records as FHIR AuditEvents (BALP)', () => {
  it("names a retrieve's documents by their XDS uniqueId and carries the partner's MessageID", () => {
    const retrieve = record(9, {
      transaction: 'ITI-39', action: 'ITI-39', outcome: 'success',
      actor: { type: 'partner', organizationId: randomUUID(), connectionId: randomUUID(), name: 'Dr. A. Example' },
      purpose: { matched: 'Treatment' }, patientIds: [randomUUID()], decision: { result: 'permit', reason: 'clinic default' },
      returned: [`Binary/${randomUUID()}`], detail: { retrieved: ['2.25.42', '2.25.43'], messageId: 'urn:uuid:5e1c7b0a-0000-4000-8000-000000000001' },
    });
    const [event] = renderAuditEvents(retrieve, context);
    const reports = event!.entity!.filter((e) => e.role?.code === '3').map((e) => e.what?.identifier?.value);
    expect(reports).toEqual(['2.25.42', '2.25.43']);
    expect(event!.entity!.find((e) => e.what?.identifier?.type?.text === 'wsa:MessageID')?.what?.identifier?.value).toBe('urn:uuid:5e1c7b0a-0000-4000-8000-000000000001');
    expect(fhirProblems(event!)).toEqual([]);
  });

  it('gives a read of one version the restful subtype vread, of all versions history-instance, and of the current one read', () => {
    const read = (action: string) => record(11, {
      transaction: 'fhir-read', action, outcome: 'success', actor: { type: 'user', userId: randomUUID(), role: 'provider' },
      patientIds: [randomUUID()], decision: { result: 'permit', reason: 'clinic default' }, returned: [`Observation/${randomUUID()}/_history/1`],
    });
    expect(renderAuditEvents(read('Observation/vread'), context)[0]!.subtype).toEqual([{ system: 'http://hl7.org/fhir/restful-interaction', code: 'vread', display: 'vread' }]);
    expect(renderAuditEvents(read('Observation/read'), context)[0]!.subtype![0]!.code).toBe('read');
    const history = renderAuditEvents(read('Observation/history'), context)[0]!;
    expect(history.subtype![0]!.code).toBe('history-instance');
    expect(fhirProblems(history)).toEqual([]);
  });

  it('makes one event per patient, with the requester, this gateway, the query and what was returned', () => {
    const events = renderAuditEvents(search, context);
    expect(events.map((e) => e.id)).toEqual(['7-1', '7-2', '7-consent-1', '7-consent-2']);
    const [first] = events;
    expect(first).toMatchObject({
      resourceType: 'AuditEvent', action: 'E', outcome: '0', recorded: '2026-11-22T10:00:00.000Z',
      type: { code: 'rest' }, subtype: [{ code: 'search-type' }],
    });
    expect(first!.agent[0]).toMatchObject({ requestor: true, who: { display: 'Dr. A. Example' }, purposeOfUse: [{
        text: 'Treatment',
        // As received, and as we code the purpose it matched.
        coding: [{ system: 'urn:oid:2.16.840.1.113883.5.8', code: 'TREAT' }, { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT', display: expect.any(String) }],
      }], network: { address: '198.51.100.7' } });
    expect(first!.agent[1]).toMatchObject({ requestor: false, type: { coding: [{ code: 'PROV' }] }, who: { reference: `Organization/${search.content.actor.organizationId}` } });
    expect(first!.agent[2]).toMatchObject({ requestor: false, who: { identifier: { value: 'urn:oid:2.16.840.1.113883.3.9999.1' } } });
    const roles = first!.entity!.map((e) => e.role?.code ?? e.type?.code);
    expect(roles).toEqual(['1', '24', '4', '4', '4', '4']);
    expect(first!.entity![0]!.what).toEqual({ reference: `Patient/${search.content.patientIds[0]}` });
    expect(events[1]!.entity![0]!.what).toEqual({ reference: `Patient/${search.content.patientIds[1]}` });
    expect(first!.outcomeDesc).toBe('Observation?patient; consent filtered: one of two patients denied by patient choice (policy version 12)');
  });

  it('records the consent decision as its own event per patient: permit 0, deny 8, with the rule and policy version', () => {
    const denied = record(11, { ...search.content, decision: { result: 'deny', reason: 'patient choice: Payment not allowed', policyVersion: '4' } });
    const consent = renderAuditEvents(denied, context).filter((e) => e.id!.includes('consent'));
    expect(consent).toHaveLength(2);
    expect(consent[0]).toMatchObject({ type: { code: '110113' }, outcome: '8', outcomeDesc: 'consent deny: patient choice: Payment not allowed' });
    expect(consent[0]!.entity!.map((e) => e.what)).toEqual([
      { reference: `Patient/${search.content.patientIds[0]}` },
      { identifier: { system: 'urn:crossgate:consent-policy-version', value: '4' } },
      { identifier: { system: 'urn:crossgate:audit-chain', value: '11' } },
    ]);
    for (const e of consent) expect(fhirProblems(e)).toEqual([]);
    const permitted = renderAuditEvents(record(12, { ...search.content, patientIds: [search.content.patientIds[0]!], decision: { result: 'permit', reason: 'clinic default' } }), context);
    expect(permitted.find((e) => e.id === '12-consent')?.outcome).toBe('0');
  });

  it.each(AuditTransaction.options)('renders a %s record that both independent validators accept', (transaction) => {
    const r = record(9, { transaction, action: transaction === 'sign-in' ? 'sign-out' : 'act', outcome: 'denied', actor: { type: 'user', userId: randomUUID() }, patientIds: [randomUUID()] });
    for (const event of renderAuditEvents(r, context)) expect(fhirProblems(event)).toEqual([]);
  });

  it('renders the BALP search event and the bundle so both validators accept them', () => {
    const bundle = renderAuditBundle([search, record(8, { transaction: 'sign-in', action: 'sign-in', outcome: 'success', actor: { type: 'user', userId: randomUUID() } })], context, '2026-11-22T11:00:00Z');
    expect(bundle.entry).toHaveLength(5);
    expect(fhirProblems(bundle)).toEqual([]);
  });

  it('uses validators that do catch a broken AuditEvent', () => {
    const [event] = renderAuditEvents(search, context);
    expect(fhirProblems({ ...event!, action: 'X' } as never).length).toBeGreaterThan(0);
    expect(fhirProblems({ ...event!, recorded: '22-11-2026' } as never).length).toBeGreaterThan(0);
    const { agent: _agent, ...withoutAgent } = event!;
    expect(fhirProblems(withoutAgent as never).length).toBeGreaterThan(0);
  });
});
