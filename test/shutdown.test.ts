import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, engineUnderTest, type TestDatabase } from './support/database.js';
import { capturingLogger, testConfig } from './support/gateway.js';
import { startGateway } from '../gateway/server.js';
import type { Surface } from '../gateway/http/app.js';

/** A route that answers only when the test lets it, so a request is reliably in flight during shutdown. */
let release: () => void = () => undefined;
const slowSurface: Surface = {
  name: 'slow',
  mountPath: '/slow',
  router: () =>
    Router().get('/', async (_req, res) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      res.json({ finished: true });
    }),
};

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

let database: TestDatabase;
const dataDir = mkdtempSync(path.join(tmpdir(), 'crossgate-shutdown-'));
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`graceful shutdown on ${engineUnderTest}`, () => {
  it('finishes the request in flight, refuses new connections, then closes the store', async () => {
    const { logger, lines } = capturingLogger();
    const config = testConfig(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : { CROSSGATE_DATA_DIR: dataDir });
    const gateway = await startGateway(config, logger, [slowSurface]);
    const inFlight = get(`${gateway.url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = gateway.stop();
    await new Promise((r) => setTimeout(r, 100));
    await expect(get(`${gateway.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    release();
    await expect(inFlight).resolves.toEqual({ status: 200, body: '{"finished":true}' });
    await stopped;
    await expect(gateway.store.ping()).rejects.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
      expect.arrayContaining(['shutting down: finishing in-flight requests', 'stopped']),
    );
  });
});
