import { ReadAttr, ReadDocument, ReadElement, ReadInstruction, ReadText, XML_NS, XMLNS_NS } from './dom.js';
import type { XmlLimits } from './read.js';

/**
 * One pass over untrusted XML text to a read-only DOM (dom.ts), checking as it goes that the text is a well-formed
 * XML 1.0 document that is namespace-well-formed (Namespaces in XML 1.0), within limits. It is the one parse of a
 * SOAP request: readXml makes the SOAP mappers' element tree from its DOM, and the XUA checks read the assertion
 * from the same DOM.
 *
 * Hostile input is refused before the pass when a scan of the text can tell: more bytes than the limit, any
 * DOCTYPE or ENTITY declaration (so no entity but XML's five and character references exists, and nothing is
 * fetched or expanded), a character XML 1.0 forbids, more start tags than the element limit. Nesting beyond the
 * depth limit is refused during the pass, which keeps its own stack (no recursion), so depth costs memory only up
 * to the element limit.
 *
 * A refusal names its kind and where it was found. Some kinds are found by the pass but are not malformed syntax
 * (nesting too deep, a character reference to a forbidden character, a namespace declaration Namespaces in XML
 * 1.0 forbids); the pass reads on after the first of them, so a text that is also malformed is refused as
 * malformed, as a parser that checks such things on the finished tree would refuse it.
 */
export type XmlProblem = 'too-large' | 'declaration' | 'character' | 'too-many-elements' | 'malformed' | 'too-deep' | 'namespace';

export type XmlParse = { readonly ok: true; readonly document: ReadDocument } | { readonly ok: false; readonly problem: XmlProblem; readonly offset: number };

export function parseXmlDocument(text: string, limits: XmlLimits): XmlParse {
  // A UTF-16 code unit is at most three bytes of UTF-8, so short texts need no count.
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && Buffer.byteLength(text, 'utf8') > limits.maxBytes)) {
    return { ok: false, problem: 'too-large', offset: 0 };
  }
  const declaration = declarationAt(text);
  if (declaration !== -1) return { ok: false, problem: 'declaration', offset: declaration };
  const forbidden = forbiddenCharacterAt(text);
  if (forbidden !== -1) return { ok: false, problem: 'character', offset: forbidden };
  if (countStartTags(text, limits.maxElements) > limits.maxElements) return { ok: false, problem: 'too-many-elements', offset: 0 };
  try {
    return new Reader(text, limits.maxDepth).read();
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, problem: 'malformed', offset: error.offset };
    throw error;
  }
}

const DECLARATION = /<!(?:DOCTYPE|ENTITY)/iy;

/**
 * Where the first `<!DOCTYPE` or `<!ENTITY` starts (ASCII letters in either case), wherever it is (a comment or
 * CDATA section included), or -1. Looked for only where `<!` is, which is rare outside comments and CDATA: a
 * case-insensitive search of the whole text costs several times more.
 */
export function declarationAt(text: string): number {
  for (let i = text.indexOf('<!'); i !== -1; i = text.indexOf('<!', i + 2)) {
    DECLARATION.lastIndex = i;
    if (DECLARATION.test(text)) return i;
  }
  return -1;
}

/** Start tags in the text, counted without parsing (in comments and CDATA too); stops counting just past the limit. */
export function countStartTags(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('<'); i !== -1 && n <= limit; i = text.indexOf('<', i + 1)) {
    const c = text.charCodeAt(i + 1);
    // A name start: letters, '_', ':' or anything beyond ASCII; not '/', '!', '?'.
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c > 127) n++;
  }
  return n;
}

/**
 * C0 controls but tab, line feed and carriage return; U+FFFE and U+FFFF; any surrogate, checked for a pair below.
 * Without the u flag this scan is about four times faster than the exact class with it.
 */
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g;

