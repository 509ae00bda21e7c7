import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CASES, copd, dm2, empty } from '../../fixtures/cda/patients.js';
import { descendantsNamed, NS, readXml, type XmlElement } from '../xml/index.js';
import type { CcdInput } from './input.js';
import { renderCcd } from './render-ccd.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cda');
const V3 = NS.hl7;

function read(xml: string): XmlElement {
  const parsed = readXml(xml);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('; '));
  return parsed.root;
}

const all = (root: XmlElement, name: string) => descendantsNamed(root, V3, name);
const sectionByTemplate = (root: XmlElement, templateRoot: string) =>
  all(root, 'section').find((s) => s.children.some((c) => c.name === 'templateId' && c.attributes.root === templateRoot))!;

describe('renderCcd: golden documents', () => {
  it.each(Object.keys(CASES))('%s renders its reviewed golden CCD', (name) => {
    const { xml, issues } = renderCcd(CASES[name as keyof typeof CASES]);
    expect(issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
    const golden = path.join(GOLDEN, `${name}.xml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, xml);
    // A missing golden fails: a new case is written with UPDATE_GOLDEN=1 and read by a person before it is committed.
    expect(existsSync(golden)).toBe(true);
    expect(xml).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(Object.keys(CASES))('%s: every narrative reference resolves to exactly one ID, and IDs are unique', (name) => {
    const root = read(renderCcd(CASES[name as keyof typeof CASES]).xml);
    const ids: string[] = [];
    const walk = (e: XmlElement) => {
      if (e.attributes.ID !== undefined) ids.push(e.attributes.ID);
      e.children.forEach(walk);
    };
    walk(root);
    expect(new Set(ids).size).toBe(ids.length);
    const references = all(root, 'reference').map((r) => r.attributes.value!);
    for (const ref of references) expect(ids).toContain(ref.slice(1));
  });

  it('carries the six sections CCD R2.1 requires, each once, with R1.1 and R2.1 template ids', () => {
    const root = read(renderCcd(dm2).xml);
    const templates = all(root, 'section').map((s) => s.children.filter((c) => c.name === 'templateId').map((t) => `${t.attributes.root}${t.attributes.extension ? `:${t.attributes.extension}` : ''}`));
    expect(templates).toEqual([
      ['2.16.840.1.113883.10.20.22.2.6.1', '2.16.840.1.113883.10.20.22.2.6.1:2015-08-01'],
      ['2.16.840.1.113883.10.20.22.2.1.1', '2.16.840.1.113883.10.20.22.2.1.1:2014-06-09'],
      ['2.16.840.1.113883.10.20.22.2.5.1', '2.16.840.1.113883.10.20.22.2.5.1:2015-08-01'],
      ['2.16.840.1.113883.10.20.22.2.3.1', '2.16.840.1.113883.10.20.22.2.3.1:2015-08-01'],
      ['2.16.840.1.113883.10.20.22.2.17', '2.16.840.1.113883.10.20.22.2.17:2015-08-01'],
      ['2.16.840.1.113883.10.20.22.2.4.1', '2.16.840.1.113883.10.20.22.2.4.1:2015-08-01'],
    ]);
  });
});

describe('renderCcd: content', () => {
  const root = read(renderCcd(dm2).xml);

  it('says "no information" for allergies and medications, which we never receive, with no entries', () => {
    for (const template of ['2.16.840.1.113883.10.20.22.2.6.1', '2.16.840.1.113883.10.20.22.2.1.1']) {
      const section = sectionByTemplate(root, template);
      expect(section.attributes.nullFlavor).toBe('NI');
      expect(section.children.filter((c) => c.name === 'entry')).toEqual([]);
      expect(all(section, 'paragraph')[0]!.text).toMatch(/^No information: .* do not carry /);
    }
  });

  it('publishes the patient under our id only, never the BSN the record holds, with the Dutch prefix as a VV name part', () => {
    const role = all(root, 'patientRole')[0]!;
    expect(dm2.patient.identifiers.map((i) => i.value)).toContain('999900018');
    expect(role.children.filter((c) => c.name === 'id').map((c) => c.attributes)).toEqual([
      { root: '2.25.311355112416286012217498823465339218013', extension: 'P000123' },
    ]);
    expect(renderCcd(dm2).xml).not.toContain('999900018');
    expect(renderCcd(dm2).xml).not.toContain('2.16.840.1.113883.2.4.6.3');
    const [own, partner] = all(role, 'name');
    expect(own!.children.map((c) => [c.name, c.attributes.qualifier, c.text])).toEqual([
      ['given', undefined, 'Jan'], ['given', undefined, 'Pieter'], ['prefix', 'VV', 'van der'], ['family', 'BR', 'Berg'],
    ]);
    expect(partner!.children.slice(-2).map((c) => [c.name, c.attributes.qualifier, c.text])).toEqual([['prefix', 'VV', 'de'], ['family', 'SP', 'Vries']]);
    expect(renderCcd(dm2).xml).toContain('<prefix qualifier="VV">van der </prefix>');
  });

  it('codes problems in ICPC-1-NL and puts each programme enrolment in the concern of its episode', () => {
    const problems = sectionByTemplate(root, '2.16.840.1.113883.10.20.22.2.5.1');
    const values = all(problems, 'value').map((v) => [v.attributes.code, v.attributes.codeSystem]);
    expect(values).toEqual([['T90.02', '2.16.840.1.113883.2.4.4.31.1'], ['K86.00', '2.16.840.1.113883.2.4.4.31.1'], ['S18', '2.16.840.1.113883.2.4.4.31.1']]);
    const concerns = all(problems, 'act').filter((a) => a.attributes.classCode === 'ACT');
    expect(concerns.map((c) => all(c, 'act').filter((a) => a.attributes.classCode === 'PCPR').length)).toEqual([1, 1, 0]);
    expect(all(problems, 'translation').map((t) => t.attributes.codeSystem)).not.toContain('2.16.840.1.113883.6.96');
  });

  it('groups a report\'s results in one organizer, with LOINC absent (unconfirmed) and the NHG code primary, decimals as written', () => {
    const results = sectionByTemplate(root, '2.16.840.1.113883.10.20.22.2.3.1');
    const organizers = all(results, 'organizer');
    expect(organizers).toHaveLength(1);
    const observations = all(organizers[0]!, 'observation');
    expect(observations.map((o) => o.children.find((c) => c.name === 'code')!.attributes.code)).toEqual(['2816', '372', '3583', undefined]);
    const glucose = observations[1]!.children.find((c) => c.name === 'value')!;
    expect(glucose.attributes).toMatchObject({ type: 'PQ', value: '7.10', unit: 'mmol/L' });
  });

  it('sends a pending result as active with a value not available yet, and its local code as text only', () => {
    const { issues } = renderCcd(dm2);
    const results = sectionByTemplate(root, '2.16.840.1.113883.10.20.22.2.3.1');
    const pending = all(results, 'observation').find((o) => o.children.some((c) => c.name === 'id' && c.attributes.root === '00000000-0000-4000-8000-000000000143'))!;
    expect(pending.children.find((c) => c.name === 'statusCode')!.attributes).toEqual({ code: 'active' });
    expect(pending.children.find((c) => c.name === 'value')!.attributes).toEqual({ type: 'ST', nullFlavor: 'NAV' });
    expect(pending.children.find((c) => c.name === 'code')!.attributes).toEqual({ nullFlavor: 'OTH' });
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'CODE_SYSTEM_WITHOUT_OID', where: { path: 'observations/00000000-0000-4000-8000-000000000143' } }));
  });

  it('puts vital signs with LOINC first, and one without a confirmed LOINC (BMI) as OTH with its NHG code', () => {
    const vitals = sectionByTemplate(root, '2.16.840.1.113883.10.20.22.2.4.1');
    expect(all(vitals, 'organizer')).toHaveLength(2);
    const codes = all(vitals, 'observation').map((o) => o.children.find((c) => c.name === 'code')!);
    expect(codes.map((c) => c.attributes.code ?? c.attributes.nullFlavor)).toEqual(['8462-4', '29463-7', 'OTH', '8480-6', '29463-7']);
    const bmi = codes[2]!;
    expect(bmi.children.find((c) => c.name === 'translation')!.attributes).toMatchObject({ code: '1272', codeSystem: '2.16.840.1.113883.2.4.4.30.45' });
  });

  it('routes what Vital Signs cannot hold (a coded pulse rhythm) and the COPD examinations to Results', () => {
    const copdRoot = read(renderCcd(copd).xml);
    const results = sectionByTemplate(copdRoot, '2.16.840.1.113883.10.20.22.2.3.1');
    expect(all(results, 'observation').map((o) => o.children.find((c) => c.name === 'code')!.attributes.code).sort()).toEqual(['1659', '1675', '1704', '2102', '2209']);
    const problems = sectionByTemplate(copdRoot, '2.16.840.1.113883.10.20.22.2.5.1');
    // The ended CVRM enrolment has no episode here: it is an entry of its own.
    expect(problems.children.filter((c) => c.name === 'entry').map((e) => e.children[0]!.attributes.classCode)).toEqual(['ACT', 'PCPR']);
  });

  it('renders a patient with no data as a conformant CCD whose clinical sections all say "no information"', () => {
    const emptyRoot = read(renderCcd(empty).xml);
    expect(all(emptyRoot, 'section').map((s) => s.attributes.nullFlavor)).toEqual(['NI', 'NI', 'NI', 'NI', 'NI', 'NI']);
    expect(all(emptyRoot, 'entry')).toEqual([]);
    const service = all(emptyRoot, 'serviceEvent')[0]!;
    expect(all(service, 'low')[0]!.attributes).toEqual({ nullFlavor: 'NI' });
  });
});

describe('renderCcd: determinism and safety', () => {
  it('gives the same bytes for the same input, whatever order the records come in', () => {
    const first = renderCcd(dm2).xml;
    expect(renderCcd(dm2).xml).toBe(first);
    const shuffled: CcdInput = {
      ...dm2,
      conditions: [...dm2.conditions].reverse(),
      observations: [...dm2.observations].reverse(),
      enrolments: [...dm2.enrolments].reverse(),
    };
    expect(renderCcd(shuffled).xml).toBe(first);
  });

  it('keeps hostile strings well-formed and drops only what XML 1.0 cannot carry, saying so', () => {
    const hostile = 'A <b>&amp; "q" \'s\' ]]> <!-- x --> <?pi?> \u0001\u0008\uFFFE\uD800 😀 \r\n\ttab';
    const input: CcdInput = {
      ...dm2,
      patient: { ...dm2.patient, names: [{ given: [hostile], family: 'Berg' }] },
      observations: dm2.observations.map((o) => ({ ...o, text: hostile, notes: [hostile], codings: o.codings.map((c) => ({ ...c, display: hostile })) })),
    };
    const { xml, issues } = renderCcd(input);
    const root = read(xml);
    const expected = 'A <b>&amp; "q" \'s\' ]]> <!-- x --> <?pi?>  😀 \r\n\ttab';
    expect(all(root, 'given')[0]!.text).toBe(expected.trim());
    expect(all(root, 'translation').find((t) => t.attributes.code === '1744')!.attributes.displayName).toBe(expected);
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'CHARACTERS_REMOVED' }));
    expect(xml).not.toMatch(/[\u0001\u0008\uFFFE]/);
  });

  it('refuses a document when a record belongs to another patient', () => {
    const foreign = { ...dm2.observations[0]!, patientId: '00000000-0000-4000-8000-00000000ffff' };
    const { xml, issues } = renderCcd({ ...dm2, observations: [...dm2.observations, foreign] });
    expect(xml).toBe('');
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code: 'OTHER_PATIENT' })]);
  });

  it('reports invalid input as issues instead of throwing', () => {
    const { xml, issues } = renderCcd({ ...empty, effectiveTime: '2025-01-01' });
    expect(xml).toBe('');
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code: 'INVALID_CCD_INPUT', where: { path: 'effectiveTime' } })]);
  });

  it('leaves out records entered in error, and says so', () => {
    const wrong = { ...dm2.observations[4]!, status: 'entered-in-error' as const };
    const { xml, issues } = renderCcd({ ...dm2, observations: [...dm2.observations.slice(0, 4), wrong, ...dm2.observations.slice(5)] });
    expect(xml).not.toContain('00000000-0000-4000-8000-000000000150');
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'information', code: 'ENTERED_IN_ERROR_LEFT_OUT' }));
  });
});
