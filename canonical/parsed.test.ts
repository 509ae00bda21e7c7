import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Condition } from './condition.js';
import { DiagnosticReport } from './diagnostic-report.js';
import { Observation, type ObservationInput } from './observation.js';
import { adoptParsed, parsedBy, parsedMask, safeParseRecord, withIds } from './parsed.js';
import { CodeSystems } from './systems.js';

const observation = (overrides: Partial<ObservationInput> = {}): ObservationInput => ({
  id: randomUUID(),
  patientId: randomUUID(),
  status: 'final',
  codings: [{ system: CodeSystems.nhgTabel45.oid, code: '2816' }],
  value: { kind: 'quantity', quantity: { value: '53', unit: 'mmol/mol' } },
  performerOrganizationId: randomUUID(),
  provenance: { source: 'test' },
  ...overrides,
});

describe('records a canonical schema has parsed', () => {
  it('are known as parsed by that schema only, and not when copied or merely typed so', () => {
    const result = safeParseRecord(Observation, observation());
    if (!result.success) throw result.error;
    expect(parsedBy(Observation, result.data)).toBe(true);
    expect(parsedBy(Condition, result.data)).toBe(false);
    expect(parsedBy(Observation, { ...result.data })).toBe(false);
    expect(parsedBy(Observation, observation())).toBe(false);
    expect(safeParseRecord(Observation, observation({ status: 'registered' })).success).toBe(false);
  });

  it('stay parsed under the ids filing assigns, and are then what parsing them would give', () => {
    const parsed = safeParseRecord(Observation, observation({ performerPractitionerId: randomUUID() }));
    if (!parsed.success) throw parsed.error;
    const ids = { patientId: randomUUID(), performerOrganizationId: randomUUID(), organizationId: randomUUID() };
    const messageId = randomUUID();
    const assigned = withIds(parsed.data, ids, messageId);
    expect(assigned).toEqual({ ...parsed.data, patientId: ids.patientId, performerOrganizationId: ids.performerOrganizationId, provenance: { source: 'test', messageId } });
    expect(parsedBy(Observation, assigned)).toBe(true);
    expect(Observation.parse(assigned)).toEqual(assigned);
    expect(parsed.data.provenance).toEqual({ source: 'test' });

    const report = safeParseRecord(DiagnosticReport, {
      id: randomUUID(), patientId: randomUUID(), status: 'final', codings: [{ system: CodeSystems.loinc.uri, code: '26436-6' }], provenance: { source: 'test' },
    });
    if (!report.success) throw report.error;
    const filed = withIds(report.data, { patientId: ids.patientId, requesterPractitionerId: randomUUID() }, messageId);
    expect(filed).not.toHaveProperty('requesterPractitionerId');
    expect(parsedBy(DiagnosticReport, filed)).toBe(true);
    expect(DiagnosticReport.parse(filed)).toEqual(filed);
  });

  it('are left for the store to parse when an assigned id is no id, or the record was never parsed', () => {
    const parsed = safeParseRecord(Observation, observation());
    if (!parsed.success) throw parsed.error;
    expect(parsedBy(Observation, withIds(parsed.data, { patientId: 'not-a-uuid' }, randomUUID()))).toBe(false);
    expect(parsedBy(Observation, withIds(parsed.data, { patientId: randomUUID() }, 'not-a-uuid'))).toBe(false);
    const { patientId: _none, ...unparsed } = observation();
    const assigned = withIds(unparsed, { patientId: randomUUID() }, randomUUID());
    expect(parsedBy(Observation, assigned)).toBe(false);
    expect(Observation.parse(assigned)).toMatchObject({ patientId: assigned.patientId });
  });

  it('are known as parsed again after a structured clone exactly where their originals were, given their mask', () => {
    const parsed = safeParseRecord(Observation, observation());
    if (!parsed.success) throw parsed.error;
    const originals = [parsed.data, observation()];
    const mask = parsedMask(Observation, originals);
    expect(mask).toEqual([true, false]);
    const clones = structuredClone(originals);
    expect(clones.map((c) => parsedBy(Observation, c))).toEqual([false, false]);
    adoptParsed(Observation, clones, mask);
    expect(clones.map((c) => parsedBy(Observation, c))).toEqual([true, false]);
    expect(parsedBy(Condition, clones[0])).toBe(false);
    expect(() => adoptParsed(Observation, clones, [true])).toThrow('a parse mask of 1 for 2 records');
  });
});
