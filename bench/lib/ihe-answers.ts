/**
 * What bench/ihe.ts checks in the gateway's answers before it times anything: an ITI-38 answer is a Success
 * AdhocQueryResponse whose every DocumentEntry is of the patient asked about and in our community; an ITI-39 answer
 * is an MTOM Success carrying the document asked for, whose bytes have the hash and size its query entry gave.
 * Each function returns what it read, or throws saying what is wrong.
 */
import { createHash } from 'node:crypto';
import { all, first, mtomPart, readAnswer } from '../../test/support/ihe.js';
import type { XmlElement } from '../../mappers/xml/index.js';
import type { Answer } from './fhir-load.js';

const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';
/** ITI TF-3 4.2.3.2: the ExternalIdentifier schemes of a DocumentEntry's patientId and uniqueId. */
const SCHEME = { patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427', uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab' } as const;

/** A DocumentEntry of an ITI-38 answer: what a retrieve names, and what its bytes must match. */
export interface ListedDocument {
  readonly uniqueId: string;
  readonly repositoryUniqueId: string;
  /** The entry's home attribute, urn:oid:… */
  readonly home: string;
  /** SHA-1 of the content, hex, as XDS metadata gives it. */
  readonly hash: string;
  readonly size: number;
  readonly mimeType: string;
}

function soapAnswer(answer: Answer, expectMultipart: boolean): XmlElement {
  const body = readAnswer(answer.status, answer.contentType, answer.raw).body;
  if (body.name === 'Fault') throw new Error(`a SOAP fault (HTTP ${answer.status}): ${all(body, 'Value').map((v) => v.text).join(' ')}: ${first(body, 'Text')?.text}`);
  if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${answer.body.slice(0, 500)}`);
  if (answer.contentType.startsWith('multipart/related') !== expectMultipart) throw new Error(`answered as ${answer.contentType}`);
  return body;
}

const slotValue = (entry: XmlElement, name: string) => first(entry.children.find((c) => c.name === 'Slot' && c.attributes.name === name) ?? entry, 'Value')?.text;
const identifier = (entry: XmlElement, scheme: string) => entry.children.find((c) => c.name === 'ExternalIdentifier' && c.attributes.identificationScheme === scheme)?.attributes.value;

/** The DocumentEntries of an ITI-38 LeafClass answer about the patient `patientCx`, all in community `home`. */
export function listedDocuments(answer: Answer, patientCx: string, home: string): ListedDocument[] {
  const body = soapAnswer(answer, false);
  if (body.name !== 'AdhocQueryResponse' || body.attributes.status !== SUCCESS) throw new Error(`not a Success AdhocQueryResponse: ${answer.body.slice(0, 500)}`);
  if (all(body, 'RegistryError').length > 0) throw new Error(`registry errors: ${answer.body.slice(0, 500)}`);
  return all(body, 'ExtrinsicObject').map((entry) => {
    const listed = {
      uniqueId: identifier(entry, SCHEME.uniqueId), patientCx: identifier(entry, SCHEME.patientId), home: entry.attributes.home, mimeType: entry.attributes.mimeType,
      repositoryUniqueId: slotValue(entry, 'repositoryUniqueId'), hash: slotValue(entry, 'hash'), size: Number(slotValue(entry, 'size')),
    };
    const { uniqueId, repositoryUniqueId, hash, mimeType } = listed;
    if (listed.patientCx !== patientCx) throw new Error(`an entry of patient ${listed.patientCx}, asked about ${patientCx}`);
    if (listed.home !== home) throw new Error(`an entry with home ${listed.home}, not ${home}`);
    if (!uniqueId || !repositoryUniqueId || !hash || !mimeType || !Number.isSafeInteger(listed.size)) throw new Error(`an entry without uniqueId, repository, hash, size or mimeType: ${JSON.stringify(listed)}`);
    return { uniqueId, repositoryUniqueId, home, hash, size: listed.size, mimeType };
  });
}

/** Checks an ITI-39 MTOM answer for one document: its uniqueId, and bytes with the hash and size `document` listed. */
export function checkRetrieved(answer: Answer, document: ListedDocument): void {
  const body = soapAnswer(answer, true);
  const status = first(body, 'RegistryResponse')?.attributes.status;
  const responses = all(body, 'DocumentResponse');
  if (body.name !== 'RetrieveDocumentSetResponse' || status !== SUCCESS || responses.length !== 1) throw new Error(`not a Success with one document: status ${status}, ${responses.length} documents`);
  const response = responses[0]!;
  const uniqueId = first(response, 'DocumentUniqueId')?.text;
  if (uniqueId !== document.uniqueId) throw new Error(`document ${uniqueId} answered for ${document.uniqueId}`);
  const href = first(response, 'Include')?.attributes.href;
  const bytes = href?.startsWith('cid:') ? mtomPart(readAnswer(answer.status, answer.contentType, answer.raw), decodeURIComponent(href.slice(4))) : undefined;
  if (!bytes) throw new Error(`document ${uniqueId}: no MTOM part for ${href}`);
  const hash = createHash('sha1').update(bytes).digest('hex');
  if (hash !== document.hash || bytes.length !== document.size) {
    throw new Error(`document ${uniqueId}: ${bytes.length} bytes with SHA-1 ${hash}, listed as ${document.size} bytes with ${document.hash}`);
  }
}
