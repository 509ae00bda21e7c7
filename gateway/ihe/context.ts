import type { PartnerDirectory } from '../auth/partner-directory.js';
import type { SecurityEventSink } from '../auth/security-events.js';
import type { Config } from '../config.js';
import type { OutboundPipeline } from '../outbound/pipeline.js';
import type { AssertionUse } from '../../store/index.js';

/** What the IHE endpoints work with. Patient data goes through the pipeline only; the store is for partners and replay. */
export interface IheContext {
  readonly config: Config;
  readonly pipeline: OutboundPipeline;
  /** Partner credentials and organizations (cached), and the store of used MessageIDs. */
  readonly partners: PartnerDirectory;
  /** Records a MessageID's use; false for a replay. Uses arriving together share one statement (group commit). */
  readonly replays: { use(use: AssertionUse): Promise<boolean> };
  readonly events: SecurityEventSink;
  /** Counts a rejected request against the connection it came over (shown to administrators with the connection). */
  readonly failedAuth: { record(connectionId: string): Promise<void> };
  readonly trustAnchors: readonly string[];
  /** Our endpoint URLs, as partners address them (wsa:To, SAML Audience). */
  readonly endpoints: { readonly xcpd: string; readonly query: string; readonly retrieve: string };
  readonly now: () => Date;
}
