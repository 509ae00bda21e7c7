export { verifyXua } from './verify-xua.js';
export { canonicalize, type CanonicalizeOptions } from './canonicalize.js';
export { ATTRIBUTE_NAMES } from './read-attributes.js';
export type { CertificateInfo, CodedValue, VerifiedAssertion, VerifiedSignature, XuaFault, XuaFaultSubcode, XuaPolicy, XuaResult } from './types.js';
