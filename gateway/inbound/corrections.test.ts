import { describe, expect, it } from '@jest/globals';
import { compareVersions, correctionIssues, sentOrder } from './corrections.js';

describe('sentOrder', () => {
  it.each([
    ['2024-01-16T10:00:00+01:00', '2024-01-15T09:30:00+01:00', 'later'],
    ['2024-01-15T09:30:00+01:00', '2024-01-16T10:00:00+01:00', 'earlier'],
    ['2024-01-15T09:30:00+01:00', '2024-01-15T08:30:00Z', 'unknown'],
    ['2024-01-15T09:30:00.250+01:00', '2024-01-15T09:30:00.125+01:00', 'later'],
    // A time to the minute covers the minute: the same minute cannot be ordered, the next one can.
    ['2025-03-14T10:12+01:00', '2025-03-14T10:12:30+01:00', 'unknown'],
    ['2025-03-14T10:13+01:00', '2025-03-14T10:12:30+01:00', 'later'],
    // A date covers its (Dutch) day: anything on a later day is later, anything on the same day cannot be ordered.
    ['2024-06-02T10:00:00+02:00', '2024-06-01', 'later'],
    ['2024-06-02', '2024-06-01', 'later'],
    ['2024-01-17', '2024-01-16T10:00:00+01:00', 'later'],
    ['2024-06-01T23:30:00+02:00', '2024-06-01', 'unknown'],
    // Exactly the Dutch day, in summer and winter time and on the nights the clocks change.
    ['2024-06-16T00:30:00+02:00', '2024-06-15', 'later'],
    ['2024-01-15', '2024-01-14T23:30:00+01:00', 'later'],
    ['2024-03-31T22:00:00Z', '2024-03-31', 'later'],
    ['2024-03-31T21:59:00Z', '2024-03-31', 'unknown'],
    ['2024-03-31', '2024-03-30T22:59:59Z', 'later'],
    ['2024-10-27T23:00:00Z', '2024-10-27', 'later'],
    ['2024-10-27T22:59:00Z', '2024-10-27', 'unknown'],
    ['2024-10-27', '2024-10-26T21:59:00Z', 'later'],
    ['2024-05-31T22:30:00Z', '2024-06-01', 'unknown'],
    ['2024-05-31T20:59:00Z', '2024-06-01', 'earlier'],
    ['2024', '2023-12-31T23:30:00+01:00', 'later'],
    ['2024-01-01T00:30:00+01:00', '2024', 'unknown'],
    ['2024', '2023-12-31T12:00:00+01:00', 'later'],
    ['2024-06', '2024-05-31', 'later'],
    [undefined, '2024-01-15T09:30:00+01:00', 'unknown'],
    ['2024-01-15T09:30:00+01:00', undefined, 'unknown'],
  ])('%s against %s: %s', (incoming, filed, order) => {
    expect(sentOrder(incoming, filed)).toBe(order);
  });
});

describe('compareVersions', () => {
  const observation = (over: Record<string, unknown> = {}) => ({
    id: 'o', status: 'final', codings: [{ system: 's', code: 'c' }], value: { kind: 'quantity', quantity: { value: '7.9', unit: 'mmol/L' } },
    carePrograms: ['DM2'], performerPractitionerId: 'p1', provenance: { source: 'ketenzorg-hl7v3', sentAt: '2024-01-15T09:30:00+01:00' }, ...over,
  });

  it('finds nothing new in a result sent without the concern that linked it, from another party id or message', () => {
    const { same, record } = compareVersions('observations', observation(), observation({
      carePrograms: [], performerPractitionerId: 'p2', provenance: { source: 'ketenzorg-hl7v3', sentAt: '2024-02-01T09:00:00+01:00' },
    }));
    expect(same).toBe(true);
    expect(record.carePrograms).toEqual(['DM2']);
  });

  it('keeps the programmes both versions are linked to, in their order, in a corrected one', () => {
    const { same, record } = compareVersions('observations', observation({ carePrograms: ['CVRM'] }), observation({ carePrograms: ['DM2'], value: { kind: 'quantity', quantity: { value: '8.1', unit: 'mmol/L' } } }));
    expect(same).toBe(false);
    expect(record.carePrograms).toEqual(['DM2', 'CVRM']);
  });

  it('calls a final result that replaces a final one amended, and keeps corrected when the sender says so', () => {
    const changed = { value: { kind: 'quantity', quantity: { value: '8.1', unit: 'mmol/L' } } };
    expect(compareVersions('observations', observation(), observation(changed)).record.status).toBe('amended');
    expect(compareVersions('observations', observation(), observation({ ...changed, status: 'corrected' })).record.status).toBe('corrected');
    expect(compareVersions('observations', observation({ status: 'preliminary' }), observation(changed)).record.status).toBe('final');
    // A resend that no longer flags the change is the same result.
    expect(compareVersions('observations', observation({ status: 'corrected' }), observation()).same).toBe(true);
    expect(compareVersions('observations', observation({ status: 'registered' }), observation()).same).toBe(false);
  });

  it('takes another test under a filed id for the id used twice, not a correction', () => {
    const glucose = observation({ codings: [{ system: 's', code: 'glucose' }], value: { kind: 'quantity', quantity: { value: '5.5', unit: 'mmol/L' } } });
    expect(compareVersions('observations', observation(), glucose)).toMatchObject({ same: false, otherTest: true });
    expect(compareVersions('observations', observation(), observation({ codings: [{ system: 's', code: 'c' }, { system: 'loinc', code: 'x' }] })).otherTest).toBeUndefined();
    const [issue] = correctionIssues([{ verdict: 'other-test', named: 'L-1' }]);
    expect(issue).toMatchObject({ severity: 'error', code: 'RECORD_ID_OF_OTHER_TEST', message: expect.stringMatching(/^1 of the records came under an id filed before for another test: .*: L-1;/) });
  });

  it('does not take a report issued anew for a correction of it', () => {
    const report = (over: Record<string, unknown> = {}) => ({ id: 'r', status: 'final', observationIds: ['a', 'b'], issued: '2025-03-14T10:12:00+01:00', provenance: { source: 'medlab' }, ...over });
    expect(compareVersions('reports', report(), report({ issued: '2025-03-15T09:00:00+01:00' })).same).toBe(true);
    expect(compareVersions('reports', report(), report({ observationIds: ['a', 'b', 'c'] })).same).toBe(false);
  });
});

describe('correctionIssues', () => {
  it('names each record once, counts every record, and lists at most twenty names', () => {
    const verdicts = [
      { verdict: 'applied' as const, named: 'EP-DM2-0001' }, { verdict: 'applied' as const, named: 'EP-DM2-0001' },
      ...Array.from({ length: 25 }, (_, i) => ({ verdict: 'unordered' as const, named: `L-${i}` })),
    ];
    const [applied, unordered] = correctionIssues(verdicts);
    expect(applied!.message).toMatch(/^2 of the records .*: EP-DM2-0001$/);
    expect(unordered!.severity).toBe('error');
    expect(unordered!.message).toMatch(/^25 of the records .*: L-0, L-1, .*, L-19, and 5 more; the filed version stands/);
    expect(correctionIssues([{ verdict: 'same', named: 'x' }])).toEqual([]);
  });
});
