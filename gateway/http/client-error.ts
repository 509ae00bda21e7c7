import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const FHIR_PATH = /^[A-Z]+ \/fhir\//;

/**
 * Answers a request Node refuses before express sees it (a request line and headers over 16 KB, or no valid HTTP)
 * in the form its caller reads: an OperationOutcome for the FHIR surface, whose callers expect one for every
 * error (fhir.md §6), Node's own bare status line for everyone else.
 */
export function answerUnreadableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const [status, reason] = tooLarge ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const fhir = FHIR_PATH.test(error.rawPacket?.subarray(0, 64).toString('latin1') ?? '');
    const body = fhir
      ? JSON.stringify({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: tooLarge ? 'too-long' : 'invalid', diagnostics: tooLarge ? 'the request line and headers are over 16 KB' : 'the request is not valid HTTP' }],
      })
      : '';
    const type = fhir ? 'Content-Type: application/fhir+json; charset=utf-8\r\n' : '';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
