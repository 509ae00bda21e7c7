export { DEFAULT_XML_LIMITS, readXml, type XmlElement, type XmlLimits, type XmlRead } from './read.js';
export { at, childNamed, childrenNamed, descendantsNamed, pathOf, qnameValue } from './navigate.js';
export { NS } from './namespaces.js';
export { escapeXmlAttribute, escapeXmlText, nodeOfElement, serializeElement, writeXml, type WriteOptions, type XmlNode } from './serialize.js';
