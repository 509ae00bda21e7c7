/**
 * A worker thread of parse-pool.ts: parses one raw message at a time with its channel's adapter (the same pure
 * code the pipeline calls in its own thread) and posts the result back, with which records were checked against
 * their schema there, or the error that parsing threw.
 */
import { parentPort } from 'node:worker_threads';
import { ketenzorgAdapter } from './ketenzorg.js';
import { labAdapter } from './lab.js';
import { masksOf, type ParseReply, type ParseRequest } from './parse-pool.js';

const adapters = { ketenzorg: ketenzorgAdapter, lab: labAdapter } as const;

parentPort!.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    const { parsed, ack } = adapters[request.channel].parse(request.raw, request.context);
    reply = { id: request.id, ok: true, parsed, ack, masks: masksOf(parsed) };
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) };
  }
  parentPort!.postMessage(reply);
});
