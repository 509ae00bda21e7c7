import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../gateway/http/app.js';
import { ketenzorgAdapter } from '../gateway/inbound/ketenzorg.js';
import { messageIdOf } from '../gateway/inbound/message-id.js';
import { ParseWorkerError, type ParsePool } from '../gateway/inbound/parse-pool.js';
import { createInboundPipeline } from '../gateway/inbound/pipeline.js';
import { resumeStalledInbound, type ResumeOptions } from '../gateway/inbound/resume.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { capturingLogger, testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { aSender, fixture, inboundAudit, type Sender } from './inbound-helpers.js';

/**
 * A message stored raw whose filing never ended (the process stopped, or its parser failed, in between) is filed by
 * the gateway itself once it is stalled, when no sender's retry came first.
 */
let t: TestStore;
let his: Sender;
const LOOK: ResumeOptions = { afterMs: 60_000, everyMs: 3_600_000, batch: 10 };

beforeAll(async () => {
  t = await openTestStore();
  const app = createApp(testDeps(t.store));
  his = await aSender(app, await sessionFor(t.store, { roles: ['admin'] }), 'his', 'Huisartsenpraktijk Onderbroken');
});
afterAll(async () => t.close());

function pipeline(parser?: ParsePool) {
  const deps = testDeps(t.store);
  return { pipeline: createInboundPipeline({ store: t.store, audit: deps.audit, logger: deps.logger, ...(parser ? { parser } : {}) }), lines: deps.lines };
}

/** What the HTTP route stores before it parses: the raw message, 'received', received `minutesAgo`. */
async function storedUnfiled(name: string, minutesAgo: number): Promise<string> {
  const raw = fixture('ketenzorg', name);
  const receipt = await t.store.inbound.receive({ sender: his.connectionId, messageId: messageIdOf(raw), format: ketenzorgAdapter.formatOf(raw), raw });
  await t.db.query(`UPDATE inbound_messages SET received_at = now() - make_interval(mins => $2) WHERE id = $1`, [receipt.message.id, minutesAgo]);
  return receipt.message.id;
}

const observationsOf = async (inboundId: string) =>
  (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM observations WHERE message_id = $1', [inboundId]))[0]!.n;

describe(`inbound messages left without a verdict on ${engineUnderTest}`, () => {
  it('files a stalled message as a replay on the trail, and leaves one still within its time alone', async () => {
    const stalled = await storedUnfiled('dm2.xml', 10);
    const fresh = await storedUnfiled('cvrm.xml', 0);
    const { logger } = capturingLogger();
    const resumer = resumeStalledInbound(t.store, pipeline().pipeline, logger, LOOK);
    try {
      expect(await resumer.sweep()).toBe(1);
      expect((await t.store.inbound.get(stalled))?.status).toBe('processed');
      expect(await observationsOf(stalled)).toBe(13);
      expect((await t.store.inbound.get(fresh))?.status).toBe('received');
      const last = (await inboundAudit(t.store)).at(-1)!;
      expect(last).toMatchObject({ action: 'replay', outcome: 'success', actor: { type: 'system', name: 'inbound-resume' } });
      expect(await resumer.sweep()).toBe(0);
    } finally {
      await resumer.stop();
    }
  });

  it('files a stalled message once when two gateway processes look at the same time', async () => {
    const stalled = await storedUnfiled('copd.xml', 10);
    const { logger, lines } = capturingLogger();
    const [a, b] = [resumeStalledInbound(t.store, pipeline().pipeline, logger, LOOK), resumeStalledInbound(t.store, pipeline().pipeline, logger, LOOK)];
    try {
      const filed = await Promise.all([a.sweep(), b.sweep()]);
      expect(filed[0] + filed[1]).toBe(1);
      expect((await t.store.inbound.get(stalled))?.status).toBe('processed');
      expect(await observationsOf(stalled)).toBe(7);
      expect(lines.filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('leaves a message it cannot file for an admin, says why in the log, and does not try it again', async () => {
    const stalled = await storedUnfiled('batch-two.xml', 10);
    let parses = 0;
    const broken: ParsePool = {
      parse: async () => {
        parses += 1;
        throw new ParseWorkerError('the parser thread ended while it parsed');
      },
      close: async () => undefined,
    };
    const { logger, lines } = capturingLogger();
    const resumer = resumeStalledInbound(t.store, pipeline(broken).pipeline, logger, LOOK);
    try {
      expect(await resumer.sweep()).toBe(0);
      expect(await resumer.sweep()).toBe(0);
      expect(parses).toBe(1);
      expect((await t.store.inbound.get(stalled))?.status).toBe('received');
      const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string; inboundId?: string }).filter((l) => l.level >= 50);
      expect(errors).toEqual([expect.objectContaining({ inboundId: stalled, msg: expect.stringMatching(/could not be filed: replay it/) })]);
    } finally {
      await resumer.stop();
    }
    // Another process (or this one, restarted) files it once the cause is gone.
    const healthy = resumeStalledInbound(t.store, pipeline().pipeline, capturingLogger().logger, LOOK);
    try {
      expect(await healthy.sweep()).toBe(1);
      expect((await t.store.inbound.get(stalled))?.status).toBe('processed');
    } finally {
      await healthy.stop();
    }
  });
});
