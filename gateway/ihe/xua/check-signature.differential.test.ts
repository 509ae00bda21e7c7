import { X509Certificate } from 'node:crypto';
import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import { parseXml, samlPki, signedAssertion, type AssertionOptions } from '../../../test/support/saml.js';
import { canonicalize } from './canonicalize.js';
import { checkSignature, readSignature } from './check-signature.js';

/**
 * Differential test of signature verification: generated assertions (prefixes and default namespaces for SAML,
 * XMLDSig and HL7, NameFormat variants, legacy PurposeForUse, free-text attribute values full of characters to
 * escape, comments and CDATA, SHA-1 or SHA-256, InclusiveNamespaces lists) signed by xml-crypto's SignedXml, then
 * mutated in ways that must keep the signature valid (comments, unused namespace declarations, attribute order,
 * CDATA for text, whitespace in KeyInfo) or must break it (an attribute value, a text, a namespace URI that a
 * listed prefix pulls in, a bit of DigestValue or SignatureValue, SignedInfo). Our check and SignedXml.checkSignature
 * must give the same verdict on every message where our canonical forms equal xml-crypto's; and, on every message
 * whose original both canonicalize alike, ours must give the verdict the mutation calls for.
 */
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const FREE_CHARS = ['a', 'Z', ' ', '\n', '\t', '&', '<', '>', '"', "'", 'é', '中', '😀', ']'] as const;

const free = fc.array(fc.constantFrom(...FREE_CHARS), { minLength: 1, maxLength: 10 }).map((cs) => cs.join(''));

const assertionOptions: fc.Arbitrary<AssertionOptions> = fc
  .record({
    saml: fc.constantFrom('saml2', 'saml', ''),
    ds: fc.constantFrom('ds', 'dsig', ''),
    hl7: fc.constantFrom('hl7', 'v3', ''),
    hl7DeclaredOn: fc.constantFrom('assertion', 'value'),
    nameFormat: fc.constantFrom('uri', 'basic', 'none'),
    purposeElement: fc.constantFrom('PurposeOfUse', 'PurposeForUse'),
    subjectIdName: fc.constantFrom('xspa', 'xacml'),
    sha1: fc.boolean(),
    inclusive: fc.oneof(fc.constant([] as string[]), fc.subarray(['xs', 'xsi', 'hl7', 'saml2', '#default'], { minLength: 1, maxLength: 3 })),
    free,
    freeForm: fc.constantFrom('text', 'comment', 'cdata'),
  })
  .map((g) => {
    const s = (name: string) => (g.saml === '' ? name : `${g.saml}:${name}`);
    const escaped = g.free.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const value = g.freeForm === 'cdata' ? `<![CDATA[${g.free}]]>` : g.freeForm === 'comment' ? `${escaped.slice(0, 3)}<!--c-->${escaped.slice(3)}` : escaped;
    return {
      prefixes: { saml: g.saml, ds: g.ds, hl7: g.hl7 },
      // A default HL7 namespace on the Assertion would take its unprefixed SAML elements.
      hl7DeclaredOn: g.hl7 === '' ? 'value' : g.hl7DeclaredOn,
      nameFormat: g.nameFormat,
      purposeElement: g.purposeElement,
      subjectIdName: g.subjectIdName,
      sha1: g.sha1,
      ...(g.inclusive.length > 0 ? { inclusivePrefixes: g.inclusive } : {}),
      organization: `Hospital ${g.free}`,
      extra: `<${s('Attribute')} Name="urn:test:free"><${s('AttributeValue')}>${value}</${s('AttributeValue')}></${s('Attribute')}>`,
    } satisfies AssertionOptions;
  });

type Expected = 'valid' | 'invalid' | 'either';
interface Mutation {
  readonly name: string;
  readonly expected: Expected;
  /** Changes the document; false when it has nothing to change. */
  readonly apply: (doc: Document, pick: number) => boolean;
}

/** Elements of the assertion that its signature covers: everything but ds:Signature and what is inside it. */
function signedElements(doc: Document): Element[] {
  const found: Element[] = [];
  const walk = (e: Element) => {
    if (e.localName === 'Signature' && e.namespaceURI === DS) return;
    found.push(e);
    for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) walk(n as Element);
  };
  walk(doc.documentElement!);
  return found;
}

