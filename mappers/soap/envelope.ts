import { childNamed, type XmlElement } from '../xml/index.js';
import { NS } from '../xml/namespaces.js';
import { escapeText } from './escape.js';
import { SUBCODES, type SoapFault } from './fault.js';

/** WS-Addressing 1.0 headers of a request (ihe-xca-xcpd.md §1). */
export interface Addressing {
  readonly action: string;
  readonly messageId: string;
  readonly to?: string;
  readonly replyTo?: string;
}

export interface SoapRequest {
  readonly addressing: Addressing;
  /** The one element in the Body: the transaction's request. */
  readonly body: XmlElement;
  /** wsse:Security, when the header carries one. */
  readonly security?: XmlElement;
}

export type SoapRead = { readonly ok: true; readonly request: SoapRequest } | { readonly ok: false; readonly fault: SoapFault; readonly messageId?: string };

/** The header blocks this gateway processes; any other marked mustUnderstand is refused (SOAP 1.2 Part 1 §5.2.3). */
const UNDERSTOOD: ReadonlySet<string> = new Set([NS.wsa, NS.wsse]);
const TRUE = new Set(['1', 'true']);
const ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

/**
 * Checks a request envelope: SOAP 1.2 (a 1.1 envelope gets VersionMismatch), one element in the Body, the
 * WS-Addressing Action and MessageID present, a ReplyTo that is anonymous (the transactions are synchronous), no
 * header we must understand but do not.
 */
export function readSoapEnvelope(root: XmlElement): SoapRead {
  if (root.name !== 'Envelope' || (root.ns !== NS.soap12 && root.ns !== NS.soap11)) {
    return refuse('Sender', 'the message is not a SOAP envelope');
  }
  if (root.ns === NS.soap11) return refuse('VersionMismatch', 'SOAP 1.2 is required (http://www.w3.org/2003/05/soap-envelope)');
  const header = childNamed(root, NS.soap12, 'Header');
  const bodies = root.children.filter((c) => c.ns === NS.soap12 && c.name === 'Body');
  const strangers = root.children.filter((c) => c.ns !== NS.soap12 || (c.name !== 'Header' && c.name !== 'Body'));
  if (bodies.length !== 1 || strangers.length > 0 || (header && root.children.indexOf(header) !== 0)) {
    return refuse('Sender', 'the envelope must hold an optional Header followed by exactly one Body');
  }
  const content = bodies[0]!.children;
  if (content.length !== 1) return refuse('Sender', 'the Body must hold exactly one element');

  const blocks = header?.children ?? [];
  const text = (name: string): string | undefined => {
    const found = blocks.filter((b) => b.ns === NS.wsa && b.name === name);
    return found.length === 1 ? found[0]!.text : undefined;
  };
  const messageId = text('MessageID');
  for (const block of blocks) {
    if (TRUE.has(block.attributes.mustUnderstand ?? '') && !UNDERSTOOD.has(block.ns)) {
      return refuse('MustUnderstand', `the header block ${block.name} is not understood here`, undefined, messageId);
    }
  }
  for (const name of ['Action', 'MessageID', 'To']) {
    if (blocks.filter((b) => b.ns === NS.wsa && b.name === name).length > 1) {
      return refuse('Sender', `wsa:${name} appears more than once`, SUBCODES.invalidHeader, messageId);
    }
  }
  const action = text('Action');
  if (!action) return refuse('Sender', 'the WS-Addressing header wsa:Action is required', SUBCODES.headerRequired, messageId);
  if (!messageId) return refuse('Sender', 'the WS-Addressing header wsa:MessageID is required', SUBCODES.headerRequired);
  const replyToBlock = blocks.find((b) => b.ns === NS.wsa && b.name === 'ReplyTo');
  const replyTo = replyToBlock ? childNamed(replyToBlock, NS.wsa, 'Address')?.text : undefined;
  if (replyTo !== undefined && replyTo !== ANONYMOUS) {
    return refuse('Sender', 'only synchronous exchanges are served: wsa:ReplyTo must be the anonymous address', SUBCODES.invalidHeader, messageId);
  }
  const security = blocks.find((b) => b.ns === NS.wsse && b.name === 'Security');
  const to = text('To');
  return {
    ok: true,
    request: {
      addressing: { action, messageId, ...(to ? { to } : {}), ...(replyTo ? { replyTo } : {}) },
      body: content[0]!,
      ...(security ? { security } : {}),
    },
  };
}

function refuse(code: SoapFault['code'], reason: string, subcode?: SoapFault['subcode'], messageId?: string): SoapRead {
  return { ok: false, fault: { code, reason, ...(subcode ? { subcode } : {}) }, ...(messageId ? { messageId } : {}) };
}

/**
 * A response envelope: the response Action, a fresh MessageID, and RelatesTo carrying the request's MessageID
 * verbatim (initiators correlate on the exact string; ihe-xca-xcpd.md §1). `body` is well-formed XML from a mapper.
 */
export function renderSoapResponse(input: { readonly action: string; readonly messageId: string; readonly relatesTo: string; readonly body: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>`
    + `<env:Envelope xmlns:env="${NS.soap12}" xmlns:wsa="${NS.wsa}">`
    + '<env:Header>'
    + `<wsa:Action env:mustUnderstand="1">${escapeText(input.action)}</wsa:Action>`
    + `<wsa:MessageID>${escapeText(input.messageId)}</wsa:MessageID>`
    + `<wsa:RelatesTo>${escapeText(input.relatesTo)}</wsa:RelatesTo>`
    + '</env:Header>'
    + `<env:Body>${input.body}</env:Body>`
    + '</env:Envelope>';
}
