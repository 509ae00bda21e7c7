import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStore, type RootStore } from '../store/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createApp, type AppState, type Surface } from './http/app.js';
import { seedSynthetic } from './demo-data.js';
import { logSecurityEvents } from './auth/security-events.js';
import { loadOrCreateSecretKey } from './secret-key.js';

export interface RunningGateway {
  readonly url: string;
  readonly store: RootStore;
  readonly server: Server;
  /** Stops taking requests, lets in-flight ones finish (up to the grace period), then closes the store. */
  stop(): Promise<void>;
}

export async function startGateway(config: Config, logger: Logger, surfaces: readonly Surface[] = []): Promise<RunningGateway> {
  const engine = config.database.url ? 'postgres' : 'pglite';
  logger.info({ engine, dataDir: config.database.url ? undefined : config.database.dataDir }, 'opening store');
  const store = await openStore({
    ...(config.database.url ? { databaseUrl: config.database.url } : { dataDir: config.database.dataDir }),
    maxConnections: config.database.poolSize,
  });

  try {
    if (config.demo.enabled && (await store.counts()).patients === 0) {
      const started = Date.now();
      const seeded = await seedSynthetic(store, config.demo.patients);
      logger.info({ ...seeded, ms: Date.now() - started }, 'empty database: demo data seeded');
    }
  } catch (error) {
    await store.close();
    throw error;
  }

  let secretKey = config.secretKey;
  if (!secretKey) {
    const made = loadOrCreateSecretKey(config.database.dataDir);
    secretKey = made.key;
    if (config.database.url) logger.warn('CROSSGATE_SECRET_KEY is not set: using a key from the data directory, which other gateway processes do not share');
  }
  const state: AppState = { draining: false };
  const app = createApp({ config, store, logger, metrics: createMetrics(), events: logSecurityEvents(logger), secretKey }, surfaces, state);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(s)));
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, engine }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state.draining = true;
      logger.info({ graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        logger.warn('grace period over: closing remaining connections');
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearTimeout(force);
      await store.close();
      logger.info('stopped');
    })());

  return { url, store, server, stop };
}
