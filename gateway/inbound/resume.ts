import { StoreError, type RootStore } from '../../store/index.js';
import type { Logger } from '../logger.js';
import type { InboundActor, InboundPipeline } from './pipeline.js';

/** Who files a stalled message, on the audit trail. */
export const RESUME_ACTOR: InboundActor = { type: 'system', name: 'inbound-resume' };

export interface ResumeOptions {
  /** A message is stalled once it has waited this long for a verdict: well past any filing still under way. */
  readonly afterMs: number;
  /** How often to look. */
  readonly everyMs: number;
  /** At most this many messages a look. */
  readonly batch: number;
}

export const RESUME_DEFAULTS: ResumeOptions = { afterMs: 5 * 60_000, everyMs: 60_000, batch: 100 };

export interface Resumer {
  /** One look now: files the stalled messages it finds; resolves with how many it filed. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Files the messages that were stored but never given a verdict: the process stopped, or the parser failed, between
 * storing the raw bytes and filing them. A sender that gets no acknowledgement usually sends again, which files the
 * message; this files the ones nobody sends again, as a replay would (each on the audit trail, by RESUME_ACTOR).
 * Another process filing the same message meanwhile is not an error: the message is locked while it is filed, and
 * filed once. A message this process failed to file is not tried again by it: it stays for an admin to look at
 * (`crossgate inbound list --status received`), with the reason in the log.
 */
export function resumeStalledInbound(store: RootStore, pipeline: InboundPipeline, logger: Logger, options: ResumeOptions = RESUME_DEFAULTS): Resumer {
  const failed = new Set<string>();
  let running: Promise<number> | undefined;

  async function look(): Promise<number> {
    const stalled = await store.inbound.unfiled(new Date(Date.now() - options.afterMs), options.batch + failed.size);
    let filed = 0;
    for (const message of stalled.filter((m) => !failed.has(m.id)).slice(0, options.batch)) {
      try {
        const outcome = await pipeline.replay(message.id, RESUME_ACTOR);
        filed += 1;
        logger.warn({ inboundId: message.id, sender: message.sender, messageId: message.messageId, status: outcome.message.status }, 'filed an inbound message left without a verdict');
      } catch (error) {
        if (error instanceof StoreError && error.code === 'invalid-state' && (await store.inbound.get(message.id))?.status !== 'received') continue;
        failed.add(message.id);
        logger.error({ inboundId: message.id, err: error }, 'an inbound message left without a verdict could not be filed: replay it once the cause is fixed');
      }
    }
    return filed;
  }

  const sweep = () => (running ??= look().finally(() => { running = undefined; }));
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => logger.error({ err: error }, 'looking for inbound messages without a verdict failed'));
  }, options.everyMs);
  timer.unref();

  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
