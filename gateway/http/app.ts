import type { KeyObject } from 'node:crypto';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { AuditAppender } from '../../audit/index.js';
import { authenticate, confirmPrincipal } from '../auth/authenticate.js';
import type { SecurityEventSink } from '../auth/security-events.js';
import { signInRoutes } from '../auth/sign-in.js';
import { accessTokens } from '../auth/access-tokens.js';
import { oauthRoutes } from '../auth/oauth.js';
import { peopleRoutes } from '../admin/people.js';
import { partnerRoutes } from '../admin/partners.js';
import { openApiDocument } from '../admin/openapi.js';
import { complianceRoutes } from '../compliance/routes.js';
import { consentRoutes } from '../admin/consent.js';
import { portalRoutes } from '../portal/routes.js';
import type { ConsentService } from '../../consent/service.js';
import type { PartnerDirectory } from '../auth/partner-directory.js';
import type { RootStore } from '../../store/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { answerError as answerFhirError, BASE_PATH as FHIR_BASE_PATH, fhirSurface } from '../fhir/surface.js';
import { iheSurface } from '../ihe/surface.js';
import type { ParsePool } from '../inbound/parse-pool.js';
import { inboundSurface } from '../inbound/routes.js';
import { inboundAdminRoutes } from '../admin/inbound.js';
import { requestContext } from './request-context.js';
import { declareRoutes, HttpError, type DeclaredRoute, type RouteSpec } from './routes.js';

export interface GatewayDeps {
  readonly config: Config;
  readonly store: RootStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: SecurityEventSink;
  /** Signs cookies (trusted devices). */
  readonly secretKey: Buffer;
  readonly audit: AuditAppender;
  /** Signs audit checkpoints; its public half verifies them. */
  readonly auditKey: { readonly privateKey: KeyObject; readonly publicKey: KeyObject; readonly keyId: string };
  readonly consent: ConsentService;
  /** Partner credentials and organizations, cached and kept right by the change feed. */
  readonly partners: PartnerDirectory;
  /** The partners' trust bundle (PEM certificates): TLS client certificates and SAML signers chain to these. */
  readonly trustAnchors: readonly string[];
  /** Parses large inbound messages on worker threads (startGateway makes one); without it they are parsed inline. */
  readonly inboundParser?: ParsePool;
}

/** A group of routes (FHIR, IHE, inbound, admin, …) mounted under one path prefix with the shared dependencies. */
export interface Surface {
  readonly name: string;
  readonly mountPath: string;
  /** Its routes, declared in `registry` (declareRoutes) so the access walk and the route listing see them. */
  router(deps: GatewayDeps, registry: DeclaredRoute[]): Router;
}

export interface AppState {
  /** Set when shutdown begins: readiness fails so a load balancer stops sending new work. */
  draining: boolean;
}

const READY_TIMEOUT_MS = 2000;

export function createApp(deps: GatewayDeps, surfaces: readonly Surface[] = [], state: AppState = { draining: false }) {
  const app = express();
  app.disable('x-powered-by');
  // A hash of every answer's bytes, for conditional GETs nothing here relies on: FHIR reads carry their version as
  // their ETag (fhir/surface.ts), and SOAP and admin answers are not cached.
  app.disable('etag');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestContext(deps.logger, deps.metrics));
  app.use((_req, res, next) => {
    // While draining, a kept-alive connection is closed after its current response instead of taking more.
    if (state.draining) res.setHeader('Connection', 'close');
    next();
  });

  const discovery = new Set([`${FHIR_BASE_PATH}/metadata`, `${FHIR_BASE_PATH}/.well-known/udap`, '/.well-known/udap']);
  app.use(authenticate(deps.store, deps.partners, deps.events, deps.config.sessions, accessTokens(deps), discovery));
  // The FHIR surface confirms a partner's cached credential in its outbound pipeline, with the clock its lookups read.
  app.use(confirmPrincipal([FHIR_BASE_PATH]));

  const routes: DeclaredRoute[] = [];
  app.locals.routes = routes;
  app.use(declareRoutes('', coreRoutes(deps, state), routes));
  app.use('/auth', declareRoutes('/auth', signInRoutes({ store: deps.store, events: deps.events, secretKey: deps.secretKey, policy: deps.config.sessions }), routes));
  app.use(declareRoutes('', oauthRoutes(deps), routes));
  const openApi: RouteSpec = {
    method: 'get', path: '/openapi.json', access: { public: true }, summary: 'This API, described in OpenAPI 3.1',
    handler: (_req, res) => void res.json(openApiDocument(routes, ['/admin', '/auth', '/audit', '/portal'])),
  };
  const admin = { store: deps.store, events: deps.events };
  const consent = { store: deps.store, audit: deps.audit, consent: deps.consent };
  app.use('/admin', declareRoutes('/admin', [...peopleRoutes(admin), ...partnerRoutes(admin), ...consentRoutes(consent), ...inboundAdminRoutes(deps), openApi], routes));
  app.use('/portal', declareRoutes('/portal', portalRoutes(consent), routes));
  app.use('/audit', declareRoutes('/audit', complianceRoutes({ store: deps.store, audit: deps.audit, auditKey: deps.auditKey, homeCommunityId: deps.config.homeCommunityId, retentionYears: deps.config.audit.retentionYears, checkpointMinutes: deps.config.audit.checkpointMinutes }), routes));

  for (const surface of [fhirSurface(), iheSurface(), inboundSurface(), ...surfaces]) app.use(surface.mountPath, surface.router(deps, routes));

  app.use((req, res) => {
    res.status(404).json({ error: 'not found', requestId: req.requestId });
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    if (req.path === FHIR_BASE_PATH || req.path.startsWith(`${FHIR_BASE_PATH}/`)) {
      answerFhirError(error, req, res);
      return;
    }
    if (error instanceof HttpError) {
      res.set(error.headers).status(error.status).json({
        error: error.message,
        ...(error.issues.length > 0 ? { issues: error.issues } : {}),
        requestId: req.requestId,
      });
      return;
    }
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

function coreRoutes(deps: GatewayDeps, state: AppState): RouteSpec[] {
  return [
    {
      // What a newcomer checks first: which database this is and how much is in it. Counts only, never records.
      method: 'get', path: '/', access: { public: true }, summary: 'Service summary: database engine and record counts',
      async handler(_req, res) {
        const [records, programmes] = await Promise.all([deps.store.counts(), deps.store.carePrograms.countByProgram()]);
        res.json({ service: 'crossgate', database: deps.store.engine, homeCommunityId: `urn:oid:${deps.config.homeCommunityId}`, records, activeProgrammeEnrolments: programmes });
      },
    },
    { method: 'get', path: '/healthz', access: { public: true }, summary: 'Liveness', handler: (_req, res) => void res.json({ status: 'ok' }) },
    {
      method: 'get', path: '/readyz', access: { public: true }, summary: 'Readiness: the database answers and the process is not draining',
      async handler(req, res) {
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
      },
    },
    {
      method: 'get', path: '/metrics', access: { public: true }, summary: 'Prometheus metrics',
      async handler(_req, res) {
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    },
  ];
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
