import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, parseXml, samlPki, SAML_NS, signedEnvelope, TEST_AUDIENCE } from '../../../test/support/saml.js';
import { readSignature } from './check-signature.js';
import { verifyXua, type XuaFaultSubcode, type XuaPolicy, type XuaResult } from './index.js';

/**
 * The XML signature wrapping battery: the eight XSW variants of Somorovsky et al., "On Breaking SAML: Be Whoever
 * You Want to Be" (USENIX Security 2012), moved from a SAML Response into the wsse:Security header where XUA puts
 * the assertion, each with the forged assertion keeping the signed one's ID and with an ID of its own; then a
 * signature moved out of its assertion, a second assertion elsewhere, references to a copied element, an XPath
 * transform, a Reference to another ID, and comment injection (which must change nothing that is read). Every
 * forgery claims another subject and purpose; each must fail with the fault named, and never yield the forged claims.
 */
const now = new Date();
const policy: XuaPolicy = { trustAnchors: samlPki().trustAnchors, audiences: [TEST_AUDIENCE], clockSkewSeconds: 60, maxAssertionAgeSeconds: 3600, allowSha1: false };
const ORIGINAL_ID = '_original';
const EVIL_ID = '_evil';

interface Message {
  readonly doc: Document;
  readonly security: Element;
  /** The signed assertion, as received. */
  readonly original: Element;
}

function message(): Message {
  const doc = parseXml(signedEnvelope({ now, id: ORIGINAL_ID }));
  const security = doc.getElementsByTagNameNS(SAML_NS.wsse, 'Security')[0]!;
  return { doc, security, original: doc.getElementsByTagNameNS(SAML_NS.saml, 'Assertion')[0]! };
}

const child = (parent: Element, ns: string, name: string) => Array.from(parent.childNodes).find((n) => n.nodeType === 1 && n.localName === name && n.namespaceURI === ns) as Element;
const signatureOf = (assertion: Element) => child(assertion, SAML_NS.ds, 'Signature');

/** A copy of the signed assertion, with or without its signature, claiming (unless told not to) to be someone else, for another purpose. */
function forged(original: Element, id: string, keepSignature: boolean, lie = true): Element {
  const evil = original.cloneNode(true) as Element;
  evil.setAttribute('ID', id);
  if (!keepSignature) evil.removeChild(signatureOf(evil));
  if (!lie) return evil;
  for (const value of Array.from(evil.getElementsByTagNameNS(SAML_NS.saml, 'AttributeValue'))) {
    if (value.textContent === DEFAULTS.subjectId) value.textContent = 'Mallory Admin';
  }
  for (const p of Array.from(evil.getElementsByTagNameNS(SAML_NS.hl7, 'PurposeOfUse'))) p.setAttribute('code', 'OPERATIONS');
  return evil;
}

/** ds:Object inside a signature, created in the XMLDSig namespace. */
function object(doc: Document, signature: Element): Element {
  const o = doc.createElementNS(SAML_NS.ds, 'ds:Object');
  signature.appendChild(o);
  return o;
}

const send = (m: Message) => verifyXua(new XMLSerializer().serializeToString(m.doc), policy, now);

function expectFault(result: XuaResult, subcode: XuaFaultSubcode, reason: string): void {
  expect(result.ok ? { ok: true, subjectId: result.assertion.subjectId } : result.fault).toEqual({ subcode, reason: expect.stringContaining(reason) });
}

const ONE_ASSERTION = 'exactly one saml2:Assertion directly under wsse:Security';
const NESTED = 'more than one saml2:Assertion';

type Attack = (m: Message, evilId: string) => void;

