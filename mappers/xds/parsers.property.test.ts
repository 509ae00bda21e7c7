import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { xcaSample, xcaSamplesFor } from '../../fixtures/ihe/xca/fixtures.js';
import { NS, readXml, type XmlElement } from '../xml/index.js';
import { parseAdhocQueryRequest, type AdhocQueryParse } from './parse-adhoc-query.js';
import { XDS_ERROR_CODES, type RegistryError } from './registry-error.js';
import { parseRetrieveDocumentSetRequest, type RetrieveRequestParse } from './retrieve.js';
import { STORED_QUERIES } from './stored-queries.js';
import { escapeAttribute, escapeText } from './xml-writer.js';

const QUERIES = xcaSamplesFor('urn:ihe:iti:2007:CrossGatewayQuery').map(xcaSample);
const RETRIEVES = xcaSamplesFor('urn:ihe:iti:2007:CrossGatewayRetrieve').map(xcaSample);
const OPTIONS = { homeCommunityId: '2.999.1.1' };

/** Every element of a document, so each parser also meets what it was never meant for. */
function elementsOf(xml: string): XmlElement[] {
  const read = readXml(xml);
  if (!read.ok) return [];
  const all: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    all.push(e);
    e.children.forEach(walk);
  };
  walk(read.root);
  return all;
}

function wellFormedErrors(errors: readonly RegistryError[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(XDS_ERROR_CODES).toContain(e.errorCode);
    expect(e.severity).toBe('error');
    expect(typeof e.codeContext).toBe('string');
    expect(e.codeContext.length).toBeLessThan(300);
  }
}

function checkQuery(result: AdhocQueryParse): void {
  if (result.ok) expect(STORED_QUERIES[result.query.name].id).toBe(result.query.id);
  else wellFormedErrors(result.errors);
}

function checkRetrieve(result: RetrieveRequestParse): void {
  if (result.ok) for (const r of result.requests) expect([r.homeCommunityId, r.repositoryUniqueId, r.documentUniqueId]).not.toContain('');
  else wellFormedErrors(result.errors);
}

/** Runs both parsers on every element of the text: neither may throw, each answers in its own well-formed way. */
function parseEverything(xml: string): void {
  for (const element of elementsOf(xml)) {
    checkQuery(parseAdhocQueryRequest(element, OPTIONS));
    checkRetrieve(parseRetrieveDocumentSetRequest(element));
  }
}

const TOKENS = ["'", "''", '(', ')', ',', '^', '&amp;', '&lt;', '"', ' ', '', 'x', '0', '%', '_', 'urn:uuid:', 'urn:oid:', '2.999.1.1', "('a','b')", '</rim:Value>', '<rim:Value>', '/>', '\u00e9'];
const SLOTS = [...new Set(Object.values(STORED_QUERIES).flatMap((q) => Object.values(q.parameters).map((p) => p.slot))), '$homeCommunityId', '$unknown', ''];
const IDS = [...Object.values(STORED_QUERIES).map((q) => q.id), 'urn:uuid:f2072993-9478-41df-a603-8f016706efe8', '', 'x'];

/** Text from the characters that mean something in slot values, and any other. */
const slotText = fc.array(fc.oneof(fc.constantFrom(...TOKENS.filter((t) => !t.includes('<') && !t.includes('&'))), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join(''));

const adhocQuery = fc
  .record({
    returnType: fc.option(fc.constantFrom('LeafClass', 'ObjectRef', 'LeafClassWithRepositoryItem', ''), { nil: undefined }),
    id: fc.oneof(fc.constantFrom(...IDS), fc.string({ maxLength: 40 })),
    home: fc.option(fc.oneof(fc.constantFrom('2.999.1.1', 'urn:oid:2.999.1.1', 'urn:oid:2.999.3.1', ''), fc.string({ maxLength: 12 })), { nil: undefined }),
    slots: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...SLOTS), fc.string({ maxLength: 10 })), fc.array(slotText, { maxLength: 3 })), { maxLength: 8 }),
  })
  .map(({ returnType, id, home, slots }) => {
    const option = returnType === undefined ? '' : `<q:ResponseOption returnType="${escapeAttribute(returnType)}"/>`;
    const homeAttribute = home === undefined ? '' : ` home="${escapeAttribute(home)}"`;
    const slotXml = slots.map(([name, values]) => `<r:Slot name="${escapeAttribute(name)}"><r:ValueList>${values.map((v) => `<r:Value>${escapeText(v)}</r:Value>`).join('')}</r:ValueList></r:Slot>`);
    return `<q:AdhocQueryRequest xmlns:q="${NS.query}" xmlns:r="${NS.rim}">${option}<r:AdhocQuery id="${escapeAttribute(id)}"${homeAttribute}>${slotXml.join('')}</r:AdhocQuery></q:AdhocQueryRequest>`;
  });

