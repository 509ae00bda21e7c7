import { describe, expect, it } from '@jest/globals';
import { FIXTURE_COMMUNITY, xcaGolden, xcaSample } from '../../fixtures/ihe/xca/fixtures.js';
import { childNamed, childrenNamed, NS, readXml, type XmlElement } from '../xml/index.js';
import { registryError, RESPONSE_STATUS } from './registry-error.js';
import {
  checkDocumentRequest,
  DEFAULT_MAX_DOCUMENT_REQUESTS,
  parseRetrieveDocumentSetRequest,
  renderRetrieveDocumentSetResponse,
  type RetrievedDocument,
  type RetrieveRequestParse,
  type RetrieveResponseInput,
} from './retrieve.js';

function root(xml: string): XmlElement {
  const read = readXml(xml);
  if (!read.ok) throw new Error(`not well-formed: ${JSON.stringify(read.issues)}\n${xml}`);
  return read.root;
}
const body = (name: string) => childNamed(root(xcaSample(name)), NS.soap12, 'Body')!.children[0]!;
const errorsOf = (result: RetrieveRequestParse) => (result.ok ? [] : result.errors.map((e) => [e.errorCode, e.codeContext]));

const documentRequest = (home: string | undefined, repository = '2.999.1.2', document = '2.999.1.4.1') =>
  `<x:DocumentRequest>${home === undefined ? '' : `<x:HomeCommunityId>${home}</x:HomeCommunityId>`}<x:RepositoryUniqueId>${repository}</x:RepositoryUniqueId><x:DocumentUniqueId>${document}</x:DocumentUniqueId></x:DocumentRequest>`;
const retrieveRequest = (...requests: string[]) => root(`<x:RetrieveDocumentSetRequest xmlns:x="${NS.xdsb}">${requests.join('')}</x:RetrieveDocumentSetRequest>`);

describe('parseRetrieveDocumentSetRequest', () => {
  it('reads every DocumentRequest, whatever the prefix, with urn:oid: taken off, ids kept as strings', () => {
    expect(parseRetrieveDocumentSetRequest(body('retrieve-several.xml'))).toEqual({
      ok: true,
      requests: [
        { homeCommunityId: '2.999.1.1', repositoryUniqueId: '2.999.1.2', documentUniqueId: '2.999.1.4.1001' },
        { homeCommunityId: '2.999.1.1', repositoryUniqueId: '2.999.1.2', documentUniqueId: '2.999.1.4.1002^20240101' },
        { homeCommunityId: '2.999.1.1', repositoryUniqueId: '2.999.1.2', documentUniqueId: '0012345678' },
        { homeCommunityId: '2.999.3.1', repositoryUniqueId: '2.999.1.2', documentUniqueId: '2.999.3.4.77' },
      ],
    });
  });

  it('fails the whole request when one DocumentRequest has no HomeCommunityId', () => {
    expect(errorsOf(parseRetrieveDocumentSetRequest(body('retrieve-missing-home.xml')))).toEqual([['XDSMissingHomeCommunityId', 'DocumentRequest 2 has no HomeCommunityId']]);
    expect(errorsOf(parseRetrieveDocumentSetRequest(retrieveRequest(documentRequest('urn:oid:')))).map((e) => e[0])).toEqual(['XDSMissingHomeCommunityId']);
  });

  it('refuses a request without repository or document id, without DocumentRequests, or of another kind', () => {
    expect(errorsOf(parseRetrieveDocumentSetRequest(retrieveRequest(documentRequest('2.999.1.1', ' ', ''))))).toEqual([
      ['XDSRepositoryError', 'DocumentRequest 1 has no RepositoryUniqueId'],
      ['XDSRepositoryError', 'DocumentRequest 1 has no DocumentUniqueId'],
    ]);
    expect(errorsOf(parseRetrieveDocumentSetRequest(retrieveRequest()))).toEqual([['XDSRepositoryError', 'the request has no DocumentRequest']]);
    expect(errorsOf(parseRetrieveDocumentSetRequest(root(`<q:AdhocQueryRequest xmlns:q="${NS.query}"/>`)))).toEqual([
      ['XDSRepositoryError', 'the request is not an xdsb:RetrieveDocumentSetRequest'],
    ]);
    // DocumentRequests outside the xds-b namespace are not DocumentRequests.
    expect(errorsOf(parseRetrieveDocumentSetRequest(root(`<x:RetrieveDocumentSetRequest xmlns:x="${NS.xdsb}"><DocumentRequest/></x:RetrieveDocumentSetRequest>`)))).toEqual([
      ['XDSRepositoryError', 'the request has no DocumentRequest'],
    ]);
  });

  it(`serves ${DEFAULT_MAX_DOCUMENT_REQUESTS} DocumentRequests in one call and refuses more, or more than the limit given`, () => {
    const many = (n: number) => retrieveRequest(...Array.from({ length: n }, (_, i) => documentRequest('2.999.1.1', '2.999.1.2', `2.999.1.4.${i}`)));
    const accepted = parseRetrieveDocumentSetRequest(many(DEFAULT_MAX_DOCUMENT_REQUESTS));
    expect(accepted.ok && accepted.requests.length).toBe(DEFAULT_MAX_DOCUMENT_REQUESTS);
    expect(errorsOf(parseRetrieveDocumentSetRequest(many(DEFAULT_MAX_DOCUMENT_REQUESTS + 1)))).toEqual([
      ['XDSTooManyResults', 'the request asks for 101 documents; at most 100 are served per request'],
    ]);
    expect(errorsOf(parseRetrieveDocumentSetRequest(many(3), { maxRequests: 2 }))).toEqual([['XDSTooManyResults', 'the request asks for 3 documents; at most 2 are served per request']]);
  });
});

