import { describe, expect, it } from '@jest/globals';
import { copd, dm2, empty } from '../../fixtures/cda/patients.js';
import { ccdDocumentEntry } from './document-entry.js';
import { identifiedCcd } from './identified-ccd.js';
import { ccdUniqueId } from './ids.js';
import type { CcdInput } from './input.js';
import { renderCcd } from './render-ccd.js';

const CONTEXT = { repositoryUniqueId: '2.25.311355112416286012217498823465339218015' };

/** What identifiedCcd stands for: the id, then the document written with it, then its entry, each on its own. */
function inThreeSteps(input: CcdInput) {
  const uniqueId = ccdUniqueId(input);
  const withId = { ...input, documentId: { root: uniqueId } };
  const { xml, issues } = renderCcd(withId);
  const bytes = Buffer.from(xml, 'utf8');
  return { uniqueId, bytes, issues, entry: ccdDocumentEntry(withId, bytes, CONTEXT) };
}

const hostile = 'A <b>&amp; "q" \'s\' ]]> \u0001\uFFFE\uD800 😀 \r\n\ttab';
const CASES: Record<string, CcdInput> = {
  dm2,
  copd,
  empty,
  'characters XML cannot carry': {
    ...dm2,
    patient: { ...dm2.patient, names: [{ given: [hostile], family: 'Berg' }] },
    observations: dm2.observations.map((o) => ({ ...o, text: hostile, notes: [hostile] })),
  },
  'a document id passed in': { ...copd, documentId: { root: '2.25.0' } },
  'a document id that is not the stand-in': { ...copd, documentId: { root: '2.25.1234' } },
};

describe('identifiedCcd', () => {
  it.each(Object.entries(CASES))('gives the id, bytes, issues and entry of the three steps it replaces: %s', (_, input) => {
    const once = identifiedCcd(input, CONTEXT);
    const three = inThreeSteps(input);
    if (!once.ok) throw new Error(once.issues.map((i) => i.message).join('; '));
    expect(once.uniqueId).toBe(three.uniqueId);
    expect(once.bytes.toString('utf8')).toBe(three.bytes.toString('utf8'));
    expect(once.issues).toEqual(three.issues);
    expect(once.entry).toEqual(three.entry);
    expect(once.bytes.toString('utf8')).toContain(`<id root="${once.uniqueId}"/>`);
    expect(once.bytes.toString('utf8')).toContain(`<setId root="${once.uniqueId}"/>`);
    expect(once.bytes.toString('utf8')).not.toContain('"2.25.0"');
  });

  it('refuses input renderCcd refuses, with the same issues', () => {
    const foreign = { ...dm2.observations[0]!, patientId: '00000000-0000-4000-8000-00000000ffff' };
    const input = { ...dm2, observations: [...dm2.observations, foreign] };
    const once = identifiedCcd(input, CONTEXT);
    expect(once.ok).toBe(false);
    expect(once.issues).toEqual(renderCcd(input).issues);
  });
});
