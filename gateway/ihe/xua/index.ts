export { verifyXua } from './verify-xua.js';
export type {
  CertificateInfo, CodedValue, VerifiedAssertion, VerifiedSignature, XuaAttributes, XuaFault, XuaFaultSubcode, XuaPolicy, XuaResult,
} from './types.js';
