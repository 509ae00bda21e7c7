import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readSoapEnvelope } from '../../../mappers/soap/index.js';
import { ELEMENT_NODE, parseXmlDocument, readXml, type DomElement, type XmlDocument } from '../../../mappers/xml/index.js';
import { parseXml, samlPki, signedEnvelope, TEST_AUDIENCE, type EnvelopeOptions } from '../../../test/support/saml.js';
import { canonicalize } from './canonicalize.js';
import { parseEnvelope } from './parse-envelope.js';
import { verifyXua, type XuaPolicy, type XuaResult } from './index.js';

/**
 * The XUA checks on mappers/xml's one parse of a request (parseXmlDocument's DOM, which the SOAP layer's readXml
 * also reads), against the same code on @xmldom/xmldom's DOM, which the Santuario goldens and the differential
 * tests against xml-crypto pin (canonicalize.test.ts, canonicalize.differential.test.ts,
 * check-signature.differential.test.ts): the goldens on the one parse; every element of signed requests in many
 * dialects as the apex, with and without an omitted child and InclusiveNamespaces lists, canonicalized alike on
 * both DOMs; and verifyXua on readXml's DOM of a request giving what it gives on the request's text, on those
 * requests and on edited ones.
 */
const cases = JSON.parse(readFileSync(new URL('../../../fixtures/ihe/xua/exc-c14n-cases.json', import.meta.url), 'utf8')) as
  { readonly name: string; readonly input: string; readonly apex?: string; readonly inclusivePrefixes: readonly string[]; readonly expected: string }[];

const now = new Date();
const policy = (): XuaPolicy => ({ trustAnchors: samlPki().trustAnchors, audiences: [TEST_AUDIENCE], clockSkewSeconds: 60, maxAssertionAgeSeconds: 3600, allowSha1: true });
/** What the SOAP endpoint reads requests with. */
const ENDPOINT_LIMITS = { maxBytes: 2 * 1024 * 1024, maxDepth: 48, maxElements: 20_000 };

function document(text: string): XmlDocument {
  const parsed = parseXmlDocument(text, ENDPOINT_LIMITS);
  if (!parsed.ok) throw new Error(`${parsed.problem} at ${parsed.offset}`);
  return parsed.document;
}

/** Elements in document order, the same walk on either DOM. */
function elementsOf(root: DomElement): DomElement[] {
  const found: DomElement[] = [];
  const walk = (e: DomElement) => {
    found.push(e);
    for (let i = 0; i < e.childNodes.length; i++) if (e.childNodes[i]!.nodeType === ELEMENT_NODE) walk(e.childNodes[i] as DomElement);
  };
  walk(root);
  return found;
}

const dialects = fc.record({
  prefixes: fc.record({
    soap: fc.constantFrom('soap', 's', 'env', ''),
    wsse: fc.constantFrom('wsse', 'o', ''),
    wsu: fc.constantFrom('wsu', 'u'),
    saml: fc.constantFrom('saml2', 'saml', ''),
    ds: fc.constantFrom('ds', 'dsig', ''),
    hl7: fc.constantFrom('hl7', 'v3'),
  }),
  hl7DeclaredOn: fc.constantFrom('assertion' as const, 'value' as const),
  nameFormat: fc.constantFrom('uri' as const, 'basic' as const, 'none' as const),
  purposeElement: fc.constantFrom('PurposeOfUse' as const, 'PurposeForUse' as const),
  sha1: fc.boolean(),
  // Not '#default', which xml-crypto, the signer here, ignores (canonicalize.differential.test.ts).
  inclusivePrefixes: fc.subarray(['xs', 'xsi', 'hl7']),
  organization: fc.constantFrom('Example Hospital', 'A & B\tclinic <1>', 'Zorg\r\nNoord "x"'),
  // xml-crypto, the signer here, mishandles processing instructions (canonicalize.test.ts): none in what it signs.
  free: fc.constantFrom('Dr. <![CDATA[A&B]]> Smith<!-- c --> Jr.', '&#233;&#x1F600;&amp;&lt;\r\n ', ' a\tb &#x9;&#xD;c '),
  confirmation: fc.constantFrom('certificate' as const, 'key-value' as const, 'sender-vouches' as const),
}).map(({ free, ...d }): EnvelopeOptions => {
  const s = (name: string) => (d.prefixes.saml === '' ? name : `${d.prefixes.saml}:${name}`);
  return { ...d, now, extra: `<${s('Attribute')} Name="urn:test:free"><${s('AttributeValue')}>${free}</${s('AttributeValue')}></${s('Attribute')}>` };
});

let requests: string[] | undefined;
/** Signed requests in sampled dialects, made once (RSA signing is the slow part). */
const signedRequests = () => (requests ??= fc.sample(dialects, { numRuns: 24, seed: 5 }).map((o) => signedEnvelope(o)));

