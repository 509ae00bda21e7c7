import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readXml } from '../xml/index.js';
import { NS } from '../xml/namespaces.js';
import { readSoapEnvelope, renderSoapResponse } from './envelope.js';
import { faultStatus, renderFault, SUBCODES } from './fault.js';
import { readSoapHttpBody } from './http-body.js';
import { buildMtom } from './mtom.js';

const envelope = (header: string, body = '<q:AdhocQueryRequest xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"/>', soap: string = NS.soap12) =>
  `<s:Envelope xmlns:s="${soap}" xmlns:a="${NS.wsa}"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
const addressing = '<a:Action s:mustUnderstand="1">urn:ihe:iti:2007:CrossGatewayQuery</a:Action><a:MessageID>urn:uuid:6d4f0a3e-0000-4000-8000-000000000001</a:MessageID>'
  + '<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">https://gw.example/ihe/xca/query</a:To>';

const read = (text: string) => {
  const xml = readXml(text);
  if (!xml.ok) throw new Error(JSON.stringify(xml.issues));
  return readSoapEnvelope(xml.root);
};

describe('readSoapEnvelope', () => {
  it('reads the WS-Addressing headers and the one Body element, whatever the prefixes', () => {
    const r = read(envelope(addressing));
    if (!r.ok) throw new Error(r.fault.reason);
    expect(r.request.addressing).toEqual({
      action: 'urn:ihe:iti:2007:CrossGatewayQuery', messageId: 'urn:uuid:6d4f0a3e-0000-4000-8000-000000000001',
      to: 'https://gw.example/ihe/xca/query', replyTo: 'http://www.w3.org/2005/08/addressing/anonymous',
    });
    expect([r.request.body.ns, r.request.body.name]).toEqual([NS.query, 'AdhocQueryRequest']);
    expect(r.request.security).toBeUndefined();
  });

  it('finds wsse:Security in the header', () => {
    const r = read(envelope(`${addressing}<w:Security xmlns:w="${NS.wsse}" s:mustUnderstand="true"/>`));
    expect(r.ok && r.request.security?.name).toBe('Security');
  });

  it.each([
    ['a SOAP 1.1 envelope', 'VersionMismatch', undefined, envelope(addressing, undefined, NS.soap11)],
    ['no Action', 'Sender', 'MessageAddressingHeaderRequired', envelope('<a:MessageID>urn:uuid:1</a:MessageID>')],
    ['no MessageID', 'Sender', 'MessageAddressingHeaderRequired', envelope('<a:Action>urn:ihe:iti:2007:CrossGatewayQuery</a:Action>')],
    ['two Actions', 'Sender', 'InvalidAddressingHeader', envelope(`${addressing}<a:Action>x</a:Action>`)],
    ['a non-anonymous ReplyTo', 'Sender', 'InvalidAddressingHeader', envelope(addressing.replace('http://www.w3.org/2005/08/addressing/anonymous', 'http://evil.example/cb'))],
    ['a header block it must understand but does not', 'MustUnderstand', undefined, envelope(`${addressing}<x:Thing xmlns:x="urn:x" s:mustUnderstand="1"/>`)],
    ['an empty Body', 'Sender', undefined, envelope(addressing, '')],
    ['two Body elements', 'Sender', undefined, envelope(addressing, '<a/><b/>')],
    ['not an envelope', 'Sender', undefined, `<Envelope xmlns="urn:other"><Body/></Envelope>`],
  ])('answers %s with a %s fault', (_, code, subcode, text) => {
    const r = read(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.fault.code).toBe(code);
    expect(r.fault.subcode?.name).toBe(subcode);
  });

  it('keeps the MessageID of a refused request so the fault can relate to it', () => {
    const r = read(envelope(`${addressing}<x:Thing xmlns:x="urn:x" s:mustUnderstand="1"/>`));
    expect(!r.ok && r.messageId).toBe('urn:uuid:6d4f0a3e-0000-4000-8000-000000000001');
  });
});

describe('responses and faults', () => {
  it('relates a response to the request MessageID verbatim and reads back as SOAP 1.2', () => {
    const text = renderSoapResponse({ action: 'urn:ihe:iti:2007:CrossGatewayQueryResponse', messageId: 'urn:uuid:r', relatesTo: 'uuid:NOT-a-urn & odd', body: '<x:R xmlns:x="urn:x"/>' });
    const xml = readXml(text);
    if (!xml.ok) throw new Error('ill-formed');
    const header = xml.root.children[0]!;
    expect(header.children.map((c) => [c.name, c.text])).toEqual([
      ['Action', 'urn:ihe:iti:2007:CrossGatewayQueryResponse'], ['MessageID', 'urn:uuid:r'], ['RelatesTo', 'uuid:NOT-a-urn & odd'],
    ]);
  });

  it('renders a fault with its qualified subcode; Sender is 400, Receiver 500', () => {
    const fault = { code: 'Sender' as const, subcode: SUBCODES.invalidSecurity, reason: 'the assertion <expired>' };
    const xml = readXml(renderFault(fault, { messageId: 'urn:uuid:f', relatesTo: 'urn:uuid:q' }));
    if (!xml.ok) throw new Error('ill-formed');
    const f = xml.root.children[1]!.children[0]!;
    const code = f.children[0]!;
    expect(code.children[0]!.text).toBe('env:Sender');
    expect(code.children[1]!.children[0]!.text).toBe('wsse:InvalidSecurity');
    expect(code.children[1]!.children[0]!.prefixes.wsse).toBe(NS.wsse);
    expect(f.children[1]!.children[0]!.text).toBe('the assertion <expired>');
    expect(faultStatus(fault)).toBe(400);
    expect(faultStatus({ code: 'Receiver', reason: 'x' })).toBe(500);
  });

  it('never writes ill-formed XML, whatever the strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (reason, relatesTo) => {
      expect(readXml(renderFault({ code: 'Receiver', reason }, { messageId: 'urn:uuid:1', relatesTo })).ok).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('readSoapHttpBody', () => {
  const soap = envelope(addressing);
  it('reads plain SOAP', () => {
    expect(readSoapHttpBody('application/soap+xml; charset=UTF-8; action="urn:ihe:iti:2007:CrossGatewayQuery"', Buffer.from(soap), 1e6)).toEqual({ ok: true, envelope: soap, mtom: false });
  });

  it('reads the root part of an MTOM request, by its start Content-ID, and the MTOM it writes', () => {
    const built = buildMtom(soap, [{ contentId: 'doc1@crossgate', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.4\r\n--not-a-boundary\r\n') }], { boundary: 'MIMEBoundary_abc', rootContentId: 'root@crossgate' });
    expect(readSoapHttpBody(built.contentType, built.body, 1e6)).toEqual({ ok: true, envelope: soap, mtom: true });
    const lfOnly = Buffer.from(`--b\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\nContent-ID: <r>\n\n${soap}\n--b--\n`);
    expect(readSoapHttpBody('multipart/related; boundary=b; start="<r>"; type="application/xop+xml"', lfOnly, 1e6)).toEqual({ ok: true, envelope: soap, mtom: true });
  });

  it('accepts an MTOM Content-Type over a body that is plain XML', () => {
    expect(readSoapHttpBody('multipart/related; type="application/xop+xml"; boundary=x', Buffer.from(soap), 1e6)).toMatchObject({ ok: true, mtom: true });
  });

  it.each([
    ['no Content-Type', undefined, Buffer.from(soap), 415],
    ['JSON', 'application/json', Buffer.from('{}'), 415],
    ['Latin-1', 'application/soap+xml; charset=ISO-8859-1', Buffer.from(soap), 415],
    ['invalid UTF-8', 'application/soap+xml', Buffer.from([0x3c, 0x61, 0xff, 0x3e]), 400],
    ['a missing boundary', 'multipart/related; type="application/xop+xml"', Buffer.from('--x\r\n'), 400],
    ['a missing start part', 'multipart/related; boundary=b; start="<nope>"', Buffer.from(`--b\r\nContent-ID: <r>\r\nContent-Type: application/xop+xml\r\n\r\n${soap}\r\n--b--`), 400],
    ['a truncated multipart', 'multipart/related; boundary=b', Buffer.from(`--b\r\nContent-Type: application/xop+xml\r\n\r\n${soap}`), 400],
    ['too many bytes', 'application/soap+xml', Buffer.alloc(2000, 0x20), 413],
  ])('refuses %s', (_, contentType, body, status) => {
    expect(readSoapHttpBody(contentType, body, 1000)).toMatchObject({ ok: false, status });
  });
});
