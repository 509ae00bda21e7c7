import { NS } from '../xml/namespaces.js';
import { escapeText } from './escape.js';

/**
 * A SOAP 1.2 fault (W3C SOAP 1.2 Part 1 §5.4). Sender faults are the caller's to fix (HTTP 400), the others
 * ours (500): SOAP 1.2 Part 2 §7.5.2. Reasons name what failed, never patient data.
 */
export interface SoapFault {
  readonly code: 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';
  /** A qualified subcode such as wsse:InvalidSecurity or wsa:ActionNotSupported. */
  readonly subcode?: FaultSubcode;
  readonly reason: string;
}

export interface FaultSubcode {
  readonly ns: string;
  readonly prefix: string;
  readonly name: string;
}

export const SUBCODES = {
  invalidSecurity: { ns: NS.wsse, prefix: 'wsse', name: 'InvalidSecurity' },
  failedCheck: { ns: NS.wsse, prefix: 'wsse', name: 'FailedCheck' },
  failedAuthentication: { ns: NS.wsse, prefix: 'wsse', name: 'FailedAuthentication' },
  messageExpired: { ns: NS.wsse, prefix: 'wsse', name: 'MessageExpired' },
  invalidSecurityToken: { ns: NS.wsse, prefix: 'wsse', name: 'InvalidSecurityToken' },
  actionNotSupported: { ns: NS.wsa, prefix: 'wsa', name: 'ActionNotSupported' },
  headerRequired: { ns: NS.wsa, prefix: 'wsa', name: 'MessageAddressingHeaderRequired' },
  invalidHeader: { ns: NS.wsa, prefix: 'wsa', name: 'InvalidAddressingHeader' },
} as const satisfies Record<string, FaultSubcode>;

export const FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';

export function faultStatus(fault: SoapFault): 400 | 500 {
  return fault.code === 'Sender' ? 400 : 500;
}

/** SOAP 1.2's media type, or SOAP 1.1's for the VersionMismatch written in its form. */
export function faultMediaType(fault: SoapFault): string {
  return fault.code === 'VersionMismatch' ? 'text/xml; charset=UTF-8' : 'application/soap+xml; charset=UTF-8';
}

/**
 * The fault as a whole envelope, related to the request's MessageID when one could be read. A VersionMismatch
 * answers a SOAP 1.1 request, so it is written as SOAP 1.1 understands it, with the Upgrade header naming the
 * envelope we take (SOAP 1.2 Part 1 §5.4.7 and Appendix A); send it as `faultMediaType` says.
 */
export function renderFault(fault: SoapFault, addressing: { readonly messageId: string; readonly relatesTo?: string }): string {
  if (fault.code === 'VersionMismatch') {
    return `<?xml version="1.0" encoding="UTF-8"?>`
      + `<env:Envelope xmlns:env="${NS.soap11}">`
      + `<env:Header><upg:Upgrade xmlns:upg="${NS.soap12}"><upg:SupportedEnvelope qname="ns1:Envelope" xmlns:ns1="${NS.soap12}"/></upg:Upgrade></env:Header>`
      + `<env:Body><env:Fault><faultcode>env:VersionMismatch</faultcode><faultstring xml:lang="en">${escapeText(fault.reason)}</faultstring></env:Fault></env:Body>`
      + '</env:Envelope>';
  }
  const subcode = fault.subcode
    ? `<env:Subcode><env:Value xmlns:${fault.subcode.prefix}="${fault.subcode.ns}">${fault.subcode.prefix}:${fault.subcode.name}</env:Value></env:Subcode>`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>`
    + `<env:Envelope xmlns:env="${NS.soap12}" xmlns:wsa="${NS.wsa}">`
    + '<env:Header>'
    + `<wsa:Action env:mustUnderstand="1">${FAULT_ACTION}</wsa:Action>`
    + `<wsa:MessageID>${escapeText(addressing.messageId)}</wsa:MessageID>`
    + (addressing.relatesTo ? `<wsa:RelatesTo>${escapeText(addressing.relatesTo)}</wsa:RelatesTo>` : '')
    + '</env:Header>'
    + `<env:Body><env:Fault><env:Code><env:Value>env:${fault.code}</env:Value>${subcode}</env:Code>`
    + `<env:Reason><env:Text xml:lang="en">${escapeText(fault.reason)}</env:Text></env:Reason></env:Fault></env:Body>`
    + '</env:Envelope>';
}
