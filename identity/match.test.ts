import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { IdentifierSystems, Patient } from '../canonical/index.js';
import { decideMatch, scoreCandidate, withinOneEdit, type MatchResult } from './match.js';

const stored = Patient.parse({
  id: randomUUID(),
  identifiers: [{ system: IdentifierSystems.bsn.uri, value: '999990019' }, { system: 'urn:oid:1.2.3', value: 'MRN-1' }],
  names: [{ family: 'Berg', familyPrefix: 'van den', given: ['Johanna', 'Maria'], initials: 'J.M.' }],
  birthDate: '1956-03-14',
  gender: 'female',
  addresses: [{ postalCode: '3511 AA', lines: [] }],
});

describe('demographic matching', () => {
  it('is certain on a shared identifier, and rules out a different BSN whatever else agrees', () => {
    expect(scoreCandidate({ identifiers: [{ system: 'urn:oid:1.2.3', value: 'MRN-1' }] }, stored)).toMatchObject({ score: 100, grade: 'match' });
    const otherBsn = scoreCandidate({
      identifiers: [{ system: IdentifierSystems.bsn.uri, value: '123456782' }],
      names: [{ family: 'van den Berg', given: ['Johanna'] }], birthDate: '1956-03-14', gender: 'female',
    }, stored);
    expect(otherBsn).toMatchObject({ score: 0, grade: 'none', reasons: ['BSN differs'] });
  });

  it('takes a shared identifier for someone else when the full birth date or the known sex contradicts it', () => {
    const mrn = [{ system: 'urn:oid:1.2.3', value: 'MRN-1' }];
    expect(scoreCandidate({ identifiers: mrn, names: [{ family: 'Smith', given: ['Bob'] }], birthDate: '1999-01-01', gender: 'male' }, stored))
      .toMatchObject({ score: 0, grade: 'none', reasons: ['identifier urn:oid:1.2.3 equal, but birth date and sex differ'] });
    expect(scoreCandidate({ identifiers: mrn, gender: 'male' }, stored)).toMatchObject({ score: 0, reasons: ['identifier urn:oid:1.2.3 equal, but sex differs'] });
    // A partial date, an unknown sex or another name contradicts nothing.
    expect(scoreCandidate({ identifiers: mrn, names: [{ family: 'Jansen', given: [] }], birthDate: '1956-03', gender: 'unknown' }, stored)).toMatchObject({ score: 100 });
  });

  it('matches name, birth date, sex and initials written another way', () => {
    const r = scoreCandidate({ names: [{ family: 'BERG, VAN DEN', given: [], initials: 'JM' }], birthDate: '1956-03-14', gender: 'female', postalCode: '3511aa' }, stored);
    expect(r.reasons).toEqual(['family name equal', 'birth date equal', 'sex equal', 'initials equal', 'postal code equal']);
    expect(r).toMatchObject({ score: 100, grade: 'match' });
  });

  it('makes a misspelt name with the right birth date only a possible match', () => {
    const r = scoreCandidate({ names: [{ family: 'Bergh', given: ['Johanna'] }], birthDate: '1956-03-14', gender: 'female' }, stored);
    expect(r.reasons).toContain('family name one edit apart');
    expect(r.score).toBe(25 + 30 + 10 + 10 + 5);
    expect(r.grade).toBe('possible');
    const weaker = scoreCandidate({ names: [{ family: 'Bergh', given: [] }], birthDate: '1956-03-14' }, stored);
    expect(weaker).toMatchObject({ score: 55, grade: 'none' });
  });

  it('counts a swapped day and month as close, and penalises a different sex and first initial', () => {
    const r = scoreCandidate({ names: [{ family: 'Berg', familyPrefix: 'van den', given: ['Karel'] }], birthDate: '1956-03-14', gender: 'male' }, stored);
    expect(r.reasons).toEqual(['family name equal', 'birth date equal', 'sex differs', 'first initial differs']);
    expect(r.score).toBe(40 + 30 - 20 - 15);
    const otherYear = scoreCandidate({ names: [{ family: 'Berg', given: [] }], birthDate: '1957-03-14' }, stored);
    expect(otherYear.reasons).toEqual(['family name equal']);
    const dm = scoreCandidate({ names: [{ family: 'Berg', given: [] }], birthDate: '1956-12-03' }, { ...stored, birthDate: '1956-03-12' });
    expect(dm.reasons).toContain('birth date close (same month, or day and month swapped)');
  });

  it('decides on one confident candidate only', () => {
    const r = (patientId: string, score: number): MatchResult => ({ patientId, score, grade: score >= 85 ? 'match' : score >= 60 ? 'possible' : 'none', reasons: [] });
    expect(decideMatch([r('a', 95), r('b', 20)])).toEqual({ outcome: 'match', patientId: 'a', score: 95 });
    expect(decideMatch([r('a', 95), r('b', 70)])).toEqual({ outcome: 'ambiguous', patientIds: ['a', 'b'] });
    expect(decideMatch([r('a', 95), r('b', 90)])).toEqual({ outcome: 'ambiguous', patientIds: ['a', 'b'] });
    expect(decideMatch([r('a', 70)])).toEqual({ outcome: 'ambiguous', patientIds: ['a'] });
    expect(decideMatch([r('a', 10)])).toEqual({ outcome: 'none' });
    expect(decideMatch([])).toEqual({ outcome: 'none' });
  });

  it('settles two look-alikes by the postal code asked for, only when every other one lives elsewhere', () => {
    const twin = (postalCode: string) => Patient.parse({ ...stored, id: randomUUID(), identifiers: [], addresses: [{ postalCode, lines: [] }] });
    const [here, elsewhere, unknown] = [twin('3511 AA'), twin('1011 AB'), Patient.parse({ ...stored, id: randomUUID(), identifiers: [], addresses: [] })];
    const query = { names: [{ family: 'van den Berg', given: ['Johanna'], initials: 'J.M.' }], birthDate: '1956-03-14', gender: 'female' as const };
    const scored = (q: typeof query & { postalCode?: string }, ...ps: Patient[]) => decideMatch(ps.map((p) => scoreCandidate(q, p)));
    expect(scored(query, here!, elsewhere!)).toMatchObject({ outcome: 'ambiguous' });
    expect(scored({ ...query, postalCode: '3511aa' }, here!, elsewhere!)).toMatchObject({ outcome: 'match', patientId: here!.id });
    // One whose address is not known might live there too: still not a guess.
    expect(scored({ ...query, postalCode: '3511aa' }, here!, unknown!)).toMatchObject({ outcome: 'ambiguous' });
    expect(scored({ ...query, postalCode: '9999ZZ' }, here!, elsewhere!)).toMatchObject({ outcome: 'ambiguous' });
  });

  it('measures one edit', () => {
    expect(withinOneEdit('berg', 'bergh')).toBe(true);
    expect(withinOneEdit('jansen', 'janssen')).toBe(true);
    expect(withinOneEdit('jansen', 'jansan')).toBe(true);
    expect(withinOneEdit('jansen', 'jnasen')).toBe(false);
    expect(withinOneEdit('bos', 'vos')).toBe(false);
  });
});
