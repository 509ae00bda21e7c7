import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Resource } from 'fhir/r4.js';
import { create } from 'xmlbuilder2';
import { ANY_RESOURCE, fhirElements, isFhirPrimitive, isFhirResourceType, type FhirElement } from '../../profiles/fhir-element-order.js';

/**
 * FHIR R4 JSON → FHIR XML (hl7.org/fhir/R4/xml.html), for `application/fhir+xml`. Pure. Element order, element
 * types and which elements are attributes come from the R4 StructureDefinitions (profiles/fhir-element-order).
 * The input comes from our own mappers, so anything R4 does not define (an unknown element, a `_` companion on a
 * non-primitive, two types for one choice, a value of the wrong JSON type) is a bug: it throws, naming the path.
 */
const FHIR_NS = 'http://hl7.org/fhir';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NUMERIC_PRIMITIVES = new Set(['decimal', 'integer', 'unsignedInt', 'positiveInt']);

type Builder = ReturnType<typeof create>;
type JsonObject = { readonly [key: string]: unknown };

/** One element's JSON members: the value and its `_` companion (id and extensions of primitives). */
interface Member {
  readonly jsonName: string;
  readonly type: string;
  value?: unknown;
  companion?: unknown;
}

export function renderXml(resource: Resource): string {
  const document = create({ version: '1.0', encoding: 'UTF-8' });
  writeResource(document, resource, '', ANY_RESOURCE);
  return escapeWhitespace(document.end({ wellFormed: true }));
}

/**
 * xmlbuilder2 serialises as DOM Parsing does, leaving tab, LF and CR raw inside attribute values, where every XML
 * parser turns them into spaces (and a CR in text into LF): a multi-line string would not survive. The compact
 * output holds these characters nowhere else (no indentation, comments or processing instructions are written),
 * so escaping every one of them is exact.
 */
