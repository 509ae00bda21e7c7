export { DEFAULT_XML_LIMITS, readXml, type XmlElement, type XmlLimits, type XmlRead } from './read.js';
export { parseXmlDocument, type XmlProblem } from './parse.js';
export {
  CDATA_SECTION_NODE, ELEMENT_NODE, PROCESSING_INSTRUCTION_NODE, TEXT_NODE, XMLNS_NS,
  type DomAttr, type DomCharacterData, type DomElement, type DomNode, type DomProcessingInstruction, type XmlDocument,
} from './dom.js';
export { at, childNamed, childrenNamed, descendantsNamed, pathOf, qnameValue } from './navigate.js';
export { NS } from './namespaces.js';
export { escapeXmlAttribute, escapeXmlText, nodeOfElement, serializeElement, writeXml, type WriteOptions, type XmlNode } from './serialize.js';