describe('checkDocumentRequest', () => {
  const ours = { homeCommunityId: FIXTURE_COMMUNITY.homeCommunityId, repositoryUniqueId: `urn:oid:${FIXTURE_COMMUNITY.repositoryUniqueId}` };

  it('accepts our community and repository in either spelling', () => {
    expect(checkDocumentRequest({ homeCommunityId: 'urn:oid:2.999.1.1', repositoryUniqueId: '2.999.1.2', documentUniqueId: '2.999.1.4.1' }, ours)).toBeUndefined();
  });

  it('names the community and the document for another community, the repository for another repository', () => {
    expect(checkDocumentRequest({ homeCommunityId: 'urn:oid:2.999.3.1', repositoryUniqueId: '2.999.3.2', documentUniqueId: '2.999.3.4.77' }, ours)).toEqual(
      registryError('XDSUnknownCommunity', 'unknown home community 2.999.3.1 (document 2.999.3.4.77)'),
    );
    expect(checkDocumentRequest({ homeCommunityId: '2.999.1.1', repositoryUniqueId: '2.999.3.2', documentUniqueId: '2.999.1.4.1' }, ours)).toEqual(
      registryError('XDSUnknownRepositoryId', '2.999.3.2'),
    );
  });
});

const PDF = new TextEncoder().encode('%PDF-1.4 test document\n');
const stable: RetrievedDocument = { homeCommunityId: '2.999.1.1', repositoryUniqueId: 'urn:oid:2.999.1.2', documentUniqueId: '2.999.1.4.1001', mimeType: 'text/xml', content: { xopCid: '<doc1@crossgate.example>' } };
const onDemand: RetrievedDocument = {
  homeCommunityId: 'urn:oid:2.999.1.1',
  repositoryUniqueId: '2.999.1.2',
  documentUniqueId: '2.999.1.4.1002',
  newRepositoryUniqueId: '2.999.1.2',
  newDocumentUniqueId: '2.999.1.4.1002.1',
  mimeType: 'text/xml',
  content: { xopCid: 'doc2@crossgate.example' },
};
const inline: RetrievedDocument = { ...stable, documentUniqueId: '2.999.1.4.1003', mimeType: 'application/pdf', content: { inline: PDF } };

