import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { canonicalSystem, CodeSystems, IdentifierSystems, oidOf } from './systems.js';
import { Patient } from './patient.js';
import { Observation } from './observation.js';
import { DateTime, startInstant } from './common.js';
import { issuesFromZod } from './issue.js';

describe('the canonical model', () => {
  it('spells every system one way: known OIDs become their FHIR URI, others urn:oid:', () => {
    expect(canonicalSystem('2.16.840.1.113883.2.4.6.3')).toBe(IdentifierSystems.bsn.uri);
    expect(canonicalSystem('urn:oid:2.16.840.1.113883.2.4.4.30.45')).toBe(CodeSystems.nhgTabel45.uri);
    expect(canonicalSystem('1.2.3.4')).toBe('urn:oid:1.2.3.4');
    expect(canonicalSystem('http://example.org/mrn')).toBe('http://example.org/mrn');
    expect(oidOf(IdentifierSystems.ura.uri)).toBe('2.16.528.1.1007.3.3');
    expect(oidOf('urn:oid:1.2.3')).toBe('1.2.3');
    expect(oidOf('http://example.org/x')).toBeUndefined();
  });

  it('names the identifier whose BSN fails the 11-proef', () => {
    const result = Patient.safeParse({
      id: randomUUID(),
      identifiers: [{ system: 'urn:oid:1.2.3', value: 'A' }, { system: IdentifierSystems.bsn.oid, value: '123456789' }],
      names: [{ family: 'Smit', given: [] }],
    });
    expect(result.success).toBe(false);
    expect(issuesFromZod(result.error!)).toEqual([
      { severity: 'error', code: 'invalid', message: 'identifiers.1.value: BSN fails the 11-proef', where: { path: 'identifiers.1.value' } },
    ]);
  });

  it('requires a pending observation to have no value', () => {
    const base = {
      id: randomUUID(), patientId: randomUUID(), codings: [{ system: CodeSystems.nhgTabel45.uri, code: '2816' }], provenance: { source: 't' },
    };
    expect(Observation.safeParse({ ...base, status: 'registered' }).success).toBe(true);
    expect(Observation.safeParse({ ...base, status: 'registered', value: { kind: 'string', text: 'x' } }).success).toBe(false);
  });

  it('accepts partial dates and zoned date-times, refuses a time without zone', () => {
    for (const ok of ['2024', '2024-02', '2024-02-29', '2024-02-29T08:05:00+01:00', '2024-02-29T08:05Z', '2024-02-29T08:05:00.123Z']) {
      expect(DateTime.safeParse(ok).success).toBe(true);
    }
    for (const bad of ['2024-13', '2024-02-29T08:05:00', '20240229', '2024-02-29 08:05Z']) {
      expect(DateTime.safeParse(bad).success).toBe(false);
    }
    expect(startInstant('2024-02-29T08:05:00+01:00')).toBe('2024-02-29T07:05:00.000Z');
    expect(startInstant('2024-02')).toBe('2024-02-01T00:00:00.000Z');
  });
});
