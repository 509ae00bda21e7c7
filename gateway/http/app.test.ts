import express, { Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../../test/support/database.js';
import { testDeps } from '../../test/support/gateway.js';
import { createApp, type AppState, type Surface } from './app.js';

const PATIENT_NAME = 'Johanna van der Berg';
const PATIENT_BSN = '999990019';

/** A surface whose routes fail the ways real ones can: a driver error quoting patient data, and a JSON body. */
const faultySurface: Surface = {
  name: 'faulty',
  mountPath: '/faulty',
  router: () => {
    const r = Router();
    r.get('/throws', () => {
      const error = Object.assign(new Error(`invalid input syntax for type uuid: "${PATIENT_BSN}" (${PATIENT_NAME})`), {
        code: '22P02',
        detail: `Key (value)=(${PATIENT_BSN}) for ${PATIENT_NAME}`,
      });
      throw error;
    });
    r.post('/echo', express.json({ limit: '1kb' }), (req, res) => {
      res.json({ received: Object.keys(req.body as object).length });
    });
    return r;
  },
};

let t: TestStore;
let lines: string[];
let app: ReturnType<typeof createApp>;
const state: AppState = { draining: false };

beforeAll(async () => {
  t = await openTestStore();
  const deps = testDeps(t.store);
  lines = deps.lines;
  app = createApp(deps, [faultySurface], state);
});
afterAll(async () => t.close());

describe(`gateway HTTP basics on ${engineUnderTest}`, () => {
  it('answers /healthz, and /readyz once the database answers', async () => {
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await request(app).get('/readyz').expect(200, { status: 'ready', database: engineUnderTest });
  });

  it('summarises what the database holds, as counts only', async () => {
    const res = await request(app).get('/').expect(200);
    expect(res.body).toMatchObject({
      service: 'crossgate',
      database: engineUnderTest,
      homeCommunityId: expect.stringMatching(/^urn:oid:2\.25\.\d+$/),
      records: { patients: 0, observations: 0, documents: 0 },
      activeProgrammeEnrolments: { DM2: 0, COPD: 0, CVRM: 0 },
    });
  });

  it('fails readiness while draining and asks kept-alive clients to reconnect elsewhere', async () => {
    state.draining = true;
    try {
      const res = await request(app).get('/readyz').expect(503, { status: 'draining' });
      expect(res.headers.connection).toBe('close');
    } finally {
      state.draining = false;
    }
  });

  it('serves Prometheus metrics with request durations by route pattern', async () => {
    await request(app).get('/healthz');
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/crossgate_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).toMatch(/crossgate_process_cpu_user_seconds_total/);
  });

  it('gives every response a request id, keeping a safe one the caller sent', async () => {
    const mine = await request(app).get('/healthz').set('X-Request-Id', 'caller-id-12345');
    expect(mine.headers['x-request-id']).toBe('caller-id-12345');
    const unsafe = await request(app).get('/healthz').set('X-Request-Id', 'bad id\twith spaces');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown path with 404 and the request id', async () => {
    const res = await request(app).get('/no/such/path').expect(404);
    expect(res.body).toEqual({ error: 'not found', requestId: res.headers['x-request-id'] });
  });

  it('turns an unexpected error into a 500 with a request id and logs it without patient data', async () => {
    lines.length = 0;
    const res = await request(app).get(`/faulty/throws?bsn=${PATIENT_BSN}&name=${encodeURIComponent(PATIENT_NAME)}`).expect(500);
    expect(res.body).toEqual({ error: 'internal error', requestId: res.headers['x-request-id'] });
    expect(JSON.stringify(res.body)).not.toContain(PATIENT_BSN);
    const log = lines.join('');
    const errorLine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unexpected error');
    expect(errorLine).toMatchObject({ reqId: res.headers['x-request-id'], err: { type: 'Error', code: '22P02' } });
    expect((errorLine!.err as { stack: string }).stack).toMatch(/at /);
    expect(log).not.toContain(PATIENT_BSN);
    expect(log).not.toContain('Berg');
  });

  it('reports a malformed or oversized JSON body as a client error', async () => {
    await request(app).post('/faulty/echo').set('Content-Type', 'application/json').send('{"a":').expect(400);
    await request(app).post('/faulty/echo').set('Content-Type', 'application/json').send(JSON.stringify({ a: 'x'.repeat(2000) })).expect(413);
    await request(app).post('/faulty/echo').send({ a: 1, b: 2 }).expect(200, { received: 2 });
  });
});

describe('readiness without a database', () => {
  it('answers 503 when the store cannot be reached', async () => {
    const other = await openTestStore();
    const orphan = createApp(testDeps(other.store));
    await other.close();
    await request(orphan).get('/readyz').expect(503, { status: 'unavailable', reason: 'database unreachable' });
  });
});