/** Where the first character XML 1.0 forbids (Char, §2.2) is, a lone surrogate included, or -1. */
function forbiddenCharacterAt(text: string): number {
  SUSPECT.lastIndex = 0;
  for (let m = SUSPECT.exec(text); m; m = SUSPECT.exec(text)) {
    const at = m.index;
    const c = text.charCodeAt(at);
    if (c < 0xd800 || c > 0xdbff || !isLowSurrogate(text.charCodeAt(at + 1))) return at;
    SUSPECT.lastIndex = at + 2;
  }
  return -1;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** A refusal for malformed syntax, thrown out of the pass to parseXmlDocument. */
class Malformed {
  constructor(readonly offset: number) {}
}

const malformed = (offset: number): never => {
  throw new Malformed(offset);
};

const GT = 62;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const EQUALS = 61;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const AMPERSAND = 38;
const COLON = 58;
const HASH = 35;
const SEMICOLON = 59;

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** ASCII name characters: 1 for a NameStartChar (no colon: names are read as NCNames), 2 for a NameChar only. */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) ASCII_NAME[c] = 1;
  else if ((c >= 48 && c <= 57) || c === 45 || c === 46) ASCII_NAME[c] = 2;
}

/** NameStartChar beyond ASCII (XML 1.0 fifth edition, §2.3), by code point. */
function isNameStart(c: number): boolean {
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d)
    || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d || (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef)
    || (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

/** A name as written, its prefix (null without one) and local part; one object per distinct name (see NAMES). */
interface QName {
  readonly qname: string;
  readonly prefix: string | null;
  readonly local: string;
}

/**
 * Names seen before, in slots by hash. A document repeats a few dozen names; finding one here costs less than
 * cutting it out of the text again, and gives the same string each time (its hash computed once). A slot holds the
 * last name that hashed to it, so the table stays this size.
 */
const NAMES = new Array<QName | undefined>(4096).fill(undefined);

/** Set by ncNameEnd: a hash of the name just read. */
let nameHash = 0;

/** End of the NCName starting at `at`, or -1 when none starts there. */
function ncNameEnd(s: string, at: number): number {
  let i = at;
  let c = s.charCodeAt(i);
  let h = c;
  if (c < 128) {
    if (ASCII_NAME[c] !== 1) return -1;
    i++;
  } else {
    i = wideNameChar(s, i, true);
    if (i === -1) return -1;
  }
  for (;;) {
    c = s.charCodeAt(i);
    if (c < 128) {
      if (ASCII_NAME[c] === 0) break;
      i++;
    } else {
      const next = wideNameChar(s, i, false);
      if (next === -1) break;
      i = next;
    }
    h = (Math.imul(h, 31) + c) | 0;
  }
  nameHash = h;
  return i;
}

/** Past the non-ASCII name character at `i` (a surrogate pair read as one), or -1 when it is none. */
function wideNameChar(s: string, i: number, start: boolean): number {
  let c = s.charCodeAt(i);
  let width = 1;
  if (c >= 0xd800 && c <= 0xdbff) {
    const low = s.charCodeAt(i + 1);
    if (!isLowSurrogate(low)) return -1;
    c = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
    width = 2;
  }
  return (start ? isNameStart(c) : isNameChar(c)) ? i + width : -1;
}

/** Set by qnameEnd: the name just read. */
let lastName: QName = { qname: '', prefix: null, local: '' };

/** End of the QName (NCName, or NCName ':' NCName) at `at`, with lastName set; malformed when there is none. */
function qnameEnd(s: string, at: number): number {
  let end = ncNameEnd(s, at);
  if (end === -1) return malformed(at);
  let colon = -1;
  let h = nameHash;
  if (s.charCodeAt(end) === COLON) {
    colon = end;
    end = ncNameEnd(s, colon + 1);
    if (end === -1 || s.charCodeAt(end) === COLON) return malformed(colon);
    h = (Math.imul(h, 17) ^ nameHash) | 0;
  }
  const slot = (h ^ (h >>> 12)) & (NAMES.length - 1);
  const known = NAMES[slot];
  if (known !== undefined && known.qname.length === end - at && s.startsWith(known.qname, at)) {
    lastName = known;
  } else {
    const qname = s.slice(at, end);
    lastName = colon === -1
      ? { qname, prefix: null, local: qname }
      : { qname, prefix: qname.slice(0, colon - at), local: qname.slice(colon - at + 1) };
    NAMES[slot] = lastName;
  }
  return end;
}

const PREDEFINED: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['apos', "'"], ['quot', '"']]);

