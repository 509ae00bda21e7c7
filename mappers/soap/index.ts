export { readSoapEnvelope, renderSoapResponse, type Addressing, type SoapRead, type SoapRequest } from './envelope.js';
export { escapeAttribute, escapeText } from './escape.js';
export { FAULT_ACTION, faultMediaType, faultStatus, renderFault, SUBCODES, type FaultSubcode, type SoapFault } from './fault.js';
export { parseMediaType, readSoapHttpBody, type BodyRead } from './http-body.js';
export { buildMtom, type MtomPart } from './mtom.js';
