import { describe, expect, it } from '@jest/globals';
import { ACT_REASON_URI, CROSSGATE_PURPOSE_URI, matchPurpose, NHIN_PURPOSE_OID, parsePurposeString, PURPOSES, purposeCoding } from './purposes.js';

describe('the purpose-of-use table', () => {
  it.each([
    ['SAML NHIN code', { system: NHIN_PURPOSE_OID, code: 'TREATMENT' }, 'Treatment'],
    ['FHIR NHIN code', { system: 'http://healthit.gov/nhin/purposeofuse', code: 'PAYMENT' }, 'Payment'],
    ['v3 ActReason', { system: ACT_REASON_URI, code: 'HOPERAT' }, 'Health Care Operations'],
    ['UDAP string', parsePurposeString('urn:oid:2.16.840.1.113883.5.8#PUBHLTH'), 'Public Health Activities'],
    ['UDAP string with NHIN', parsePurposeString('urn:oid:2.16.840.1.113883.3.18.7.1#REQUEST'), 'Patient Request'],
    ['COVERAGE on its own', { system: ACT_REASON_URI, code: 'COVERAGE' }, 'Coverage Determination'],
    ['ours', { system: CROSSGATE_PURPOSE_URI, code: 'OTHER_AUTHZ' }, 'Other Authorization-Based Disclosures'],
  ])('reads the %s form', (_form, received, purpose) => {
    expect(matchPurpose([received])).toEqual({ outcome: 'matched', purpose, received: [received] });
  });

  it('denies what is missing, unknown or ambiguous, never assuming Treatment', () => {
    expect(matchPurpose([])).toEqual({ outcome: 'missing' });
    for (const code of ['ETREAT', 'BTG', 'CLMATTCH', 'treat']) expect(matchPurpose([{ system: ACT_REASON_URI, code }]).outcome).toBe('unknown');
    expect(matchPurpose([{ system: NHIN_PURPOSE_OID, code: 'EMERGENCY' }]).outcome).toBe('unknown');
    expect(matchPurpose([{ code: 'TREATMENT' }]).outcome).toBe('unknown');
    expect(matchPurpose([{ system: 'urn:oid:1.2.3', code: 'OTHER_AUTHZ' }]).outcome).toBe('unknown');
    expect(matchPurpose([{ system: NHIN_PURPOSE_OID, code: 'TREATMENT' }, { system: ACT_REASON_URI, code: 'HPAYMT' }])).toMatchObject({ outcome: 'ambiguous', purposes: ['Treatment', 'Payment'] });
    expect(matchPurpose([{ system: NHIN_PURPOSE_OID, code: 'TREATMENT' }, { system: ACT_REASON_URI, code: 'TREAT' }]).outcome).toBe('matched');
  });

  it('writes each purpose as one coding, ours only for OTHER_AUTHZ', () => {
    expect(PURPOSES.map((p) => purposeCoding(p).code)).toEqual(['TREAT', 'HPAYMT', 'HOPERAT', 'PUBHLTH', 'PATRQT', 'COVERAGE', 'OTHER_AUTHZ']);
    for (const p of PURPOSES) expect(matchPurpose([purposeCoding(p)])).toMatchObject({ outcome: 'matched', purpose: p });
  });
});
