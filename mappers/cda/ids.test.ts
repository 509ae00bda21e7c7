import { describe, expect, it } from '@jest/globals';
import { dm2, empty } from '../../fixtures/cda/patients.js';
import { ccdDocumentRecordId, ccdEntryUuid, ccdUniqueId } from './ids.js';
import type { CcdInput } from './input.js';
import { renderCcd } from './render-ccd.js';

const withGlucose = (value: string): CcdInput => ({
  ...dm2,
  observations: dm2.observations.map((o) => (o.id.endsWith('141') ? { ...o, value: { kind: 'quantity' as const, quantity: { value, unit: 'mmol/L' } } } : o)),
});

describe('ccdUniqueId', () => {
  const id = ccdUniqueId(dm2);

  it('is a 2.25 OID of 128 bits that fits an XDS uniqueId', () => {
    expect(id).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
    expect(BigInt(id.slice(5)) < 2n ** 128n).toBe(true);
    expect(id.length).toBeLessThanOrEqual(64);
  });

  it('is the same for the same data, whatever the document id passed in or the order of the records', () => {
    expect(ccdUniqueId(dm2)).toBe(id);
    expect(ccdUniqueId({ ...dm2, documentId: { root: id } })).toBe(id);
    expect(ccdUniqueId({ ...dm2, observations: [...dm2.observations].reverse() })).toBe(id);
  });

  it('changes when one observation value changes, even only in its written precision', () => {
    expect(ccdUniqueId(withGlucose('7.2'))).not.toBe(id);
    expect(ccdUniqueId(withGlucose('7.1'))).not.toBe(ccdUniqueId(withGlucose('7.10')));
  });

  it('changes with the data time, the language and the patient id it is published under', () => {
    expect(ccdUniqueId({ ...dm2, effectiveTime: '2024-03-15T09:12:00+01:00' })).not.toBe(id);
    expect(ccdUniqueId({ ...dm2, languageCode: 'en-US' })).not.toBe(id);
    expect(ccdUniqueId({ ...dm2, patientId: { ...dm2.patientId, extension: 'P000124' } })).not.toBe(id);
  });

  it('differs between patients with no data at all', () => {
    expect(ccdUniqueId(empty)).not.toBe(ccdUniqueId({ ...empty, patientId: { ...empty.patientId, extension: 'P000790' } }));
  });

  it('names the document rendered under it: rendering with it twice gives the same bytes', () => {
    const input = { ...dm2, documentId: { root: id } };
    expect(renderCcd(input).xml).toContain(`<id root="${id}"/>`);
    expect(renderCcd(input).xml).toBe(renderCcd(input).xml);
  });
});

describe('ccdEntryUuid and ccdDocumentRecordId', () => {
  it('are stable per uniqueId, distinct from each other, and lower-case UUIDs', () => {
    const id = ccdUniqueId(dm2);
    expect(ccdEntryUuid(id)).toBe(ccdEntryUuid(id));
    expect(ccdEntryUuid(id)).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ccdEntryUuid(ccdUniqueId(withGlucose('7.2')))).not.toBe(ccdEntryUuid(id));
    expect(ccdEntryUuid(id).slice(9)).not.toBe(ccdDocumentRecordId(id));
    expect(ccdDocumentRecordId(id)).toBe(ccdDocumentRecordId(id));
  });
});
