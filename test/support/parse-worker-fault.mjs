// A parse worker thread that fails the way parse-pool.ts must survive: it ends (as a thread that crashed would)
// on a message holding "END", reports an error on one holding "THROW", and parses nothing else (an empty message).
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (request) => {
  const text = Buffer.from(request.raw).toString('latin1');
  if (text.includes('END')) process.exit(3);
  if (text.includes('THROW')) {
    parentPort.postMessage({ id: request.id, ok: false, message: 'the parser threw' });
    return;
  }
  const parsed = { channel: request.channel, format: 'medlab-edifact', refused: false, issues: [], parts: [], organizations: [], practitioners: [] };
  parentPort.postMessage({ id: request.id, ok: true, parsed, ack: { messages: [] }, masks: [] });
});
