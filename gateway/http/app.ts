import express, { type ErrorRequestHandler, type Router } from 'express';
import type { RootStore } from '../../store/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { requestContext } from './request-context.js';

export interface GatewayDeps {
  readonly config: Config;
  readonly store: RootStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A group of routes (FHIR, IHE, inbound, admin, …) mounted under one path prefix with the shared dependencies. */
export interface Surface {
  readonly name: string;
  readonly mountPath: string;
  router(deps: GatewayDeps): Router;
}

export interface AppState {
  /** Set when shutdown begins: readiness fails so a load balancer stops sending new work. */
  draining: boolean;
}

const READY_TIMEOUT_MS = 2000;

export function createApp(deps: GatewayDeps, surfaces: readonly Surface[] = [], state: AppState = { draining: false }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestContext(deps.logger, deps.metrics));
  app.use((_req, res, next) => {
    // While draining, a kept-alive connection is closed after its current response instead of taking more.
    if (state.draining) res.setHeader('Connection', 'close');
    next();
  });

  // What a newcomer checks first: which database this is and how much is in it. Counts only, never records.
  app.get('/', async (_req, res) => {
    const [records, programmes] = await Promise.all([deps.store.counts(), deps.store.carePrograms.countByProgram()]);
    res.json({
      service: 'crossgate',
      database: deps.store.engine,
      homeCommunityId: `urn:oid:${deps.config.homeCommunityId}`,
      records,
      activeProgrammeEnrolments: programmes,
    });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (req, res) => {
    if (state.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    try {
      await withTimeout(deps.store.ping(), READY_TIMEOUT_MS);
      res.json({ status: 'ready', database: deps.store.engine });
    } catch (error) {
      req.log.warn({ err: error }, 'readiness check failed: database unreachable');
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  for (const surface of surfaces) app.use(surface.mountPath, surface.router(deps));

  app.use((req, res) => {
    res.status(404).json({ error: 'not found', requestId: req.requestId });
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const status = (error as { status?: unknown }).status;
    const expose = (error as { expose?: unknown }).expose === true;
    if (typeof status === 'number' && status >= 400 && status < 500 && expose) {
      // body-parser and friends mark client errors as safe to show (malformed JSON, too large, …).
      res.status(status).json({ error: (error as Error).message, requestId: req.requestId });
      return;
    }
    req.log.error({ err: error }, 'unexpected error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).json({ error: 'internal error', requestId: req.requestId });
  };
  app.use(onError);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