/** The XML declaration (§2.8), from `<?xml` to `?>`. */
const XML_DECLARATION = /<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/y;
const RESERVED_TARGET = /^xml$/i;
const LINE_ENDS = /\r\n?/g;
const lineEnds = (text: string) => text.replace(LINE_ENDS, '\n');

type Soft = Exclude<XmlProblem, 'malformed'>;

class Reader {
  private readonly document: ReadDocument;
  private readonly open: ReadElement[] = [];
  /** Prefix → the URIs bound to it by open elements, innermost last; '' is the default namespace, bound to '' for none. */
  private readonly scope = new Map<string, string[]>();
  /** The prefixes each open element bound, in one list, and how many each bound. */
  private readonly boundPrefixes: string[] = [];
  private readonly bound: number[] = [];
  /** Text of the innermost open element since its last child node: one text node once the next node comes. */
  private pending = '';
  /**
   * Where the next `&`, carriage return and `]]>` are at or after where the pass has got to (the text's length when
   * there is none): found again only once the pass is beyond them, so each search covers the text once in all.
   */
  private nextReference = -1;
  private nextReturn = -1;
  private nextCdataEnd = -1;
  /** Set by startTag: the first `<` after the one that opened the tag (the text's length when there is none). */
  private nextTag = 0;
  private soft: Soft | undefined;
  private softAt = 0;

  constructor(private readonly s: string, private readonly maxDepth: number) {
    this.document = new ReadDocument(s);
  }

  read(): XmlParse {
    const s = this.s;
    const n = s.length;
    // A byte order mark is the encoding's signature, not content.
    let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
    if (s.startsWith('<?xml', i) && !this.isNameCharAt(i + 5)) {
      XML_DECLARATION.lastIndex = i;
      if (!XML_DECLARATION.test(s)) malformed(i);
      i = XML_DECLARATION.lastIndex;
    }
    let closed = false;
    let lt = s.indexOf('<', i);
    for (;;) {
      const end = lt === -1 ? n : lt;
      if (end > i) {
        if (this.open.length > 0) this.text(i, end);
        else for (let k = i; k < end; k++) if (!isSpace(s.charCodeAt(k))) malformed(k);
      }
      if (lt === -1) break;
      const next = s.charCodeAt(lt + 1);
      let after: number;
      if (next === BANG) {
        after = this.markupDeclaration(lt);
      } else if (next === QUESTION) {
        after = this.instruction(lt);
      } else if (next === SLASH) {
        after = this.endTag(lt);
        closed = this.open.length === 0;
      } else {
        if (closed) malformed(lt);
        const tag = this.startTag(lt);
        if (tag < 0) {
          // An empty-element tag: the root may be all there is.
          after = -tag;
          closed = this.open.length === 0;
        } else {
          after = tag;
        }
        // startTag has found the next `<` already.
        i = after;
        lt = this.nextTag === n ? -1 : this.nextTag;
        continue;
      }
      i = after;
      lt = s.indexOf('<', i);
    }
    if (!closed) malformed(n);
    if (this.soft) return { ok: false, problem: this.soft, offset: this.softAt };
    return { ok: true, document: this.document };
  }

  private isNameCharAt(i: number): boolean {
    const c = this.s.charCodeAt(i);
    return c < 128 ? ASCII_NAME[c] !== 0 || c === COLON : wideNameChar(this.s, i, false) !== -1;
  }

  private note(problem: Soft, at: number): void {
    if (!this.soft) {
      this.soft = problem;
      this.softAt = at;
    }
  }