/** The variants, adapted: the paper's Response becomes wsse:Security, its Extensions an element of another namespace. */
const XSW: readonly [string, Attack, string][] = [
  ['XSW1: forged assertion first, the signed one wrapped in its copied signature\'s ds:Object', (m, id) => {
    const evil = forged(m.original, id, true);
    m.security.replaceChild(evil, m.original);
    object(m.doc, signatureOf(evil)).appendChild(m.original);
  }, NESTED],
  ['XSW2: the signed assertion detached before the forged one\'s copied signature', (m, id) => {
    const evil = forged(m.original, id, true);
    m.security.replaceChild(evil, m.original);
    evil.insertBefore(m.original, signatureOf(evil));
  }, NESTED],
  ['XSW3: forged assertion inserted before the signed one', (m, id) => {
    m.security.insertBefore(forged(m.original, id, false), m.original);
  }, ONE_ASSERTION],
  ['XSW4: forged assertion wrapping the signed one', (m, id) => {
    const evil = forged(m.original, id, false);
    m.security.replaceChild(evil, m.original);
    evil.appendChild(m.original);
  }, NESTED],
  ['XSW5: forged assertion keeping the signature, a copy of the signed one appended to the message', (m, id) => {
    const evil = forged(m.original, id, true);
    const copy = forged(m.original, ORIGINAL_ID, false, false);
    m.security.replaceChild(evil, m.original);
    m.doc.getElementsByTagNameNS(SAML_NS.soap, 'Body')[0]!.appendChild(copy);
  }, NESTED],
  ['XSW6: forged assertion keeping the signature, the signed one inside that signature', (m, id) => {
    const evil = forged(m.original, id, true);
    m.security.replaceChild(evil, m.original);
    const copy = forged(m.original, ORIGINAL_ID, false, false);
    signatureOf(evil).appendChild(copy);
  }, NESTED],
  ['XSW7: the signed assertion in an extension element before the forged one', (m, id) => {
    const extensions = m.doc.createElementNS('urn:example:extensions', 'x:Extensions');
    m.security.insertBefore(extensions, m.original);
    m.security.replaceChild(forged(m.original, id, false), m.original);
    extensions.appendChild(m.original);
  }, NESTED],
  ['XSW8: forged assertion keeping the signature, the signed one without it in a ds:Object', (m, id) => {
    const evil = forged(m.original, id, true);
    m.security.replaceChild(evil, m.original);
    const copy = forged(m.original, ORIGINAL_ID, false, false);
    object(m.doc, signatureOf(evil)).appendChild(copy);
  }, NESTED],
];

describe('signature wrapping (XSW1–XSW8)', () => {
  it.each(XSW)('%s, forged ID of its own', (_, attack, reason) => {
    const m = message();
    attack(m, EVIL_ID);
    expectFault(send(m), 'wsse:InvalidSecurity', reason);
  });

  it.each(XSW)('%s, forged ID equal to the signed one', (_, attack, reason) => {
    const m = message();
    attack(m, ORIGINAL_ID);
    expectFault(send(m), 'wsse:InvalidSecurity', reason);
  });

  // Defence in depth: were the one-assertion rule gone, the forged assertion at the fixed path would still fail
  // the signature's own checks (no signature of its own, or a Reference that does not resolve to it alone).
  it.each(XSW.flatMap(([name, attack]): [string, Attack, string][] => [[`${name}, forged ID of its own`, attack, EVIL_ID], [`${name}, forged ID equal to the signed one`, attack, ORIGINAL_ID]]))(
    '%s: refused by the signature checks alone too',
    (_, attack, id) => {
      const m = message();
      attack(m, id);
      const atPath = Array.from(m.security.childNodes).find((n) => n.nodeType === 1 && n.localName === 'Assertion') as Element;
      const holders = Array.from(m.doc.getElementsByTagName('*')).filter((e) => ['ID', 'Id', 'id', 'AssertionID'].some((a) => e.getAttribute(a) === id));
      const read = readSignature(atPath, id, holders, false);
      expect(read.ok ? 'accepted' : read.fault.reason).toMatch(/exactly one ds:Signature|unexpected content in ds:Signature|Reference URI does not name|Reference resolves to another element/);
    },
  );

  it('the signed assertion in saml2:Advice of the forged one', () => {
    const m = message();
    const evil = forged(m.original, EVIL_ID, true);
    m.security.replaceChild(evil, m.original);
    const advice = m.doc.createElementNS(SAML_NS.saml, 'saml2:Advice');
    evil.insertBefore(advice, signatureOf(evil).nextSibling);
    advice.appendChild(m.original);
    expectFault(send(m), 'wsse:InvalidSecurity', NESTED);
  });
});

