import { describe, expect, it } from '@jest/globals';
import type { Condition, Observation } from 'fhir/r4.js';
import { fhirProblems } from '../../test/support/fhir-validators.js';
import { SUBSETTED, subsetResource } from './subset.js';

const observation: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  meta: { versionId: '1', lastUpdated: '2026-01-02T03:04:05.678Z' },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2025-06-01T09:30:00+02:00',
  valueQuantity: { value: 53, unit: 'mmol/mol', system: 'http://unitsofmeasure.org', code: 'mmol/mol' },
  note: [{ text: 'fasting' }],
  referenceRange: [{ text: '< 53' }],
};

describe('subsetting a resource', () => {
  it('keeps the R4 summary elements for _summary=true, and tags the result', () => {
    const s = subsetResource(observation, { kind: 'summary' });
    expect(Object.keys(s)).toEqual(['resourceType', 'id', 'meta', 'status', 'code', 'subject', 'effectiveDateTime', 'valueQuantity']);
    expect(s.meta?.tag).toEqual([SUBSETTED]);
    expect(fhirProblems(s)).toEqual([]);
  });

  it('keeps named elements for _elements, a choice by stem or by type, and always the required and modifier ones', () => {
    expect(Object.keys(subsetResource(observation, { kind: 'elements', names: ['note'] }))).toEqual(['resourceType', 'id', 'meta', 'status', 'code', 'note']);
    expect(Object.keys(subsetResource(observation, { kind: 'elements', names: ['value'] }))).toContain('valueQuantity');
    expect(Object.keys(subsetResource(observation, { kind: 'elements', names: ['valueQuantity'] }))).toContain('valueQuantity');
    expect(Object.keys(subsetResource(observation, { kind: 'elements', names: ['valueString'] }))).not.toContain('valueQuantity');
    const condition: Condition = {
      resourceType: 'Condition', id: 'c1', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { text: 'DM2' }, subject: { reference: 'Patient/p1' }, onsetDateTime: '2020',
    };
    const s = subsetResource(condition, { kind: 'elements', names: ['onset[x]'] });
    expect(Object.keys(s)).toEqual(['resourceType', 'id', 'clinicalStatus', 'subject', 'onsetDateTime', 'meta']);
    expect(fhirProblems(s)).toEqual([]);
  });

  it('keeps text, id, meta and required elements for _summary=text, and all but text for _summary=data', () => {
    expect(Object.keys(subsetResource(observation, { kind: 'text' }))).toEqual(['resourceType', 'id', 'meta', 'status', 'code']);
    expect(Object.keys(subsetResource(observation, { kind: 'data' }))).toEqual(Object.keys(observation));
  });

  it('does not tag twice, and leaves a type it does not know whole', () => {
    const twice = subsetResource(subsetResource(observation, { kind: 'data' }), { kind: 'data' });
    expect(twice.meta?.tag).toEqual([SUBSETTED]);
    const unknown = { resourceType: 'Medication', id: 'm1' } as const;
    expect(subsetResource(unknown, { kind: 'summary' })).toBe(unknown);
  });
});
