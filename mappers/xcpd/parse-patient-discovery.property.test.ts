import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Address, HumanName, Identifier, Issue, Telecom } from '../../canonical/index.js';
import { xcpdFixture } from '../../fixtures/ihe/xcpd/files.js';
import { RESPONSE_CONTEXT } from '../../fixtures/ihe/xcpd/patients.js';
import { NS, readXml, type XmlElement } from '../xml/index.js';
import { demographicsOf, parsePatientDiscoveryRequest } from './parse-patient-discovery.js';
import { renderPatientDiscoveryResponse } from './render-patient-discovery-response.js';

const NAMES = ['carequality-typical.xml', 'minimal.xml', 'several-names-ids.xml', 'prefixed.xml', 'default-namespace.xml'];
const TEXTS = NAMES.map(xcpdFixture);
const TREES = TEXTS.map((text) => {
  const read = readXml(text);
  if (!read.ok) throw new Error('fixture not readable');
  return read.root;
});

/**
 * Whatever the input: no exception; a refusal carries at least one error; an accepted query holds only canonical
 * values and warnings, and can be answered with a well-formed response.
 */
function holds(root: XmlElement): void {
  const result = parsePatientDiscoveryRequest(root);
  if (!result.ok) {
    expect(result.issues.length).toBeGreaterThan(0);
    for (const i of result.issues) expect(Issue.parse(i)).toEqual(i);
    expect(result.issues.some((i) => i.severity === 'fatal' || i.severity === 'error')).toBe(true);
    return;
  }
  const { parameters, warnings } = result.query;
  for (const w of warnings) expect([Issue.parse(w).severity]).toEqual(['warning']);
  for (const n of parameters.names) expect(HumanName.parse(n.name)).toEqual(n.name);
  for (const i of [...parameters.identifiers, ...parameters.principalCareProviderIds]) expect(Identifier.parse(i)).toEqual(i);
  for (const a of parameters.addresses) expect(Address.parse(a)).toEqual(a);
  for (const t of parameters.telecom) expect(Telecom.parse(t)).toEqual(t);
  demographicsOf(result.query);
  expect(readXml(renderPatientDiscoveryResponse(result.query, { kind: 'no-match' }, RESPONSE_CONTEXT)).ok).toBe(true);
}

const VALUES = ['', ' ', 'M', 'F', 'UN', 'X', '1981', '19810229', '198113', '2.16.840.1.113883.1.6', 'PRPA_IN201305UV02', 'urn:oid:', 'urn:oid:2.999.1', 'tel:', 'mailto:', 'VV', 'SP', 'IN', 'UNK', '999990019', '123456789', '<&>"', '\u0000', 'x'.repeat(300)];
const ATTRIBUTES = ['root', 'extension', 'code', 'codeSystem', 'value', 'use', 'qualifier', 'nullFlavor', 'type'];
const LOCALS = ['id', 'value', 'given', 'family', 'prefix', 'suffix', 'queryByParameter', 'parameterList', 'livingSubjectName', 'livingSubjectId', 'livingSubjectBirthTime', 'livingSubjectAdministrativeGender', 'patientAddress', 'patientTelecom', 'streetAddressLine', 'low'];

/** The elements of a tree in document order, each with the path of child indexes that reaches it. */
function nodes(root: XmlElement): number[][] {
  const found: number[][] = [];
  const walk = (e: XmlElement, at: number[]) => {
    found.push(at);
    e.children.forEach((c, i) => walk(c, [...at, i]));
  };
  walk(root, []);
  return found;
}

function replaceAt(root: XmlElement, at: readonly number[], change: (e: XmlElement) => XmlElement[]): XmlElement {
  if (at.length === 0) return change(root)[0] ?? { ...root, children: [] };
  const [i, ...rest] = at as [number, ...number[]];
  const children = root.children.flatMap((c, j) => (j !== i ? [c] : rest.length === 0 ? change(c) : [replaceAt(c, rest, change)]));
  return { ...root, children };
}

type Mutation = (e: XmlElement, value: string, pick: number) => XmlElement[];
const MUTATIONS: Mutation[] = [
  () => [],
  (e) => [e, e],
  (e, value, pick) => [{ ...e, attributes: { ...e.attributes, [ATTRIBUTES[pick % ATTRIBUTES.length]!]: value } }],
  (e, value) => [{ ...e, text: value }],
  (e) => [{ ...e, ns: e.ns === NS.hl7 ? '' : NS.hl7 }],
  (e, _, pick) => [{ ...e, name: LOCALS[pick % LOCALS.length]! }],
  (e) => [{ ...e, attributes: {} }],
  (e, _, pick) => [{ ...e, children: [...e.children].reverse().slice(pick % 2) }],
];

describe('parsePatientDiscoveryRequest never throws', () => {
  it('on the fixtures with elements removed, doubled, renamed, moved out of the namespace or given other values', () => {
    fc.assert(
      fc.property(
        fc.nat(TREES.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(MUTATIONS.length - 1), fc.constantFrom(...VALUES), fc.nat()), { minLength: 1, maxLength: 4 }),
        (which, steps) => {
          let tree = TREES[which]!;
          for (const [at, mutation, value, pick] of steps) {
            const all = nodes(tree);
            tree = replaceAt(tree, all[at % all.length]!, (e) => MUTATIONS[mutation]!(e, value, pick));
          }
          holds(tree);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on the fixture texts with a stretch replaced, when the result is still XML', () => {
    fc.assert(
      fc.property(fc.nat(TEXTS.length - 1), fc.nat(), fc.nat(40), fc.constantFrom(...VALUES, '<x/>', '</value>', '"', 'hl7:'), (which, start, length, replacement) => {
        const text = TEXTS[which]!;
        const from = start % text.length;
        const read = readXml(text.slice(0, from) + replacement + text.slice(from + length));
        if (read.ok) holds(read.root);
      }),
      { numRuns: 1000 },
    );
  });

  it('on every fixture with each single element taken out', () => {
    for (const tree of TREES) for (const at of nodes(tree)) holds(replaceAt(tree, at, () => []));
  });
});
