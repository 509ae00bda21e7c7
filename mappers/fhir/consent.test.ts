import { describe, expect, it } from '@jest/globals';
import { fhirProblems } from '../../test/support/fhir-validators.js';
import { renderConsent } from './consent.js';

const patientId = '6f1c1f5e-1d7e-4a55-9f5e-0f1e2d3c4b5a';

describe('the effective policy as a FHIR Consent', () => {
  it('is a root deny with a permit for each allowed purpose, coded in v3 ActReason (ours for OTHER_AUTHZ)', () => {
    const consent = renderConsent({ patientId, source: 'patient-choice', purposes: ['Treatment', 'Other Authorization-Based Disclosures'], version: 3, dateTime: '2026-11-22T10:00:00.000Z' });
    expect(consent.provision).toEqual({
      type: 'deny',
      provision: [{ type: 'permit', purpose: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT', display: 'treatment' },
        { system: expect.stringMatching(/^urn:oid:2\.25\.\d+$/), code: 'OTHER_AUTHZ', display: 'other authorization-based disclosure' },
      ] }],
    });
    expect(consent.policy).toEqual([{ uri: `urn:crossgate:consent:patient:${patientId}:3` }]);
    expect({ id: consent.id, meta: consent.meta }).toEqual({ id: `${patientId}-privacy`, meta: { versionId: 'patient-choice-3', lastUpdated: '2026-11-22T10:00:00.000Z' } });
    expect(fhirProblems(consent)).toEqual([]);
  });

  it('shares nothing when no purpose is allowed (opt-in with no choice, or no policy at all)', () => {
    const consent = renderConsent({ patientId, source: 'no-policy', purposes: [], version: 0 });
    expect(consent.provision).toEqual({ type: 'deny' });
    expect(fhirProblems(consent)).toEqual([]);
    expect(fhirProblems(renderConsent({ patientId, source: 'clinic-default', purposes: ['Payment', 'Coverage Determination'], version: 7, organizationId: patientId }))).toEqual([]);
  });
});
