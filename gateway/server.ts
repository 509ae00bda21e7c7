import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { openStore, type RootStore } from '../store/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createApp, type AppState, type Surface } from './http/app.js';
import { DEMO_DEFAULT_PURPOSES, seedSynthetic } from './demo-data.js';
import { auditSigningKeyPem, cookieKey } from './keys.js';
import { checkTail, createAuditAppender, loadSigningKey, signCheckpoint } from '../audit/index.js';
import { auditSecurityEvents } from './auth/security-events.js';
import { createConsentService } from '../consent/service.js';
import { partnerDirectory } from './auth/partner-directory.js';
import { loadTrustBundle } from './ihe/trust-bundle.js';
import { createParsePool, defaultThreads } from './inbound/parse-pool.js';
import { createInboundPipeline } from './inbound/pipeline.js';
import { resumeStalledInbound } from './inbound/resume.js';
import { answerUnreadableRequests } from './http/client-error.js';

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
    if (config.demo.enabled && (await store.patients.isEmpty())) {
      const started = Date.now();
      const seeded = await seedSynthetic(store, config.demo.patients);
      // A demo clinic that shares nothing (opt-in, the state of a new install) shows partners empty answers;
      // the demo answers Treatment and Patient Request by default, as most clinics do. Never on a real install.
      const defaults = await store.consent.currentDefaults();
      if (!defaults) await store.consent.setDefaults(0, DEMO_DEFAULT_PURPOSES, 'demo data');
      logger.info({ ...seeded, consentDefaults: defaults?.purposes ?? DEMO_DEFAULT_PURPOSES, ms: Date.now() - started }, 'empty database: demo data seeded');
    }
  } catch (error) {
    await store.close();
    throw error;
  }

  let trustAnchors: string[];
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    trustAnchors = config.ihe.trustBundleFile ? loadTrustBundle(config.ihe.trustBundleFile) : [];
    tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : undefined;
  } catch (error) {
    await store.close();
    throw error;
  }
  if (!tls && config.ihe.clientCertificate === 'required') {
    logger.warn('no CROSSGATE_TLS_CERT: the IHE endpoints require a client certificate and will refuse every request (set CROSSGATE_IHE_CLIENT_CERT=optional behind a TLS terminator)');
  }
  const { key: secretKey, fromDataDir } = cookieKey(config);
  const signing = auditSigningKeyPem(config);
  if (config.database.url && (fromDataDir || signing.fromDataDir)) {
    logger.warn('CROSSGATE_SECRET_KEY or CROSSGATE_AUDIT_SIGNING_KEY is not set: using keys from the data directory, which other gateway processes do not share');
  }
  const auditKey = loadSigningKey(signing.pem);
  const audit = createAuditAppender(store);
  const consent = createConsentService(store);
  await consent.ready();
  const partners = partnerDirectory(store, consent.changes);
  const state: AppState = { draining: false };
  const inboundParser = createParsePool({ threads: defaultThreads(), logger });
  const app = createApp(
    { config, store, logger, metrics: createMetrics(), events: auditSecurityEvents(audit), secretKey, audit, auditKey, consent, partners, trustAnchors, inboundParser },
    surfaces, state,
  );
  const resumer = resumeStalledInbound(store, createInboundPipeline({ store, audit, logger, parser: inboundParser }), logger);
  // A chain changed since the latest checkpoint is said at once, not when someone next asks; no checkpoint is signed over it.
  checkTail(store).then(({ broken }) => {
    if (broken) logger.error({ seq: broken.seq, reason: broken.reason }, 'the audit chain does not verify since its latest checkpoint: run crossgate audit verify');
  }, (error: unknown) => logger.error({ err: error }, 'audit chain check failed'));
  const checkpoints = setInterval(() => {
    signCheckpoint(store, auditKey, new Date()).catch((error: unknown) => logger.error({ err: error }, 'audit checkpoint failed'));
  }, config.audit.checkpointMinutes * 60_000);
  checkpoints.unref();
  // With TLS every client is asked for a certificate, checked against the trust bundle; a client without one is
  // still served (FHIR partners use tokens, staff sessions), and routes that need one refuse it themselves.
  const server: Server = tls
    ? createHttpsServer({ ...tls, ...(trustAnchors.length > 0 ? { ca: trustAnchors, requestCert: true, rejectUnauthorized: false } : {}) }, app)
    : createHttpServer(app);
  answerUnreadableRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await resumer.stop();
    await inboundParser.close();
    await store.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, engine }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state.draining = true;
      clearInterval(checkpoints);
      logger.info({ graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        logger.warn('grace period over: closing remaining connections');
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearTimeout(force);
      await resumer.stop();
      await inboundParser.close();
      await consent.close();
      await store.close();
      logger.info('stopped');
    })());

  return { url, store, server, stop };
}
