import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { readXml, type XmlElement } from '../../mappers/xml/index.js';
import { signedEnvelope, type EnvelopeOptions } from './saml.js';

/**
 * Requests an initiating gateway sends (ihe-xca-xcpd.md §4, §2, §3), signed by the test PKI, and what the tests
 * read from the answers. The bodies are written the way real initiators write them, prefixes and all.
 */
export const ACTIONS = {
  xcpd: 'urn:hl7-org:v3:PRPA_IN201305UV02:CrossGatewayPatientDiscovery',
  query: 'urn:ihe:iti:2007:CrossGatewayQuery',
  retrieve: 'urn:ihe:iti:2007:CrossGatewayRetrieve',
} as const;
export const PATHS = { xcpd: '/ihe/xcpd', query: '/ihe/xca/query', retrieve: '/ihe/xca/retrieve' } as const;
export const FIND_DOCUMENTS = 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d';
export const GET_DOCUMENTS = 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4';
export const GET_SUBMISSION_SET_AND_CONTENTS = 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83';
export const GET_ALL = 'urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3';
const APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')";
const BOTH_TYPES = "('urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1','urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248')";

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export interface Demographics {
  readonly given?: string;
  readonly family?: string;
  readonly gender?: 'M' | 'F';
  readonly birthTime?: string;
  readonly ids?: readonly { readonly root: string; readonly extension: string }[];
  readonly postalCode?: string;
}

export function xcpdBody(d: Demographics, initiator = '2.16.840.1.113883.3.9999.1'): string {
  const param = (name: string, value: string) => `<${name}>${value}<semanticsText>${name}</semanticsText></${name}>`;
  return `<PRPA_IN201305UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0">
  <id root="${initiator}" extension="${randomUUID()}"/>
  <creationTime value="20260101120000"/>
  <interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201305UV02"/>
  <processingCode code="P"/><processingModeCode code="T"/><acceptAckCode code="AL"/>
  <receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE"><id root="2.16.840.1.113883.3.9999.2"/></device></receiver>
  <sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE"><id root="${initiator}"/>
    <asAgent classCode="AGNT"><representedOrganization classCode="ORG" determinerCode="INSTANCE"><id root="${initiator}"/></representedOrganization></asAgent></device></sender>
  <controlActProcess classCode="CACT" moodCode="EVN"><code code="PRPA_TE201305UV02" codeSystem="2.16.840.1.113883.1.6"/>
    <queryByParameter><queryId root="${initiator}" extension="${randomUUID()}"/><statusCode code="new"/>
      <responseModalityCode code="R"/><responsePriorityCode code="I"/>
      <parameterList>
        ${d.gender ? param('livingSubjectAdministrativeGender', `<value code="${d.gender}" codeSystem="2.16.840.1.113883.5.1"/>`) : ''}
        ${d.birthTime ? param('livingSubjectBirthTime', `<value value="${d.birthTime}"/>`) : ''}
        ${(d.ids ?? []).map((i) => param('livingSubjectId', `<value root="${i.root}" extension="${esc(i.extension)}"/>`)).join('')}
        ${d.family ? param('livingSubjectName', `<value>${d.given ? `<given>${esc(d.given)}</given>` : ''}<family>${esc(d.family)}</family></value>`) : ''}
        ${d.postalCode ? param('patientAddress', `<value><postalCode>${esc(d.postalCode)}</postalCode></value>`) : ''}
      </parameterList>
    </queryByParameter>
  </controlActProcess>
</PRPA_IN201305UV02>`;
}

const slot = (name: string, ...values: string[]) => `<rim:Slot name="${name}"><rim:ValueList>${values.map((v) => `<rim:Value>${esc(v)}</rim:Value>`).join('')}</rim:ValueList></rim:Slot>`;

export function adhocQuery(id: string, slots: readonly string[], options: { readonly returnType?: 'LeafClass' | 'ObjectRef'; readonly home?: string } = {}): string {
  return `<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">`
    + `<query:ResponseOption returnComposedObjects="true" returnType="${options.returnType ?? 'LeafClass'}"/>`
    + `<rim:AdhocQuery id="${id}"${options.home ? ` home="${options.home}"` : ''}>${slots.join('')}</rim:AdhocQuery></query:AdhocQueryRequest>`;
}

export function findDocumentsBody(patientCx: string, extra: readonly string[] = [], options: { readonly returnType?: 'LeafClass' | 'ObjectRef' } = {}): string {
  return adhocQuery(FIND_DOCUMENTS, [slot('$XDSDocumentEntryPatientId', `'${patientCx}'`), slot('$XDSDocumentEntryStatus', APPROVED), slot('$XDSDocumentEntryType', BOTH_TYPES), ...extra], options);
}

