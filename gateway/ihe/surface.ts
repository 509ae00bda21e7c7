import { coalesce, type AssertionUse } from '../../store/index.js';
import type { GatewayDeps, Surface } from '../http/app.js';
import { declareRoutes, type RouteSpec } from '../http/routes.js';
import { createOutboundPipeline } from '../outbound/pipeline.js';
import type { IheContext } from './context.js';
import { crossGatewayQuery } from './xca-query.js';
import { crossGatewayRetrieve } from './xca-retrieve.js';
import { patientDiscovery } from './xcpd.js';
import { soapEndpoint, soapErrors } from './soap-endpoint.js';
import { summaryDocuments } from './summary-documents.js';

export const IHE_BASE = '/ihe';
/** MessageIDs recorded in one statement at most; a batch is as large as the requests that arrive while one is written. */
const REPLAY_BATCH = 500;

/**
 * The Carequality responding gateway: ITI-55, ITI-38 and ITI-39 at endpoints of their own, SOAP 1.2 with a SAML
 * assertion, every answer through the one outbound pipeline (consent decided per patient, audit committed first).
 */
export function iheSurface(): Surface {
  return {
    name: 'ihe',
    mountPath: IHE_BASE,
    router(deps: GatewayDeps, registry) {
      const base = `${deps.config.publicUrl}${IHE_BASE}`;
      const ctx: IheContext = {
        config: deps.config,
        pipeline: createOutboundPipeline({ store: deps.store, consent: deps.consent, audit: deps.audit }),
        partners: deps.partners,
        replays: { use: coalesce((uses: readonly AssertionUse[]) => deps.store.oauth.useAssertions(uses), REPLAY_BATCH) },
        events: deps.events,
        failedAuth: { record: (connectionId) => deps.store.connections.recordFailedAuth(connectionId) },
        trustAnchors: deps.trustAnchors,
        endpoints: { xcpd: `${base}/xcpd`, query: `${base}/xca/query`, retrieve: `${base}/xca/retrieve` },
        now: () => new Date(),
      };
      const summaries = summaryDocuments(deps.store, deps.config);
      const routes: RouteSpec[] = [patientDiscovery(ctx), crossGatewayQuery(ctx, summaries), crossGatewayRetrieve(ctx)].map((tx) => ({
        method: 'post', path: tx.path, access: { assertion: ['carequality'] }, summary: tx.summary, readsOwnBody: true, handler: soapEndpoint(ctx, tx),
      }));
      const router = declareRoutes(IHE_BASE, routes, registry);
      router.use(soapErrors(ctx));
      return router;
    },
  };
}
