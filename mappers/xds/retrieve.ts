import { childNamed, childrenNamed, NS, type XmlElement } from '../xml/index.js';
import { bareOid, urnOid } from './ids.js';
import { registryError, registryErrorList, RESPONSE_STATUS, responseStatus, type RegistryError } from './registry-error.js';
import { element, inlineElement, replaceNonXml, serialize, textElement, type XmlNode } from './xml-writer.js';

/**
 * ITI-39 Cross Gateway Retrieve (ihe-xca-xcpd.md §3): `xdsb:RetrieveDocumentSetRequest` → the documents asked
 * for, and the documents found → `xdsb:RetrieveDocumentSetResponse`. The SOAP/MTOM packaging is the gateway's;
 * here a document's content is either inline bytes or the Content-ID of the MIME part that carries it.
 */
export interface DocumentRequest {
  /** Bare OID. */
  readonly homeCommunityId: string;
  /** Bare OID. */
  readonly repositoryUniqueId: string;
  readonly documentUniqueId: string;
}

export type RetrieveRequestParse = { readonly ok: true; readonly requests: DocumentRequest[] } | { readonly ok: false; readonly errors: RegistryError[] };

/**
 * Initiators batch one to nine documents per call (§8); a hundred leaves room for any of them while bounding the
 * work and the size of one response.
 */
export const DEFAULT_MAX_DOCUMENT_REQUESTS = 100;

export interface RetrieveRequestOptions {
  readonly maxRequests?: number;
}

/**
 * Any DocumentRequest without a HomeCommunityId fails the whole request with no documents (NIST
 * `tests/12312/missing_home`); so does one without a repository or document id, which cannot be answered either.
 */
export function parseRetrieveDocumentSetRequest(el: XmlElement, options: RetrieveRequestOptions = {}): RetrieveRequestParse {
  if (el.ns !== NS.xdsb || el.name !== 'RetrieveDocumentSetRequest') {
    return { ok: false, errors: [registryError('XDSRepositoryError', 'the request is not an xdsb:RetrieveDocumentSetRequest')] };
  }
  const items = childrenNamed(el, NS.xdsb, 'DocumentRequest');
  if (items.length === 0) return { ok: false, errors: [registryError('XDSRepositoryError', 'the request has no DocumentRequest')] };
  const max = options.maxRequests ?? DEFAULT_MAX_DOCUMENT_REQUESTS;
  if (items.length > max) {
    return { ok: false, errors: [registryError('XDSTooManyResults', `the request asks for ${items.length} documents; at most ${max} are served per request`)] };
  }
  const errors: RegistryError[] = [];
  const requests = items.map((item, index): DocumentRequest => {
    const value = (name: string) => bareOid(childNamed(item, NS.xdsb, name)?.text ?? '');
    const request = { homeCommunityId: value('HomeCommunityId'), repositoryUniqueId: value('RepositoryUniqueId'), documentUniqueId: value('DocumentUniqueId') };
    const which = `DocumentRequest ${index + 1}`;
    if (request.homeCommunityId === '') errors.push(registryError('XDSMissingHomeCommunityId', `${which} has no HomeCommunityId`));
    if (request.repositoryUniqueId === '') errors.push(registryError('XDSRepositoryError', `${which} has no RepositoryUniqueId`));
    if (request.documentUniqueId === '') errors.push(registryError('XDSRepositoryError', `${which} has no DocumentUniqueId`));
    return request;
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, requests };
}

/**
 * Whether one request is for us: another community → XDSUnknownCommunity naming that community and the document
 * (so a retrieve of several says which request), another repository → XDSUnknownRepositoryId with the repository id. Whether we hold the document is the gateway's
 * question (XDSDocumentUniqueIdError).
 */
export function checkDocumentRequest(
  request: DocumentRequest, ours: { readonly homeCommunityId: string; readonly repositoryUniqueId: string },
): RegistryError | undefined {
  if (bareOid(request.homeCommunityId) !== bareOid(ours.homeCommunityId)) {
    return registryError('XDSUnknownCommunity', `unknown home community ${bareOid(request.homeCommunityId)} (document ${request.documentUniqueId})`);
  }
  if (bareOid(request.repositoryUniqueId) !== bareOid(ours.repositoryUniqueId)) return registryError('XDSUnknownRepositoryId', request.repositoryUniqueId);
  return undefined;
}

export interface RetrievedDocument {
  readonly homeCommunityId: string;
  readonly repositoryUniqueId: string;
  readonly documentUniqueId: string;
  readonly mimeType: string;
  /** For an on-demand entry: where the content made now is kept, and its uniqueId (ihe-xca-xcpd.md §3). */
  readonly newRepositoryUniqueId?: string;
  readonly newDocumentUniqueId?: string;
  /** The Content-ID of the MIME part holding the bytes (without angle brackets), or the bytes themselves. */
  readonly content: { readonly xopCid: string } | { readonly inline: Uint8Array };
}

export interface RetrieveResponseInput {
  readonly errors: readonly RegistryError[];
  readonly documents: readonly RetrievedDocument[];
}

export function renderRetrieveDocumentSetResponse(input: RetrieveResponseInput): string {
  const status = responseStatus(input.errors, input.documents.length > 0);
  const root = element('xdsb:RetrieveDocumentSetResponse', {}, [
    element('rs:RegistryResponse', { status: RESPONSE_STATUS[status] }, [registryErrorList(input.errors)]),
    ...input.documents.map(documentResponse),
  ]);
  const usesXop = input.documents.some((d) => 'xopCid' in d.content);
  return serialize(root, { xdsb: NS.xdsb, rs: NS.rs, ...(usesXop ? { xop: NS.xop } : {}) });
}

function documentResponse(d: RetrievedDocument): XmlNode {
  return element('xdsb:DocumentResponse', {}, [
    textElement('xdsb:HomeCommunityId', urnOid(d.homeCommunityId)),
    textElement('xdsb:RepositoryUniqueId', bareOid(d.repositoryUniqueId)),
    textElement('xdsb:DocumentUniqueId', d.documentUniqueId),
    d.newRepositoryUniqueId === undefined ? undefined : textElement('xdsb:NewRepositoryUniqueId', bareOid(d.newRepositoryUniqueId)),
    d.newDocumentUniqueId === undefined ? undefined : textElement('xdsb:NewDocumentUniqueId', d.newDocumentUniqueId),
    textElement('xdsb:mimeType', d.mimeType),
    'xopCid' in d.content
      ? inlineElement('xdsb:Document', {}, [element('xop:Include', { href: cidUrl(d.content.xopCid) })])
      : textElement('xdsb:Document', Buffer.from(d.content.inline).toString('base64')),
  ]);
}

/**
 * A `cid:` URL (RFC 2392) for a Content-ID: angle brackets and a `cid:` the caller may have left on are dropped,
 * and only what a URL cannot hold is %-escaped, because some receivers compare the rest to the MIME header as is.
 */
function cidUrl(contentId: string): string {
  const bare = contentId.trim().replace(/^<|>$/g, '').replace(/^cid:/i, '');
  return `cid:${encodeURI(replaceNonXml(bare)).replace(/#/g, '%23')}`;
}
