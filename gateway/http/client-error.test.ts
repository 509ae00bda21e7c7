import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { answerUnreadableRequests } from './client-error.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('served'));
  answerUnreadableRequests(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends raw bytes and reads everything the server answers before it closes. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('answerUnreadableRequests', () => {
  it('answers a FHIR request line over 16 KB with 431 and an OperationOutcome', async () => {
    const answer = await raw(`GET /fhir/R4/Patient?family=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/Content-Type: application\/fhir\+json/);
    expect(JSON.parse(body!)).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-long', diagnostics: 'the request line and headers are over 16 KB' }] });
  });

  it('answers invalid HTTP on the FHIR path with 400 and an OperationOutcome, elsewhere with the bare status', async () => {
    const fhir = await raw('GET /fhir/R4/metadata HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(fhir).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(fhir.split('\r\n\r\n')[1]!).issue[0].code).toBe('invalid');
    const other = await raw(`GET /admin/users?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(other).toMatch(/^HTTP\/1\.1 431 /);
    expect(other.split('\r\n\r\n')[1]).toBe('');
    // A well-formed request is served as before.
    expect(await raw('GET /fhir/R4/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/served$/);
  });
});