describe('other wrapping and reference tricks', () => {
  it('signature moved out of the assertion, beside it in wsse:Security', () => {
    const m = message();
    m.security.appendChild(signatureOf(m.original));
    expectFault(send(m), 'wsse:InvalidSecurity', 'exactly one ds:Signature child of the assertion');
  });

  it('a second signature in the assertion', () => {
    const m = message();
    m.original.appendChild(signatureOf(m.original).cloneNode(true));
    expectFault(send(m), 'wsse:InvalidSecurity', 'exactly one ds:Signature child of the assertion');
  });

  it('a second, unsigned assertion in the Body', () => {
    const m = message();
    m.doc.getElementsByTagNameNS(SAML_NS.soap, 'Body')[0]!.appendChild(forged(m.original, EVIL_ID, false));
    expectFault(send(m), 'wsse:InvalidSecurity', NESTED);
  });

  /** The forged assertion takes the signed one's place; a copy of the signed content, under another name, goes to the Body. */
  function copyElsewhere(evilId: string, idAttribute: 'ID' | 'id'): Message {
    const m = message();
    const copy = m.doc.createElementNS('urn:example:x', 'x:Copy');
    copy.setAttribute(idAttribute, ORIGINAL_ID);
    for (const n of Array.from(m.original.childNodes)) copy.appendChild(n.cloneNode(true));
    m.security.replaceChild(forged(m.original, evilId, true), m.original);
    m.doc.getElementsByTagNameNS(SAML_NS.soap, 'Body')[0]!.appendChild(copy);
    return m;
  }

  it('a forged assertion whose signature references a copy of the signed content in another element', () => {
    expectFault(send(copyElsewhere(EVIL_ID, 'ID')), 'wsse:InvalidSecurity', 'Reference URI does not name the assertion');
  });

  it('the same, the forged assertion taking the copy\'s ID', () => {
    expectFault(send(copyElsewhere(ORIGINAL_ID, 'ID')), 'wsse:InvalidSecurity', 'ID value occurs more than once');
  });

  it('the same, the copy carrying the ID in a lowercase id attribute', () => {
    expectFault(send(copyElsewhere(ORIGINAL_ID, 'id')), 'wsse:InvalidSecurity', 'Reference resolves to another element');
  });

  it('the timestamp taking the assertion\'s ID', () => {
    const m = message();
    m.doc.getElementsByTagNameNS(SAML_NS.wsu, 'Timestamp')[0]!.setAttributeNS(SAML_NS.wsu, 'wsu:Id', ORIGINAL_ID);
    expectFault(send(m), 'wsse:InvalidSecurity', 'ID value occurs more than once');
  });

  it('a Reference to another ID', () => {
    const m = message();
    m.doc.getElementsByTagNameNS(SAML_NS.ds, 'Reference')[0]!.setAttribute('URI', '#_other');
    expectFault(send(m), 'wsse:InvalidSecurity', 'Reference URI does not name the assertion');
  });

  it('an empty Reference URI (the whole document)', () => {
    const m = message();
    m.doc.getElementsByTagNameNS(SAML_NS.ds, 'Reference')[0]!.setAttribute('URI', '');
    expectFault(send(m), 'wsse:InvalidSecurity', 'Reference URI does not name the assertion');
  });

  it('a second Reference', () => {
    const m = message();
    const reference = m.doc.getElementsByTagNameNS(SAML_NS.ds, 'Reference')[0]!;
    reference.parentNode!.appendChild(reference.cloneNode(true));
    expectFault(send(m), 'wsse:InvalidSecurity', 'exactly one Reference');
  });

  it.each([
    ['an XPath transform added', 'http://www.w3.org/TR/1999/REC-xpath-19991116'],
    ['an XSLT transform added', 'http://www.w3.org/TR/1999/REC-xslt-19991116'],
    ['an inclusive canonicalization added', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
    ['exclusive canonicalization with comments added', 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments'],
  ])('%s', (_, algorithm) => {
    const m = message();
    const transforms = m.doc.getElementsByTagNameNS(SAML_NS.ds, 'Transforms')[0]!;
    const transform = m.doc.createElementNS(SAML_NS.ds, 'ds:Transform');
    transform.setAttribute('Algorithm', algorithm);
    transforms.appendChild(transform);
    expectFault(send(m), 'wsse:InvalidSecurity', 'transforms other than enveloped-signature then exclusive canonicalization');
  });

  it('the exclusive canonicalization transform replaced by an XPath one', () => {
    const m = message();
    const transforms = m.doc.getElementsByTagNameNS(SAML_NS.ds, 'Transform');
    transforms[1]!.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xpath-19991116');
    expectFault(send(m), 'wsse:InvalidSecurity', 'transforms other than enveloped-signature then exclusive canonicalization');
  });

  it('a forged subject in the signed assertion itself', () => {
    const m = message();
    const values = Array.from(m.original.getElementsByTagNameNS(SAML_NS.saml, 'AttributeValue'));
    values.find((v) => v.textContent === DEFAULTS.subjectId)!.textContent = 'Mallory Admin';
    expectFault(send(m), 'wsse:FailedCheck', 'digest of the assertion does not match');
  });
});

describe('comment injection', () => {
  it('a comment splitting the NameID or an attribute value changes nothing that is read', () => {
    const m = message();
    const nameId = m.original.getElementsByTagNameNS(SAML_NS.saml, 'NameID')[0]!;
    const text = nameId.firstChild!;
    // As in the 2018 SAML comment-truncation attacks: a reader taking the first text node would see "CN=Dr. Alice".
    nameId.insertBefore(m.doc.createComment(''), (text as unknown as { splitText(n: number): Element }).splitText(12));
    const subject = Array.from(m.original.getElementsByTagNameNS(SAML_NS.saml, 'AttributeValue')).find((v) => v.textContent === DEFAULTS.subjectId)!;
    subject.insertBefore(m.doc.createComment('x'), (subject.firstChild as unknown as { splitText(n: number): Element }).splitText(3));
    const result = send(m);
    expect(result.ok && [result.assertion.nameId, result.assertion.subjectId]).toEqual([DEFAULTS.nameId, DEFAULTS.subjectId]);
  });
});