export function getDocumentsBody(uniqueIds: readonly string[], home?: string): string {
  return adhocQuery(GET_DOCUMENTS, [slot('$XDSDocumentEntryUniqueId', `(${uniqueIds.map((u) => `'${u}'`).join(',')})`)], home ? { home } : {});
}

export { slot };

export function retrieveBody(requests: readonly { readonly home: string; readonly repository: string; readonly uniqueId: string }[]): string {
  return `<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">${requests.map((r) =>
    `<xdsb:DocumentRequest><xdsb:HomeCommunityId>${r.home}</xdsb:HomeCommunityId><xdsb:RepositoryUniqueId>${r.repository}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>${r.uniqueId}</xdsb:DocumentUniqueId></xdsb:DocumentRequest>`).join('')}</xdsb:RetrieveDocumentSetRequest>`;
}

/** An MTOM request around an envelope: the root part only, as initiators send ITI-39. */
export function mtomRequest(envelope: string): { contentType: string; body: Buffer } {
  const boundary = `MIMEBoundary_${randomUUID()}`;
  return {
    contentType: `multipart/related; type="application/xop+xml"; start="<root.message@cxf.apache.org>"; start-info="application/soap+xml"; boundary="${boundary}"`,
    body: Buffer.from(`--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <root.message@cxf.apache.org>\r\n\r\n${envelope}\r\n--${boundary}--\r\n`),
  };
}

export interface SoapAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly raw: Buffer;
  /** The Body's one element (a Fault, or the transaction's response). */
  readonly body: XmlElement;
  /** The envelope's text (for MTOM, the root part). */
  readonly envelope: string;
  readonly relatesTo: string | undefined;
}

/** Posts a signed request to an IHE endpoint of an express app and reads the answer, MTOM or not. */
export async function post(app: Parameters<typeof request>[0], path: string, body: string, options: EnvelopeOptions & { readonly mtom?: boolean; readonly publicUrl: string; readonly envelope?: string }): Promise<SoapAnswer> {
  const endpoint = `${options.publicUrl}${path}`;
  const action = path === PATHS.xcpd ? ACTIONS.xcpd : path === PATHS.query ? ACTIONS.query : ACTIONS.retrieve;
  const envelope = options.envelope ?? signedEnvelope({ action, audience: endpoint, to: endpoint, ...options, body });
  const payload = options.mtom ? mtomRequest(envelope) : { contentType: 'application/soap+xml; charset=UTF-8', body: Buffer.from(envelope) };
  const res = await request(app).post(path).set('Content-Type', payload.contentType).send(payload.body)
    .buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
  return readAnswer(res.status, String(res.headers['content-type'] ?? ''), res.body as Buffer);
}

export function readAnswer(status: number, contentType: string, raw: Buffer): SoapAnswer {
  const text = contentType.startsWith('multipart/related') ? rootPart(raw, contentType) : raw.toString('utf8');
  const xml = readXml(text);
  if (!xml.ok) throw new Error(`the answer is not XML: ${JSON.stringify(xml.issues)}\n${text.slice(0, 500)}`);
  const header = xml.root.children.find((c) => c.name === 'Header');
  const bodyElement = xml.root.children.find((c) => c.name === 'Body')!.children[0]!;
  return { status, contentType, raw, body: bodyElement, envelope: text, relatesTo: header?.children.find((c) => c.name === 'RelatesTo')?.text };
}

function rootPart(raw: Buffer, contentType: string): string {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)![1]!;
  const parts = raw.toString('latin1').split(`--${boundary}`);
  const root = parts[1]!;
  return Buffer.from(root.slice(root.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, ''), 'latin1').toString('utf8');
}

/** The bytes of the MTOM part with this Content-ID. */
export function mtomPart(answer: SoapAnswer, contentId: string): Buffer | undefined {
  const boundary = /boundary="?([^";]+)"?/.exec(answer.contentType)![1]!;
  const text = answer.raw.toString('latin1');
  for (const part of text.split(`--${boundary}`).slice(1)) {
    const split = part.indexOf('\r\n\r\n');
    if (part.slice(0, split).includes(`<${contentId}>`)) return Buffer.from(part.slice(split + 4).replace(/\r\n$/, ''), 'latin1');
  }
  return undefined;
}

/** Every descendant element with this local name. */
export function all(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => e.children.forEach((c) => {
    if (c.name === name) found.push(c);
    walk(c);
  });
  walk(element);
  return found;
}

export const first = (element: XmlElement, name: string): XmlElement | undefined => all(element, name)[0];