  /** `<!--` comment, or `<![CDATA[` section inside the root; anything else after `<!` is malformed. */
  private markupDeclaration(lt: number): number {
    const s = this.s;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4);
      // No `--` inside, and no `-` just before the end (§2.5): the first `--` must be the end's.
      if (end === -1 || s.indexOf('--', lt + 4) !== end) malformed(lt);
      return end + 3;
    }
    if (this.open.length > 0 && s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt + 9);
      if (end === -1) malformed(lt);
      this.append(this.hasReturn(lt + 9, end) ? lineEnds(s.slice(lt + 9, end)) : s.slice(lt + 9, end));
      return end + 3;
    }
    return malformed(lt);
  }

  /** A processing instruction, wherever it is. */
  private instruction(lt: number): number {
    const s = this.s;
    const targetEnd = ncNameEnd(s, lt + 2);
    if (targetEnd === -1) malformed(lt);
    const target = s.slice(lt + 2, targetEnd);
    // `xml` in any case is reserved (the declaration, only at the start); Namespaces forbid a colon in a target.
    if (RESERVED_TARGET.test(target)) malformed(lt);
    let k = targetEnd;
    let data = '';
    if (!s.startsWith('?>', k)) {
      if (!isSpace(s.charCodeAt(k))) malformed(k);
      while (isSpace(s.charCodeAt(k))) k++;
      const end = s.indexOf('?>', k);
      if (end === -1) malformed(lt);
      data = this.hasReturn(k, end) ? lineEnds(s.slice(k, end)) : s.slice(k, end);
      k = end;
    }
    const parent = this.open[this.open.length - 1];
    if (parent) {
      this.flush(parent);
      parent.childNodes.push(new ReadInstruction(target, data, parent));
    } else {
      this.document.childNodes.push(new ReadInstruction(target, data, this.document));
    }
    return k + 2;
  }

  /** Character data from `from` to `to` (a `<` or the end): references replaced, line ends normalised. */
  private text(from: number, to: number): void {
    const s = this.s;
    if (this.nextCdataEnd < from) this.nextCdataEnd = indexOrEnd(s, ']]>', from);
    // `]]>` may not occur in character data (§2.4).
    if (this.nextCdataEnd < to) malformed(this.nextCdataEnd);
    if (this.nextReference < from) this.nextReference = indexOrEnd(s, '&', from);
    if (this.nextReference < to) {
      this.append(this.decodeText(from, to));
    } else {
      this.append(this.hasReturn(from, to) ? lineEnds(s.slice(from, to)) : s.slice(from, to));
    }
  }

  private hasReturn(from: number, to: number): boolean {
    if (this.nextReturn < from) this.nextReturn = indexOrEnd(this.s, '\r', from);
    return this.nextReturn < to;
  }

  private decodeText(from: number, to: number): string {
    const s = this.s;
    let out = '';
    let run = from;
    let k = this.nextReference;
    for (; k < to; k = indexOrEnd(s, '&', run)) {
      out += this.hasReturn(run, k) ? lineEnds(s.slice(run, k)) : s.slice(run, k);
      run = this.reference(k);
      out += this.replacement;
    }
    this.nextReference = k;
    return out + (this.hasReturn(run, to) ? lineEnds(s.slice(run, to)) : s.slice(run, to));
  }

  /** Set by reference: what the reference stands for. */
  private replacement = '';

  /** The reference at `at` (its `&`): sets replacement and returns the offset past its `;`. */
  private reference(at: number): number {
    const s = this.s;
    if (s.charCodeAt(at + 1) === HASH) {
      const hex = s.charCodeAt(at + 2) === 120;
      let k = at + (hex ? 3 : 2);
      const digitsFrom = k;
      let code = 0;
      for (let c = s.charCodeAt(k); ; c = s.charCodeAt(++k)) {
        const digit = c >= 48 && c <= 57 ? c - 48 : hex && c >= 97 && c <= 102 ? c - 87 : hex && c >= 65 && c <= 70 ? c - 55 : -1;
        if (digit === -1) break;
        // Past the last code point it stays past it, however many digits follow.
        code = Math.min(code * (hex ? 16 : 10) + digit, 0x110000);
      }
      if (k === digitsFrom || s.charCodeAt(k) !== SEMICOLON) malformed(at);
      const legal = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
      if (!legal) this.note('character', at);
      this.replacement = legal ? String.fromCodePoint(code) : '';
      return k + 1;
    }
    const end = ncNameEnd(s, at + 1);
    if (end === -1 || s.charCodeAt(end) !== SEMICOLON) return malformed(at);
    // Without a DTD no other entity is declared (§4.1, WFC: Entity Declared).
    const replacement = PREDEFINED.get(s.slice(at + 1, end));
    if (replacement === undefined) return malformed(at);
    this.replacement = replacement;
    return end + 1;
  }

  private append(data: string): void {
    this.pending = this.pending === '' ? data : this.pending + data;
  }

  private flush(parent: ReadElement): void {
    if (this.pending !== '') {
      parent.childNodes.push(new ReadText(this.pending, parent));
      this.pending = '';
    }
  }

  /**
   * A start tag at `lt`: the offset past it, negated for an empty-element tag. Attributes are read first, then the
   * element's namespace declarations bound, then its name and its attributes' names resolved with them.
   */
  private startTag(lt: number): number {
    const s = this.s;
    const parent = this.open[this.open.length - 1];
    let k = qnameEnd(s, lt + 1);
    const name = lastName;
    if (this.open.length + 1 > this.maxDepth) this.note('too-deep', lt);
    if (parent) this.flush(parent);
    const element = new ReadElement(name.qname, name.prefix, name.local, parent ?? this.document, lt);
    // A `<` before the tag's end can only be in an attribute value, where §3.1 forbids it.
    const nextTag = indexOrEnd(s, '<', lt + 1);
    this.nextTag = nextTag;
    let declarations = 0;
    let empty = false;
    for (;;) {
      const gap = k;
      while (isSpace(s.charCodeAt(k))) k++;
      const c = s.charCodeAt(k);
      if (c === GT) {
        k++;
        break;
      }
      if (c === SLASH) {
        if (s.charCodeAt(k + 1) !== GT) malformed(k);
        empty = true;
        k += 2;
        break;
      }
      if (k === gap) malformed(k);
      k = qnameEnd(s, k);
      const attributeName = lastName;
      while (isSpace(s.charCodeAt(k))) k++;
      if (s.charCodeAt(k) !== EQUALS) malformed(k);
      k++;
      while (isSpace(s.charCodeAt(k))) k++;
      const quote = s.charCodeAt(k);
      if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) malformed(k);
      const close = s.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", k + 1);
      if (close === -1 || close > nextTag) malformed(k);
      const attribute = this.attribute(attributeName, k + 1, close);
      element.attributes.push(attribute);
      if (attribute.prefix === 'xmlns' || (attribute.prefix === null && attribute.localName === 'xmlns')) {
        this.bind(attribute, k);
        declarations++;
      }
      k = close + 1;
    }
    this.bound.push(declarations);
    element.namespaceURI = this.resolve(name.prefix, lt);
    for (const a of element.attributes) {
      if (a.prefix === 'xmlns' || (a.prefix === null && a.localName === 'xmlns')) a.namespaceURI = XMLNS_NS;
      else if (a.prefix !== null) a.namespaceURI = this.resolve(a.prefix, lt);
    }
    if (element.attributes.length > 1) unique(element.attributes, lt);
    (parent ?? this.document).childNodes.push(element);
    if (empty) {
      this.unbind();
      return -k;
    }
    this.open.push(element);
    return k;
  }

  private attribute(name: QName, from: number, to: number): ReadAttr {
    const s = this.s;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (c === AMPERSAND || c === 9 || c === 10 || c === 13) return this.normalizedAttribute(name, from, to);
    }
    return new ReadAttr(name.qname, name.prefix, name.local, s.slice(from, to), undefined);
  }

  /** Attribute-value normalisation (§3.3.3): references replaced, each white space character (CR LF as one) a space. */
  private normalizedAttribute(name: QName, from: number, to: number): ReadAttr {
    const s = this.s;
    let value = '';
    let unnormalized = '';
    let differs = false;
    let run = from;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (c === AMPERSAND) {
        const piece = s.slice(run, k);
        run = this.reference(k);
        value += piece + this.replacement;
        unnormalized += piece + this.replacement;
        k = run - 1;
      } else if (c === 9 || c === 10 || c === 13) {
        const piece = s.slice(run, k);
        value += `${piece} `;
        unnormalized += piece + (c === 9 ? '\t' : '\n');
        differs = true;
        if (c === 13 && s.charCodeAt(k + 1) === 10) k++;
        run = k + 1;
      }
    }
    const rest = s.slice(run, to);
    return new ReadAttr(name.qname, name.prefix, name.local, value + rest, differs ? unnormalized + rest : undefined);
  }

  /** Binds a namespace declaration's prefix; a declaration Namespaces in XML 1.0 forbids (§3) is noted. */
  private bind(declaration: ReadAttr, at: number): void {
    const prefix = declaration.prefix === null ? '' : declaration.localName;
    const uri = declaration.value;
    const forbidden = prefix === 'xmlns' || (prefix === 'xml') !== (uri === XML_NS) || uri === XMLNS_NS || (prefix !== '' && uri === '');
    if (forbidden) this.note('namespace', at);
    const uris = this.scope.get(prefix);
    if (uris) uris.push(uri);
    else this.scope.set(prefix, [uri]);
    this.boundPrefixes.push(prefix);
  }

  private unbind(): void {
    for (let d = this.bound.pop() ?? 0; d > 0; d--) this.scope.get(this.boundPrefixes.pop()!)!.pop();
  }

  /** The namespace URI of a prefix in scope (null for none); a prefix nobody declared, or xmlns, is malformed. */
  private resolve(prefix: string | null, at: number): string | null {
    if (prefix === 'xml') return XML_NS;
    if (prefix === 'xmlns') return malformed(at);
    const uris = this.scope.get(prefix ?? '');
    const uri = uris?.[uris.length - 1];
    if (uri !== undefined && uri !== '') return uri;
    return prefix === null ? null : malformed(at);
  }

  /** An end tag at `lt`, which must close the innermost open element by the name it was opened with. */
  private endTag(lt: number): number {
    const s = this.s;
    const element = this.open[this.open.length - 1];
    if (!element || !s.startsWith(element.tagName, lt + 2)) return malformed(lt);
    let k = lt + 2 + element.tagName.length;
    const c = s.charCodeAt(k);
    if (c !== GT && !isSpace(c)) malformed(k);
    while (isSpace(s.charCodeAt(k))) k++;
    if (s.charCodeAt(k) !== GT) malformed(k);
    this.flush(element);
    this.open.pop();
    this.unbind();
    return k + 1;
  }
}

/**
 * No attribute twice in a start tag, by its name as written (§3.1) or by its namespace and local name (Namespaces
 * §6.3). A tag has a few attributes, compared pairwise; a hostile one with thousands is checked through sets, so
 * its cost stays linear.
 */
function unique(attributes: readonly ReadAttr[], at: number): void {
  if (attributes.length <= 8) {
    for (let i = 1; i < attributes.length; i++) {
      const a = attributes[i]!;
      for (let j = 0; j < i; j++) {
        const b = attributes[j]!;
        if (a.name === b.name || (a.prefix !== null && b.prefix !== null && a.localName === b.localName && a.namespaceURI === b.namespaceURI)) malformed(at);
      }
    }
    return;
  }
  const names = new Set<string>();
  const expanded = new Set<string>();
  for (const a of attributes) {
    if (names.has(a.name)) malformed(at);
    names.add(a.name);
    if (a.prefix === null) continue;
    const key = `${a.namespaceURI} ${a.localName}`;
    if (expanded.has(key)) malformed(at);
    expanded.add(key);
  }
}

function indexOrEnd(s: string, what: string, from: number): number {
  const at = s.indexOf(what, from);
  return at === -1 ? s.length : at;
}