describe('exclusive canonicalization on the one parse', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s, as the Santuario golden', (_, c) => {
    const root = document(c.input).documentElement;
    const apex = c.apex ? elementsOf(root).find((e) => e.localName === c.apex)! : root;
    expect(canonicalize(apex, { inclusivePrefixes: c.inclusivePrefixes })).toBe(c.expected);
  });

  it('canonicalizes every element of signed requests as on xmldom\'s DOM, with and without an omitted child and prefix lists', () => {
    let compared = 0;
    for (const text of [...signedRequests(), ...cases.map((c) => c.input)]) {
      const ours = elementsOf(document(text).documentElement);
      const theirs = elementsOf(parseXml(text).documentElement! as unknown as DomElement);
      expect(theirs.length).toBe(ours.length);
      ours.forEach((apex, k) => {
        const children = elementsOf(apex).slice(1);
        const omitted = [undefined, ...children.filter((c) => c.parentNode === apex).slice(0, 2)];
        for (const inclusivePrefixes of [[], ['#default'], ['xs', 'xsi', 'hl7', 'saml2', 'soap']]) {
          for (const omit of omitted) {
            const theirOmit = omit && theirs[ours.indexOf(omit)];
            expect(canonicalize(apex, { inclusivePrefixes, ...(omit ? { omit } : {}) })).toBe(canonicalize(theirs[k]!, { inclusivePrefixes, ...(theirOmit ? { omit: theirOmit } : {}) }));
            compared++;
          }
        }
      });
    }
    expect(compared).toBeGreaterThan(10_000);
  });
});

describe('verifyXua on readXml\'s parse of a request', () => {
  /** The result on readXml's parse, once checked equal to the result on the text; undefined when readXml made no parse. */
  const onBoth = (text: string): XuaResult | undefined => {
    const read = readXml(text, ENDPOINT_LIMITS);
    const parse = read.ok ? read.root.document : undefined;
    if (!parse) return undefined;
    const result = verifyXua(parse, policy(), now);
    expect({ text, result }).toEqual({ text, result: verifyXua(text, policy(), now) });
    return result;
  };

  it('gives what it gives on the text, for requests in every sampled dialect', () => {
    for (const text of signedRequests()) expect(onBoth(text)?.ok).toBe(true);
  });

  it('is reachable from the SOAP layer\'s Body, which is what authenticatePartner hands verifyXua', () => {
    for (const text of signedRequests()) {
      const read = readXml(text, ENDPOINT_LIMITS);
      const soap = read.ok ? readSoapEnvelope(read.root) : undefined;
      expect(soap?.ok && read.ok && soap.request.body.document === read.root.document && read.root.document !== undefined).toBe(true);
    }
  });

  it('gives what it gives on the text, for edited requests', () => {
    const EDITS = ['<!-- c -->', ' ', 'x', '<x/>', '</x>', '&amp;', ' ID="_dup"', ' Id="_dup"', ' xmlns:zz="urn:zz"', '\r\n', '<![CDATA[a]]>', '<?pi x?>'];
    let both = 0;
    fc.assert(fc.property(fc.constantFrom(...signedRequests()), fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom(...EDITS)), { minLength: 1, maxLength: 2 }), (text, changes) => {
      const edited = changes.reduce((t, [at, cut, piece]) => t.slice(0, at % t.length) + piece + t.slice((at % t.length) + cut), text);
      if (onBoth(edited)) both++;
    }), { numRuns: 400, seed: 17 });
    expect(both).toBeGreaterThan(100);
  });

  it('checks its own limits on a parse made under looser ones', () => {
    const loose = { maxBytes: 10_000_000, maxDepth: 200, maxElements: 1_000_000 };
    const parse = (text: string) => {
      const parsed = parseXmlDocument(text, loose);
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.document;
    };
    const envelope = signedEnvelope({ now });
    const deep = envelope.replace('</soap:Body>', `${'<d>'.repeat(70)}${'</d>'.repeat(70)}</soap:Body>`);
    const many = envelope.replace('</soap:Body>', `${'<e/>'.repeat(200)}</soap:Body>`);
    const large = envelope.replace('</soap:Body>', `<x>${'a'.repeat(300)}</x></soap:Body>`);
    const reason = (r: ReturnType<typeof parseEnvelope>) => (r.ok ? 'accepted' : r.fault.reason);
    expect(reason(parseEnvelope(parse(deep)))).toBe('xml: elements nested deeper than the limit');
    expect(reason(parseEnvelope(parse(many), { maxBytes: 1_000_000, maxDepth: 64, maxElements: 200 }))).toBe('xml: more elements than the limit');
    expect(reason(parseEnvelope(parse(large), { maxBytes: Buffer.byteLength(large) - 1, maxDepth: 64, maxElements: 1000 }))).toBe('xml: the message is larger than the limit');
    expect(reason(parseEnvelope(parse(large), { maxBytes: Buffer.byteLength(large), maxDepth: 64, maxElements: 1000 }))).toBe('accepted');
  });
});