const ds = (doc: Document, name: string) => doc.getElementsByTagNameNS(DS, name)[0]!;
const nth = <T>(list: readonly T[], pick: number) => list[pick % list.length]!;

function flipBase64(e: Element): boolean {
  const text = (e.textContent ?? '').replace(/\s+/g, '');
  const bytes = Buffer.from(text, 'base64');
  bytes[bytes.length >> 1]! ^= 0x01;
  e.textContent = bytes.toString('base64');
  return true;
}

const MUTATIONS: readonly Mutation[] = [
  { name: 'none', expected: 'valid', apply: () => true },
  {
    name: 'comment inserted', expected: 'valid', apply: (doc, pick) => {
      const e = nth(signedElements(doc), pick);
      e.insertBefore(doc.createComment(' injected '), e.firstChild);
      return true;
    },
  },
  {
    name: 'unused namespace declared', expected: 'valid', apply: (doc, pick) => {
      nth(signedElements(doc), pick).setAttributeNS(XMLNS_NS, 'xmlns:zz', 'urn:unused');
      return true;
    },
  },
  {
    name: 'attributes reordered', expected: 'valid', apply: (doc, pick) => {
      const e = nth(signedElements(doc).filter((x) => x.attributes.length > 1), pick);
      const first = e.attributes[0]!;
      e.removeAttributeNode(first);
      e.setAttributeNodeNS(first);
      return true;
    },
  },
  {
    name: 'text written as CDATA', expected: 'valid', apply: (doc, pick) => {
      const texts = signedElements(doc).flatMap((e) => Array.from(e.childNodes).filter((n) => n.nodeType === 3 && (n.nodeValue ?? '').trim() !== ''));
      if (texts.length === 0) return false;
      const t = nth(texts, pick);
      t.parentNode!.replaceChild(doc.createCDATASection((t.nodeValue ?? '').replace(/]]>/g, '')), t);
      return !(t.nodeValue ?? '').includes(']]>');
    },
  },
  {
    name: 'whitespace in KeyInfo', expected: 'valid', apply: (doc) => {
      const keyInfo = ds(doc, 'KeyInfo');
      keyInfo.insertBefore(doc.createTextNode('\n  '), keyInfo.firstChild);
      return true;
    },
  },
  {
    name: 'attribute value changed', expected: 'invalid', apply: (doc, pick) => {
      const e = nth(signedElements(doc).filter((x) => Array.from(x.attributes).some((a) => a.namespaceURI !== XMLNS_NS)), pick);
      const a = Array.from(e.attributes).filter((x) => x.namespaceURI !== XMLNS_NS)[0]!;
      a.value = `${a.value}x`;
      return true;
    },
  },
  {
    name: 'text changed', expected: 'invalid', apply: (doc, pick) => {
      const texts = signedElements(doc).flatMap((e) => Array.from(e.childNodes).filter((n) => n.nodeType === 3 && (n.nodeValue ?? '').trim() !== ''));
      const t = nth(texts, pick);
      t.nodeValue = `${t.nodeValue ?? ''}x`;
      return true;
    },
  },
  {
    name: 'xs namespace URI changed', expected: 'either', apply: (doc) => {
      doc.documentElement!.setAttributeNS(XMLNS_NS, 'xmlns:xs', 'http://www.w3.org/2001/XMLSchema#changed');
      return true;
    },
  },
  { name: 'DigestValue bit flipped', expected: 'invalid', apply: (doc) => flipBase64(ds(doc, 'DigestValue')) },
  { name: 'SignatureValue bit flipped', expected: 'invalid', apply: (doc) => flipBase64(ds(doc, 'SignatureValue')) },
  {
    name: 'SignedInfo changed', expected: 'invalid', apply: (doc) => {
      ds(doc, 'SignedInfo').setAttribute('Id', 'changed');
      return true;
    },
  },
];

interface Base {
  readonly xml: string;
  readonly alike: boolean;
}

const signer = () => samlPki().signer;
let bases: Base[] = [];