function escapeWhitespace(xml: string): string {
  return xml.replace(/[\t\n\r]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new Error(`${path}: expected a JSON object`);
  return value;
}

/** A resource in an element named by its type: the document root, `contained`, `Bundle.entry.resource`, … */
function writeResource(parent: Builder, value: unknown, path: string, expectedType: string): void {
  const { resourceType, ...members } = asObject(value, path || 'resource');
  if (typeof resourceType !== 'string' || !isFhirResourceType(resourceType)) {
    throw new Error(`${path || 'resource'}: resourceType ${JSON.stringify(resourceType)} is not an R4 resource type`);
  }
  if (expectedType !== ANY_RESOURCE && resourceType !== expectedType) {
    throw new Error(`${path}: expected a ${expectedType}, found a ${resourceType}`);
  }
  writeMembers(parent.ele(FHIR_NS, resourceType), resourceType, members, path || resourceType);
}

function writeMembers(element: Builder, type: string, object: JsonObject, path: string): void {
  const definitions = fhirElements(type);
  if (!definitions) throw new Error(`${path}: R4 defines no type ${type}`);
  const members = membersByElement(definitions, object, type, path);
  for (const definition of definitions) {
    const member = members.get(definition);
    if (member) writeMember(element, definition, member, path);
  }
}

/** Files every JSON key under the element it belongs to, refusing keys R4 does not define for this type. */
function membersByElement(definitions: readonly FhirElement[], object: JsonObject, type: string, path: string): Map<FhirElement, Member> {
  const members = new Map<FhirElement, Member>();
  for (const [key, value] of Object.entries(object)) {
    // As in JSON.stringify: a key holding undefined is no member at all.
    if (value === undefined) continue;
    const isCompanion = key.startsWith('_');
    const jsonName = isCompanion ? key.slice(1) : key;
    const found = findElement(definitions, jsonName);
    if (!found) throw new Error(`${path}.${key}: not an element of ${type}`);
    const [definition, elementType] = found;
    if (isCompanion && (!isFhirPrimitive(elementType) || definition.representation !== 'element')) {
      throw new Error(`${path}.${key}: only primitive elements have a "_" companion`);
    }
    const member = members.get(definition) ?? { jsonName, type: elementType };
    if (member.jsonName !== jsonName) throw new Error(`${path}.${key}: ${definition.name}[x] already given as ${member.jsonName}`);
    if (isCompanion) member.companion = value;
    else member.value = value;
    members.set(definition, member);
  }
  return members;
}

/** The element a JSON name stands for, and its type: choices append the type name (`valueQuantity`). */
function findElement(definitions: readonly FhirElement[], jsonName: string): [FhirElement, string] | undefined {
  for (const definition of definitions) {
    if (!definition.choice) {
      if (definition.name === jsonName && definition.types[0] !== undefined) return [definition, definition.types[0]];
      continue;
    }
    if (!jsonName.startsWith(definition.name)) continue;
    const type = definition.types.find((t) => definition.name + t.charAt(0).toUpperCase() + t.slice(1) === jsonName);
    if (type !== undefined) return [definition, type];
  }
  return undefined;
}

function writeMember(element: Builder, definition: FhirElement, member: Member, parentPath: string): void {
  const path = `${parentPath}.${member.jsonName}`;
  if (definition.representation === 'xmlAttr') {
    element.att(member.jsonName, primitiveText(member.type, member.value, path));
    return;
  }
  const repeated = Array.isArray(member.value) || Array.isArray(member.companion);
  alignedOccurrences(member, path).forEach(([value, companion], i) => {
    writeOccurrence(element, member, value, companion, repeated ? `${path}[${i}]` : path);
  });
}

/**
 * Pairs each value with its companion: a repeating primitive's `_` array is aligned by index, with null where one
 * side has nothing (`"given": ["Jan", null], "_given": [null, {…}]`).
 */
function alignedOccurrences(member: Member, path: string): [unknown, unknown][] {
  const { value, companion } = member;
  if (!Array.isArray(value) && !Array.isArray(companion)) return [checkedPair(value, companion, path)];
  const values = arrayOf(value, path);
  const companions = arrayOf(companion, `${path} (companion)`);
  return Array.from({ length: Math.max(values.length, companions.length) }, (_, i) => checkedPair(values[i], companions[i], `${path}[${i}]`));
}

function checkedPair(value: unknown, companion: unknown, path: string): [unknown, unknown] {
  if ((value ?? null) === null && (companion ?? null) === null) throw new Error(`${path}: null, with no value and no "_" companion`);
  return [value ?? null, companion ?? null];
}

function arrayOf(value: unknown, path: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${path}: expected an array, as the other half of the pair is`);
  return value;
}

function writeOccurrence(parent: Builder, member: Member, value: unknown, companion: unknown, path: string): void {
  const { jsonName, type } = member;
  if (type === 'xhtml') {
    if (companion !== null) throw new Error(`${path}: xhtml has no "_" companion`);
    writeXhtml(parent, value, path);
  } else if (isFhirPrimitive(type)) {
    writePrimitive(parent.ele(jsonName), type, value, companion, path);
  } else if (type === ANY_RESOURCE || isFhirResourceType(type)) {
    writeResource(parent.ele(jsonName), value, path, type);
  } else {
    writeMembers(parent.ele(jsonName), type, asObject(value, path), path);
  }
}

/** A primitive is its value attribute plus the companion's id and extensions, in one element. */
function writePrimitive(element: Builder, type: string, value: unknown, companion: unknown, path: string): void {
  const extras = companion === null ? {} : asObject(companion, `${path} (companion)`);
  if (Object.hasOwn(extras, 'value')) throw new Error(`${path}: "value" is not an element of a "_" companion`);
  writeMembers(element, type, extras, path);
  if (value !== null) element.att('value', primitiveText(type, value, path));
}

/** The attribute text of a primitive; numbers as JSON writes them, so a decimal reads the same in both formats. */
function primitiveText(type: string, value: unknown, path: string): string {
  if (NUMERIC_PRIMITIVES.has(type)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || (type !== 'decimal' && !Number.isInteger(value))) {
      throw new Error(`${path}: a ${type} must be a JSON number${type === 'decimal' ? '' : ' without fraction'}`);
    }
    return JSON.stringify(value);
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw new Error(`${path}: a boolean must be true or false`);
    return String(value);
  }
  if (typeof value !== 'string') throw new Error(`${path}: a ${type} must be a JSON string`);
  return xmlChars(value, path);
}

/** XML 1.0 cannot carry control characters other than tab, LF and CR, nor lone surrogates, U+FFFE and U+FFFF. */
function xmlChars(text: string, path: string): string {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(text)) throw new Error(`${path}: contains a character XML cannot carry`);
  return text;
}

// Narrative.div: the JSON string is re-read and rebuilt, never pasted, so the output is well-formed by construction.

/** Ordered nodes as fast-xml-parser gives them: `{ tag: children, ':@': attributes }`, `{ '#text': … }`, `{ '#cdata': […] }`. */
type XhtmlNode = JsonObject;

const xhtmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Off: entity references are decoded below, where only XML's own five and character references are accepted.
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  // Comments are left out (no commentPropName): they carry no narrative content.
});

function writeXhtml(parent: Builder, value: unknown, path: string): void {
  if (typeof value !== 'string') throw new Error(`${path}: the narrative must be an XHTML string`);
  writeXhtmlElement(parent, parseDiv(value, path), path, true);
}

function parseDiv(text: string, path: string): XhtmlNode {
  if (/<!DOCTYPE|<!ENTITY|<\?/i.test(text)) throw new Error(`${path}: no DTD, entity declaration or processing instruction is allowed in a narrative`);
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw new Error(`${path}: not well-formed XML (${validation.err.msg})`);
  // The validator has made sure of a single root element; only its name is left to check.
  const parsed: unknown = xhtmlParser.parse(text);
  const root: unknown = (Array.isArray(parsed) ? parsed : []).find((node: unknown) => isObject(node) && elementName(node) !== undefined);
  if (!isObject(root) || elementName(root) !== 'div') throw new Error(`${path}: the narrative must be one <div> element`);
  return root;
}

function elementName(node: XhtmlNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text' && key !== '#cdata');
}

function writeXhtmlElement(parent: Builder, node: XhtmlNode, path: string, isRoot: boolean): void {
  const name = elementName(node);
  if (name === undefined) throw new Error(`${path}: unexpected XHTML node`);
  if (name.includes(':')) throw new Error(`${path}: <${name}> is not an XHTML element`);
  const element = isRoot ? parent.ele(XHTML_NS, name) : parent.ele(name);
  writeXhtmlAttributes(element, node[':@'], path);
  const children = node[name];
  for (const child of Array.isArray(children) ? children : []) writeXhtmlNode(element, asObject(child, path), path);
}

function writeXhtmlNode(parent: Builder, node: XhtmlNode, path: string): void {
  const text = node['#text'];
  const cdata = node['#cdata'];
  if (typeof text === 'string') parent.txt(xmlChars(decodeReferences(normalizeLineEnds(text), path), path));
  else if (Array.isArray(cdata)) parent.txt(xmlChars(normalizeLineEnds(cdata.map((part: unknown) => (isObject(part) ? String(part['#text'] ?? '') : '')).join('')), path));
  else writeXhtmlElement(parent, node, path, false);
}

function writeXhtmlAttributes(element: Builder, attributes: unknown, path: string): void {
  if (attributes === undefined) return;
  for (const [name, raw] of Object.entries(asObject(attributes, path))) {
    if (typeof raw !== 'string') throw new Error(`${path}: attribute ${name} has no value`);
    // XML attribute-value normalisation: literal whitespace becomes a space, character references stay.
    const value = xmlChars(decodeReferences(normalizeLineEnds(raw).replace(/[\t\n]/g, ' '), path), path);
    if (name === 'xmlns') {
      if (value !== XHTML_NS) throw new Error(`${path}: the narrative must be in the XHTML namespace, not ${value}`);
    } else if (name.startsWith('xml:')) {
      element.att(XML_NS, name, value);
    } else if (name.includes(':')) {
      throw new Error(`${path}: attribute ${name} is not XHTML`);
    } else {
      element.att(name, value);
    }
  }
}

function normalizeLineEnds(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

const PREDEFINED_ENTITIES = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

/** XML's five entities and character references; anything else (`&nbsp;`, a declared entity) is refused. */
function decodeReferences(text: string, path: string): string {
  return text.replace(/&(?:([a-z]+)|#(\d+)|#x([0-9a-fA-F]+));|&/g, (match, named?: string, decimal?: string, hex?: string) => {
    const predefined = named === undefined ? undefined : PREDEFINED_ENTITIES.get(named);
    if (predefined !== undefined) return predefined;
    const codePoint = decimal !== undefined ? Number(decimal) : hex !== undefined ? Number.parseInt(hex, 16) : NaN;
    if (!Number.isInteger(codePoint) || codePoint > 0x10ffff) throw new Error(`${path}: entity reference ${match} is not allowed in a narrative`);
    return String.fromCodePoint(codePoint);
  });
}
