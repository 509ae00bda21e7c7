import express, { type Request, type Response } from 'express';
import type { Surface } from '../http/app.js';
import { declareRoutes, HttpError, type RouteSpec } from '../http/routes.js';
import { ketenzorgAdapter, renderKetenzorgAck, renderKetenzorgRefusal } from './ketenzorg.js';
import { labAdapter, renderLabAck, renderLabRefusal } from './lab.js';
import type { Channel } from './parsed.js';
import { createInboundPipeline, type Delivery, type InboundPipeline } from './pipeline.js';

/**
 * POST /inbound/ketenzorg (his connections) and POST /inbound/lab (lab connections): the message is the request
 * body as sent (HL7v3 XML, OZIS or MEDLAB EDIFACT, any content type but JSON or a form), answered with the
 * format's acknowledgement. An answer of 200 means the message is stored: the acknowledgement says what became of it.
 */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export function inboundSurface(): Surface {
  return {
    name: 'inbound',
    mountPath: '/inbound',
    router(deps, registry) {
      const pipeline = createInboundPipeline({
        store: deps.store, audit: deps.audit, logger: deps.logger, ...(deps.inboundParser ? { parser: deps.inboundParser } : {}),
      });
      return declareRoutes('/inbound', inboundRoutes(pipeline, deps.config.homeCommunityId), registry);
    },
  };
}

function inboundRoutes(pipeline: InboundPipeline, homeCommunityId: string): RouteSpec[] {
  return [
    {
      method: 'post', path: '/ketenzorg', access: { connections: ['his'] }, readsOwnBody: true,
      summary: 'A GP system delivers an HL7v3 Ketenzorg message (or an OZIS EDIFACT interchange); answered with an HL7v3 MCCI_IN000002 acknowledgement',
      async handler(req, res) {
        const received = await delivery(pipeline, 'ketenzorg', req, res);
        if ('refused' in received) {
          const xml = renderKetenzorgRefusal({ ...received.refused, idRoot: homeCommunityId, now: new Date() });
          res.status(received.refused.status).set('X-Acknowledgement', 'AR').type('application/xml').send(xml);
          return;
        }
        const outcome = await pipeline.receive(ketenzorgAdapter, received);
        const { code, xml } = renderKetenzorgAck({ message: outcome.message, parts: outcome.parts, ack: outcome.ack, idRoot: homeCommunityId, now: new Date() });
        res.status(200).set(headers(outcome.message.id, code, outcome.duplicate)).type('application/xml').send(xml);
      },
    },
    {
      method: 'post', path: '/lab', access: { connections: ['lab'] }, readsOwnBody: true,
      summary: 'A lab (or ZorgMail forwarding) delivers a MEDLAB interchange; answered with a JSON acknowledgement naming every problem',
      async handler(req, res) {
        const received = await delivery(pipeline, 'lab', req, res);
        if ('refused' in received) {
          res.status(received.refused.status).set('X-Acknowledgement', 'AR').json(renderLabRefusal(received.refused));
          return;
        }
        const outcome = await pipeline.receive(labAdapter, received);
        const ack = renderLabAck({ message: outcome.message, parts: outcome.parts, ack: outcome.ack, duplicate: outcome.duplicate });
        res.status(200).set(headers(outcome.message.id, ack.acknowledgement, outcome.duplicate)).json(ack);
      },
    },
  ];
}

function headers(inboundId: string, code: string, duplicate: boolean): Record<string, string> {
  return { 'X-Inbound-Message-Id': inboundId, 'X-Acknowledgement': code, 'X-Duplicate': String(duplicate) };
}

/** Why a body holds no message we could store: answered with `status`, in the channel's own acknowledgement. */
export interface Refused {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * The delivery a request makes; one without a message in it is refused (nothing stored), and the refusal is on the
 * audit trail too.
 */
async function delivery(pipeline: InboundPipeline, channel: Channel, req: Request, res: Response): Promise<Delivery | { refused: Refused }> {
  const p = req.principal;
  if (p.type !== 'connection') throw new HttpError(403, 'not allowed for your role or connection');
  const actor = { type: 'partner' as const, connectionId: p.connection.id, organizationId: p.connection.organizationId };
  const meta = { requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}) };
  try {
    return { connection: p.connection, raw: await body(req, res), actor, meta };
  } catch (error) {
    const refused = refusalOf(error);
    if (!refused) throw error;
    await pipeline.refused(channel, actor, meta, `${refused.status} ${refused.message}`);
    return { refused };
  }
}

/** A client's fault in the body, named; anything else (ours) is left to the error handler. */
function refusalOf(error: unknown): Refused | undefined {
  if (error instanceof RefusedBody) return error.refused;
  const e = error as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (e.type === 'entity.too.large') {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `the body is larger than ${MAX_MESSAGE_BYTES} bytes (10 MB): nothing was stored; send it in smaller parts` };
  }
  return { status: e.status, code: 'BODY_UNREADABLE', message: e.expose === true && typeof e.message === 'string' ? e.message : 'the body could not be read' };
}

class RefusedBody extends Error {
  constructor(readonly refused: Refused) {
    super(refused.message);
  }
}

/** Media types a message is never sent as: whatever such a body holds, it was wrapped on the way. */
const NOT_A_MESSAGE = /^(application\/(json|[\w.+-]+\+json|x-www-form-urlencoded)|multipart\/)/i;

/**
 * The body as bytes: every byte matters (a Latin-1 name, a checksum), so nothing may decode it first (the routes
 * read their own body: no JSON or form parser runs before, which would quote the message back in its complaint).
 */
async function body(req: Request, res: Response): Promise<Uint8Array> {
  if (NOT_A_MESSAGE.test(req.get('content-type') ?? '')) {
    throw new RefusedBody({
      status: 415, code: 'NOT_A_MESSAGE',
      message: `send the message itself as the body (e.g. Content-Type: application/xml or application/edifact), not as ${req.get('content-type')!.split(';')[0]!.trim()}`,
    });
  }
  await new Promise<void>((resolve, reject) => {
    express.raw({ type: () => true, limit: MAX_MESSAGE_BYTES })(req, res, (error?: unknown) => (error ? reject(error as Error) : resolve()));
  });
  const raw = req.body as unknown;
  if (!Buffer.isBuffer(raw) || withoutBom(raw).every(isBlank)) throw new RefusedBody({ status: 400, code: 'BODY_EMPTY', message: 'the request body is empty: it must be the message' });
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The bytes after a UTF-8 byte order mark, if the body starts with one. */
function withoutBom(raw: Buffer): Buffer {
  return raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? raw.subarray(3) : raw;
}

/** Space, tab, CR or LF: a body of nothing else holds no message. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
