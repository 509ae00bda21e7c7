import { describe, expect, it } from '@jest/globals';
import { matchPurpose, purposeCoding, PURPOSES, type Purpose, type PurposeMatch } from '../profiles/purposes.js';
import { decide, type ConsentFacts } from './decide.js';

const ORG = 'org-1';
const now = new Date('2026-11-22T12:00:00Z');
const matched = (p: Purpose): PurposeMatch => matchPurpose([purposeCoding(p)]);
/** A purpose that is on for everybody but the one under test, so every purpose is decided on its own. */
const allBut = (p: Purpose) => PURPOSES.filter((x) => x !== p);

type Defaults = 'none' | 'on' | 'off' | 'opt-in';
type Choice = 'absent' | 'allow' | 'deny';
type Approval = 'none' | 'present' | 'expired' | 'other-org' | 'other-purpose';

function facts(p: Purpose, defaults: Defaults, choice: Choice, approval: Approval): ConsentFacts {
  return {
    connectionActive: true,
    ...(defaults === 'none' ? {} : { clinicDefaults: { version: 3, purposes: defaults === 'on' ? [p] : defaults === 'off' ? allBut(p) : [] } }),
    ...(choice === 'absent' ? {} : { patientChoice: { version: 8, purposes: choice === 'allow' ? [p] : allBut(p) } }),
    approvals: approval === 'none' ? [] : [{
      id: 'a1',
      organizationId: approval === 'other-org' ? 'org-2' : ORG,
      purpose: approval === 'other-purpose' ? (p === 'Treatment' ? 'Payment' : 'Treatment') : p,
      expiresAt: approval === 'expired' ? '2026-11-21T12:00:00Z' : '2026-12-22T12:00:00Z',
    }],
  };
}

/** The expected rule, written from the words rather than from the code. */
function expected(defaults: Defaults, choice: Choice, approval: Approval): { result: 'permit' | 'deny'; rule: string } {
  if (approval === 'present') return { result: 'permit', rule: 'approval' };
  if (choice !== 'absent') return { result: choice === 'allow' ? 'permit' : 'deny', rule: 'patient-choice' };
  if (defaults !== 'none') return { result: defaults === 'on' ? 'permit' : 'deny', rule: 'clinic-default' };
  return { result: 'deny', rule: 'no-policy' };
}

const cases: [Purpose, Defaults, Choice, Approval][] = [];
for (const p of PURPOSES) for (const d of ['none', 'on', 'off', 'opt-in'] as const) for (const c of ['absent', 'allow', 'deny'] as const)
  for (const a of ['none', 'present', 'expired', 'other-org', 'other-purpose'] as const) cases.push([p, d, c, a]);

describe('the consent decision table', () => {
  it(`decides all ${cases.length} combinations of purpose × defaults × patient choice × approval as the rules say`, () => {
    const wrong: string[] = [];
    for (const [p, d, c, a] of cases) {
      const decision = decide({ patientId: 'p', organizationId: ORG, purpose: matched(p), now }, facts(p, d, c, a));
      const want = expected(d, c, a);
      if (decision.result !== want.result || decision.rule !== want.rule || decision.purpose !== p) {
        wrong.push(`${p} / defaults ${d} / choice ${c} / approval ${a}: got ${decision.result} by ${decision.rule}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('names the deciding policy version and the reason', () => {
    expect(decide({ patientId: 'p', organizationId: ORG, purpose: matched('Payment'), now }, facts('Payment', 'on', 'deny', 'none'))).toEqual({
      result: 'deny', rule: 'patient-choice', reason: "the patient's own choice does not allow Payment", policyVersion: 'patient:8', purpose: 'Payment',
    });
    expect(decide({ patientId: 'p', organizationId: ORG, purpose: matched('Treatment'), now }, facts('Treatment', 'opt-in', 'absent', 'none'))).toMatchObject({
      result: 'deny', rule: 'clinic-default', policyVersion: 'clinic:3', reason: 'the clinic shares only what a patient allows (opt-in), and this patient has not',
    });
    expect(decide({ patientId: 'p', organizationId: ORG, purpose: matched('Treatment'), now }, facts('Treatment', 'off', 'absent', 'present')).policyVersion).toBe('approval:a1');
  });

  it('never lets a Payment rule decide Coverage Determination, or the other way round', () => {
    const payOnly: ConsentFacts = { connectionActive: true, clinicDefaults: { version: 1, purposes: ['Payment'] }, approvals: [] };
    expect(decide({ patientId: 'p', organizationId: ORG, purpose: matched('Coverage Determination'), now }, payOnly).result).toBe('deny');
    const coverageOnly: ConsentFacts = { connectionActive: true, clinicDefaults: { version: 1, purposes: ['Coverage Determination'] }, approvals: [] };
    expect(decide({ patientId: 'p', organizationId: ORG, purpose: matched('Payment'), now }, coverageOnly).result).toBe('deny');
  });

  it('denies a missing, unknown or ambiguous purpose and an inactive connection, whatever the policy allows', () => {
    const everything: ConsentFacts = { connectionActive: true, clinicDefaults: { version: 1, purposes: [...PURPOSES] }, approvals: [] };
    const ask = (purpose: PurposeMatch, f = everything) => decide({ patientId: 'p', organizationId: ORG, purpose, now }, f);
    expect(ask(matchPurpose([]))).toMatchObject({ result: 'deny', rule: 'purpose-missing' });
    expect(ask(matchPurpose([{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT' }]))).toMatchObject({ result: 'deny', rule: 'purpose-unknown' });
    expect(ask(matchPurpose([purposeCoding('Treatment'), purposeCoding('Payment')]))).toMatchObject({ result: 'deny', rule: 'purpose-ambiguous' });
    expect(ask(matched('Treatment'), { ...everything, connectionActive: false })).toMatchObject({ result: 'deny', rule: 'connection-inactive' });
  });
});