const retrieveRequest = fc
  .array(
    fc.array(fc.tuple(fc.constantFrom('HomeCommunityId', 'RepositoryUniqueId', 'DocumentUniqueId', 'Document', 'x'), fc.oneof(fc.constantFrom('2.999.1.1', 'urn:oid:', 'urn:oid:urn:oid:2.999.1.2', ' '), fc.string({ maxLength: 20 }))), { maxLength: 5 }),
    { maxLength: 105 },
  )
  .map((requests) => {
    const items = requests.map((fields) => `<x:DocumentRequest>${fields.map(([name, text]) => `<x:${name}>${escapeText(text)}</x:${name}>`).join('')}</x:DocumentRequest>`);
    return `<x:RetrieveDocumentSetRequest xmlns:x="${NS.xdsb}">${items.join('')}</x:RetrieveDocumentSetRequest>`;
  });

/** A sample with one position replaced, inserted into or deleted, to reach malformed-but-readable inputs. */
const mutated = (samples: readonly string[]) =>
  fc.tuple(fc.constantFrom(...samples), fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...TOKENS)).map(([xml, at, cut, token]) => {
    const start = at % xml.length;
    return xml.slice(0, start) + token + xml.slice(start + cut);
  });

/** A sample with one rim:Value's text, or one DocumentRequest field, replaced by anything. */
const valueReplaced = (samples: readonly string[], pattern: RegExp) =>
  fc.tuple(fc.constantFrom(...samples), fc.nat(), fc.oneof(slotText, fc.string({ unit: 'binary', maxLength: 30 }))).map(([xml, which, text]) => {
    const matches = [...xml.matchAll(pattern)];
    const match = matches[which % Math.max(matches.length, 1)];
    if (!match) return xml;
    return xml.slice(0, match.index + match[1]!.length) + escapeText(text) + xml.slice(match.index + match[0].length - match[3]!.length);
  });

describe('the parsers never throw, and always answer with a query or with XDS errors', () => {
  it('query samples with one position mutated', () => {
    fc.assert(fc.property(mutated(QUERIES), parseEverything), { numRuns: 250 });
  });

  it('query samples with one slot value replaced by anything', () => {
    fc.assert(fc.property(valueReplaced(QUERIES, /(<(?:rim:)?Value>)([^<]*)(<\/(?:rim:)?Value>)/g), parseEverything), { numRuns: 250 });
  });

  it('AdhocQueryRequests made of known and unknown ids, slots and values', () => {
    fc.assert(fc.property(adhocQuery, parseEverything), { numRuns: 250 });
  });

  it('retrieve samples with one position mutated or one field replaced by anything', () => {
    fc.assert(fc.property(mutated(RETRIEVES), parseEverything), { numRuns: 150 });
    fc.assert(fc.property(valueReplaced(RETRIEVES, /(<(?:xdsb:)?(?:HomeCommunityId|RepositoryUniqueId|DocumentUniqueId)>)([^<]*)(<\/)/g), parseEverything), { numRuns: 150 });
  });

  it('RetrieveDocumentSetRequests with any number of partial DocumentRequests', () => {
    fc.assert(fc.property(retrieveRequest, parseEverything), { numRuns: 100 });
  });

  it('finds the samples it mutates', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(20);
    expect(RETRIEVES).toHaveLength(2);
  });
});