/** xml-crypto's canonical forms of what the signature covers, computed as SignedXml computes them. */
function referenceForms(xml: string, prefixes: readonly string[], signedInfoPrefixes: readonly string[]): [string, string] {
  const doc = parseXml(xml);
  const signature = ds(doc, 'Signature');
  const signedInfo = parseXml(xml);
  const assertion = doc.documentElement!;
  assertion.removeChild(signature);
  const c14n = new ExclusiveCanonicalization();
  return [
    c14n.process(assertion as never, { inclusiveNamespacesPrefixList: [...prefixes] }) as string,
    c14n.process(ds(signedInfo, 'SignedInfo') as never, { inclusiveNamespacesPrefixList: [...signedInfoPrefixes], ancestorNamespaces: inScopeAbove(ds(signedInfo, 'SignedInfo')) }) as string,
  ];
}

function inScopeAbove(e: Element): { prefix: string; namespaceURI: string }[] {
  const found: { prefix: string; namespaceURI: string }[] = [];
  for (let at = e.parentNode; at && at.nodeType === 1; at = at.parentNode) {
    for (const a of Array.from((at as Element).attributes)) {
      const prefix = a.prefix ? a.localName ?? '' : '';
      if (a.namespaceURI === XMLNS_NS && !found.some((f) => f.prefix === prefix)) found.push({ prefix, namespaceURI: a.value });
    }
  }
  return found;
}

interface Verdicts {
  readonly ours: boolean;
  readonly theirs: boolean;
  readonly alike: boolean;
  readonly refused?: string;
}

function verdicts(xml: string): Verdicts {
  const doc = parseXml(xml);
  const assertion = doc.documentElement!;
  const read = readSignature(assertion, assertion.getAttribute('ID') ?? '', [assertion], true);
  // Only a changed ID makes our reader refuse what xml-crypto signed: the Reference no longer names the assertion.
  if (!read.ok) return { ours: false, theirs: theirVerdict(xml), alike: true, refused: read.fault.reason };
  const ours = checkSignature(assertion, read.parts, new X509Certificate(signer().certPem).publicKey).ok;
  const mine = [
    canonicalize(assertion, { inclusivePrefixes: read.parts.referencePrefixes, omit: read.parts.signature }),
    canonicalize(read.parts.signedInfo, { inclusivePrefixes: read.parts.signedInfoPrefixes }),
  ];
  const reference = referenceForms(xml, read.parts.referencePrefixes, read.parts.signedInfoPrefixes);

  return { ours, theirs: theirVerdict(xml), alike: mine[0] === reference[0] && mine[1] === reference[1] };
}

function theirVerdict(xml: string): boolean {
  const sig = new SignedXml({ publicCert: signer().certPem });
  sig.loadSignature(ds(parseXml(xml), 'Signature') as never);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}

beforeAll(() => {
  bases = fc.sample(assertionOptions, { numRuns: 40, seed: 7 }).map((options) => {
    const xml = signedAssertion(options);
    return { xml, alike: verdicts(xml).alike };
  });
});

describe('signature verification: differential against xml-crypto SignedXml', () => {
  it('reads every xml-crypto signature, and agrees with SignedXml on the unchanged assertions', () => {
    for (const base of bases) {
      const v = verdicts(base.xml);
      expect(v.refused).toBeUndefined();
      expect(v.theirs).toBe(true);
      if (base.alike) expect(v.ours).toBe(true);
    }
    expect(bases.filter((b) => b.alike).length).toBeGreaterThan(bases.length * 0.8);
  });

  it('gives SignedXml\'s verdict, and the mutation\'s, on mutated assertions', () => {
    let alike = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.nat(MUTATIONS.length - 1), fc.nat(1000), (b, m, pick) => {
        const base = bases[b]!;
        const mutation = MUTATIONS[m]!;
        const doc = parseXml(base.xml);
        if (!mutation.apply(doc, pick)) return;
        const xml = new XMLSerializer().serializeToString(doc);
        const v = verdicts(xml);
        runs++;
        if (v.alike) {
          alike++;
          expect({ mutation: mutation.name, ours: v.ours }).toEqual({ mutation: mutation.name, ours: v.theirs });
        }
        if (base.alike && mutation.expected !== 'either') {
          expect({ mutation: mutation.name, ours: v.ours }).toEqual({ mutation: mutation.name, ours: mutation.expected === 'valid' });
        }
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(alike).toBeGreaterThan(runs * 0.8);
  });
});