const CASES: Record<string, RetrieveResponseInput> = {
  'retrieve-response-mtom.xml': { errors: [], documents: [stable, onDemand] },
  'retrieve-response-inline-partial.xml': {
    errors: [registryError('XDSDocumentUniqueIdError', '2.999.1.4.9999'), registryError('XDSUnknownCommunity', 'unknown home community 2.999.3.1 (document 2.999.3.4.77)')],
    documents: [inline],
  },
  'retrieve-response-failure.xml': { errors: [registryError('XDSMissingHomeCommunityId', 'DocumentRequest 2 has no HomeCommunityId')], documents: [] },
};

describe('renderRetrieveDocumentSetResponse', () => {
  it.each(Object.keys(CASES))('%s matches its reviewed golden', (name) => {
    const actual = renderRetrieveDocumentSetResponse(CASES[name]!);
    expect(xcaGolden(name, actual)).toBe(actual);
  });

  it('reads back: status, the ids of each document in their forms, the XOP reference without angle brackets', () => {
    const response = root(renderRetrieveDocumentSetResponse(CASES['retrieve-response-mtom.xml']!));
    expect([response.ns, response.name]).toEqual([NS.xdsb, 'RetrieveDocumentSetResponse']);
    expect(childNamed(response, NS.rs, 'RegistryResponse')!.attributes.status).toBe(RESPONSE_STATUS.Success);
    const fields = childrenNamed(response, NS.xdsb, 'DocumentResponse').map((d) =>
      Object.fromEntries(d.children.map((c) => [c.name, c.name === 'Document' ? [c.children[0]!.ns, c.children[0]!.name, c.children[0]!.attributes.href] : c.text])),
    );
    expect(fields).toEqual([
      { HomeCommunityId: 'urn:oid:2.999.1.1', RepositoryUniqueId: '2.999.1.2', DocumentUniqueId: '2.999.1.4.1001', mimeType: 'text/xml', Document: [NS.xop, 'Include', 'cid:doc1@crossgate.example'] },
      {
        HomeCommunityId: 'urn:oid:2.999.1.1', RepositoryUniqueId: '2.999.1.2', DocumentUniqueId: '2.999.1.4.1002', NewRepositoryUniqueId: '2.999.1.2',
        NewDocumentUniqueId: '2.999.1.4.1002.1', mimeType: 'text/xml', Document: [NS.xop, 'Include', 'cid:doc2@crossgate.example'],
      },
    ]);
  });

  it('carries inline content as base64 of the bytes, with PartialSuccess when errors come with documents', () => {
    const response = root(renderRetrieveDocumentSetResponse(CASES['retrieve-response-inline-partial.xml']!));
    expect(childNamed(response, NS.rs, 'RegistryResponse')!.attributes.status).toBe(RESPONSE_STATUS.PartialSuccess);
    const document = childNamed(childNamed(response, NS.xdsb, 'DocumentResponse')!, NS.xdsb, 'Document')!;
    expect(new Uint8Array(Buffer.from(document.text, 'base64'))).toEqual(PDF);
    expect(renderRetrieveDocumentSetResponse({ errors: [], documents: [] })).not.toContain('xmlns:xop');
  });

  it('fails with no DocumentResponse when only errors are given', () => {
    const response = root(renderRetrieveDocumentSetResponse(CASES['retrieve-response-failure.xml']!));
    expect(childNamed(response, NS.rs, 'RegistryResponse')!.attributes.status).toBe(RESPONSE_STATUS.Failure);
    expect(childrenNamed(response, NS.xdsb, 'DocumentResponse')).toEqual([]);
  });

  it('stays well-formed for hostile ids, MIME types and Content-IDs, and escapes what a URL cannot hold', () => {
    const hostile = `<&"'\u0000\uD800 #%>`;
    const xml = renderRetrieveDocumentSetResponse({
      errors: [registryError('XDSRegistryError', hostile)],
      documents: [{ ...stable, documentUniqueId: hostile, mimeType: hostile, newDocumentUniqueId: hostile, content: { xopCid: `<cid:a b#${hostile}>` } }],
    });
    const include = childNamed(childNamed(childNamed(root(xml), NS.xdsb, 'DocumentResponse')!, NS.xdsb, 'Document')!, NS.xop, 'Include')!;
    expect(include.attributes.href).toBe('cid:a%20b%23%3C&%22\'%EF%BF%BD%EF%BF%BD%20%23%25%3E');
  });
});
