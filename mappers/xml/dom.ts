/**
 * A read-only DOM of a document parsed by parseXmlDocument, for code that needs XML as XML 1.0 and Namespaces in
 * XML 1.0 define it rather than the SOAP mappers' element tree: the XML signature checks (exclusive
 * canonicalization wants namespace URIs and prefixes, namespace declarations in document order, attribute values
 * after attribute-value normalisation, text after line-end normalisation and reference replacement).
 *
 * The interfaces are the few reads of DOM Level 2 Core such code makes, under the names the DOM gives them, so it
 * runs on any DOM: @xmldom/xmldom's nodes satisfy them as well (tests build documents with it). Namespace
 * declarations are attributes in the namespace http://www.w3.org/2000/xmlns/, as in the DOM; a name without a
 * prefix or namespace has null for it.
 *
 * What a parse keeps: elements, text, and processing instructions. Character data, CDATA sections and references
 * between two other nodes make one text node, as canonicalization sees them. Comments are not kept:
 * canonicalization without comments, the only kind the signature checks take, leaves them out and nothing else
 * reads them. White space outside the root element is not kept either.
 */
export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const DOCUMENT_NODE = 9;

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface DomNodeList<T> {
  readonly length: number;
  readonly [index: number]: T;
}

export interface DomNode {
  readonly nodeType: number;
  readonly parentNode: DomNode | null;
  readonly childNodes: DomNodeList<DomNode>;
}

export interface DomAttr {
  /** As written, prefix included. */
  readonly name: string;
  readonly value: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
}

export interface DomElement extends DomNode {
  /** As written, prefix included. */
  readonly tagName: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  /** In document order, namespace declarations included. */
  readonly attributes: DomNodeList<DomAttr>;
  /** The value of the attribute with this name as written; null when there is none. */
  getAttribute(name: string): string | null;
  getAttributeNode(name: string): DomAttr | null;
}

/** A text node (CDATA sections included) or a processing instruction's data. */
export interface DomCharacterData extends DomNode {
  readonly data: string;
}

export interface DomProcessingInstruction extends DomCharacterData {
  readonly target: string;
}

/** A parsed document: its root element, and the text it was parsed from. */
export interface XmlDocument extends DomNode {
  readonly documentElement: DomElement;
  readonly text: string;
}

const NO_CHILDREN: readonly never[] = [];

export class ReadDocument implements XmlDocument {
  readonly nodeType = DOCUMENT_NODE;
  readonly parentNode = null;
  /** The root element, with the processing instructions before and after it. */
  readonly childNodes: (ReadElement | ReadInstruction)[] = [];

  constructor(readonly text: string) {}

  get documentElement(): ReadElement {
    return this.childNodes.find((n) => n.nodeType === ELEMENT_NODE) as ReadElement;
  }
}

export class ReadElement implements DomElement {
  readonly nodeType = ELEMENT_NODE;
  /** Set once the start tag's namespace declarations have been read. */
  namespaceURI: string | null = null;
  readonly attributes: ReadAttr[] = [];
  readonly childNodes: (ReadElement | ReadText | ReadInstruction)[] = [];

  constructor(
    readonly tagName: string,
    readonly prefix: string | null,
    readonly localName: string,
    readonly parentNode: ReadElement | ReadDocument,
    /** Offset of its `<` in the text, for line numbers. */
    readonly start: number,
  ) {}

  getAttribute(name: string): string | null {
    return this.getAttributeNode(name)?.value ?? null;
  }

  getAttributeNode(name: string): ReadAttr | null {
    for (const a of this.attributes) if (a.name === name) return a;
    return null;
  }
}

export class ReadAttr implements DomAttr {
  /** Set once the start tag's namespace declarations have been read. */
  namespaceURI: string | null = null;

  constructor(
    readonly name: string,
    readonly prefix: string | null,
    readonly localName: string,
    readonly value: string,
    /**
     * The value before attribute-value normalisation (tab, line feed and carriage return kept as line feeds and tabs,
     * not turned into spaces), when that differs: the SOAP mappers' element tree has always given attribute values
     * so. Undefined when it is the value.
     */
    readonly unnormalizedValue: string | undefined,
  ) {}
}

export class ReadText implements DomCharacterData {
  readonly nodeType = TEXT_NODE;
  readonly childNodes = NO_CHILDREN;

  constructor(readonly data: string, readonly parentNode: ReadElement) {}
}

export class ReadInstruction implements DomProcessingInstruction {
  readonly nodeType = PROCESSING_INSTRUCTION_NODE;
  readonly childNodes = NO_CHILDREN;

  constructor(readonly target: string, readonly data: string, readonly parentNode: ReadElement | ReadDocument) {}
}
