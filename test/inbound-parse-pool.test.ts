import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiagnosticReport, Observation, parsedBy } from '../canonical/index.js';
import { createApp } from '../gateway/http/app.js';
import { ketenzorgAdapter } from '../gateway/inbound/ketenzorg.js';
import { labAdapter } from '../gateway/inbound/lab.js';
import { createParsePool, MIN_BYTES, ParseWorkerError, type ParsePool } from '../gateway/inbound/parse-pool.js';
import type { InboundAdapter, ParsedMessage } from '../gateway/inbound/parsed.js';
import { createLogger } from '../gateway/logger.js';
import { openTestStore, type TestStore } from './support/database.js';
import { capturingLogger, testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { aSender, deliver, fixture } from './inbound-helpers.js';

/**
 * Parsing on worker threads (gateway/inbound/parse-pool.ts) gives what parsing inline gives, fails a message its
 * thread could not parse without losing the thread, and files through the HTTP route as inline parsing does. The
 * worker runs as the gateway runs it, compiled: `npm test` builds dist/ first.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKER = pathToFileURL(path.join(root, 'dist', 'gateway', 'inbound', 'parse-worker.js'));
const FAULTY = pathToFileURL(path.join(root, 'test', 'support', 'parse-worker-fault.mjs'));
const BROKEN = pathToFileURL(path.join(root, 'test', 'support', 'parse-worker-broken.mjs'));
const logger = createLogger('silent');
const context = { inboundId: '3f1c2b9e-6a4d-4e8f-9b1a-2c3d4e5f6a7b', organizationId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' };

/** Practitioners found by identifier get a random id on every parse: numbered in order of appearance instead. */
function comparable(result: { parsed: ParsedMessage; ack: unknown }): unknown {
  let text = JSON.stringify(result);
  result.parsed.practitioners.forEach((p, i) => (text = text.replaceAll(p.id, `practitioner-${i}`)));
  return JSON.parse(text);
}

/** The 20-patient MCCI batch bench/ketenzorg sends: the DM2 message's body twenty times. */
function batch(): Buffer {
  const dm2 = fixture('ketenzorg', 'dm2.xml').toString('utf8');
  const start = dm2.indexOf('<REPC_IN990111NL');
  const end = dm2.lastIndexOf('</POOB_IN990003NL>') + '</POOB_IN990003NL>'.length;
  const bodies = Array.from({ length: 20 }, (_, j) => dm2.slice(start, end).replace(/DM2-/g, `B${j}-DM2-`).replace(/extension="(L|D)-/g, `extension="$1B${j}-`));
  return Buffer.from(`${dm2.slice(0, start)}${bodies.join('\n')}${dm2.slice(end)}`, 'utf8');
}

/** multiple-messages.edi (two results messages, one with errors, and a letter) eight times over in one interchange. */
function labInterchange(): Buffer {
  const text = fixture('medlab', 'multiple-messages.edi').toString('latin1');
  const start = text.indexOf('UNH+');
  const end = text.indexOf('UNZ+');
  const blocks = Array.from({ length: 8 }, (_, k) => text.slice(start, end).replace(/\bM00(\d\d)\b/g, `M${k}$1`));
  return Buffer.from(`${text.slice(0, start)}${blocks.join('')}UNZ+24+IC250314F'\n`, 'latin1');
}

const large = (kind: 'ketenzorg' | 'medlab', ext: string) =>
  readdirSync(path.join(root, 'fixtures', kind)).filter((f) => f.endsWith(ext)).map((f) => ({ name: f, raw: fixture(kind, f) }));

describe('parsing on worker threads', () => {
  let pool: ParsePool;
  beforeAll(() => {
    if (!existsSync(WORKER)) throw new Error(`${fileURLToPath(WORKER)} is missing: run the suite with npm test, which builds first`);
    pool = createParsePool({ threads: 2, logger, script: WORKER });
  });
  afterAll(async () => pool.close());

  it('gives exactly what the adapter gives inline, for every fixture, a 20-patient batch and a large interchange', async () => {
    const cases: { name: string; adapter: InboundAdapter<unknown>; raw: Buffer }[] = [
      ...large('ketenzorg', '.xml').map((c) => ({ ...c, adapter: ketenzorgAdapter })),
      ...large('medlab', '.edi').map((c) => ({ ...c, adapter: labAdapter })),
      { name: '20-patient batch', adapter: ketenzorgAdapter, raw: batch() },
      { name: 'MEDLAB interchange of 24 messages', adapter: labAdapter, raw: labInterchange() },
    ];
    expect(cases.filter((c) => c.raw.byteLength >= MIN_BYTES).map((c) => c.name)).toEqual(expect.arrayContaining(['dm2.xml', '20-patient batch', 'MEDLAB interchange of 24 messages']));
    const results = await Promise.all(cases.map((c) => pool.parse(c.adapter, c.raw, context)));
    cases.forEach((c, i) => expect({ name: c.name, result: comparable(results[i]!) }).toEqual({ name: c.name, result: comparable(c.adapter.parse(c.raw, context)) }));
    // What the parser checked against its schema there is known as checked here, and nothing else is.
    const checked = (r: { parsed: ParsedMessage }) => r.parsed.parts.map((p) => ({
      observations: p.records.observations.map((o) => parsedBy(Observation, o)), reports: p.records.reports.map((o) => parsedBy(DiagnosticReport, o)),
    }));
    cases.forEach((c, i) => expect({ name: c.name, checked: checked(results[i]!) }).toEqual({ name: c.name, checked: checked(c.adapter.parse(c.raw, context)) }));
    const lab = results[cases.findIndex((c) => c.name === 'MEDLAB interchange of 24 messages')]!;
    expect(lab.parsed.parts).toHaveLength(24);
    expect(checked(lab).flatMap((p) => p.observations)).toContain(true);
    const observations = (r: { parsed: ParsedMessage }) => r.parsed.parts.reduce((n, p) => n + p.records.observations.length, 0);
    expect(observations(results[cases.findIndex((c) => c.name === '20-patient batch')]!)).toBe(20 * observations(ketenzorgAdapter.parse(fixture('ketenzorg', 'dm2.xml'), context)));
  });
});

describe('a parse worker thread that fails', () => {
  let pool: ParsePool;
  beforeAll(() => {
    pool = createParsePool({ threads: 1, logger, script: FAULTY });
  });
  afterAll(async () => pool.close());
  const big = (marker: string) => Buffer.from(`UNA:+.? '${marker}${' '.repeat(MIN_BYTES)}`, 'latin1');

  it('fails the message it was parsing when the thread ends, and the next message gets a new thread', async () => {
    await expect(pool.parse(labAdapter, big('END'), context)).rejects.toThrow(new ParseWorkerError('the parse worker thread ended (exit code 3) while parsing'));
    await expect(pool.parse(labAdapter, big('OK'), context)).resolves.toEqual({ parsed: expect.objectContaining({ parts: [] }), ack: { messages: [] } });
  });

  it('passes on the error the parser threw there', async () => {
    await expect(pool.parse(labAdapter, big('THROW'), context)).rejects.toThrow(new ParseWorkerError('the parser threw'));
  });

  it('parses a message below the threshold on the calling thread, never on the worker', async () => {
    const small = fixture('medlab', 'truncated.edi');
    expect(small.byteLength).toBeLessThan(MIN_BYTES);
    expect(comparable(await pool.parse(labAdapter, small, context))).toEqual(comparable(labAdapter.parse(small, context)));
  });
});

describe('a parse worker thread that cannot start', () => {
  it('is replaced a few times, then its messages are parsed on the calling thread, and the log says so', async () => {
    const { logger: capturing, lines } = capturingLogger();
    const pool = createParsePool({ threads: 1, logger: capturing, script: BROKEN });
    try {
      const raw = batch();
      let result: Awaited<ReturnType<ParsePool['parse']>> | undefined;
      const failures: unknown[] = [];
      for (let attempt = 0; attempt < 20 && !result; attempt++) {
        result = await pool.parse(ketenzorgAdapter, raw, context).catch((error: unknown) => void failures.push(error));
        if (!result) await new Promise((r) => setTimeout(r, 50));
      }
      expect(failures.every((f) => f instanceof ParseWorkerError)).toBe(true);
      expect(comparable(result!)).toEqual(comparable(ketenzorgAdapter.parse(raw, context)));
      expect(lines.join('')).toContain('a parse worker thread keeps ending as it starts: its messages are parsed on the gateway thread');
    } finally {
      await pool.close();
    }
  });
});

describe('the inbound routes with a parse pool', () => {
  let t: TestStore;
  let pool: ParsePool;
  beforeAll(async () => {
    t = await openTestStore();
    pool = createParsePool({ threads: 1, logger, script: WORKER });
  });
  afterAll(async () => {
    await pool.close();
    await t.close();
  });

  it('files a message parsed on a worker thread as one parsed inline is filed', async () => {
    const app = createApp({ ...testDeps(t.store), inboundParser: pool });
    const admin = await sessionFor(t.store, { roles: ['admin'] });
    const his = await aSender(app, admin, 'his');
    const dm2 = fixture('ketenzorg', 'dm2.xml');
    expect(dm2.byteLength).toBeGreaterThanOrEqual(MIN_BYTES);
    const res = await deliver(app, his, 'ketenzorg', dm2).expect(200);
    expect(res.headers['x-acknowledgement']).toBe('AA');
    const observations = ketenzorgAdapter.parse(dm2, context).parsed.parts.reduce((n, p) => n + p.records.observations.length, 0);
    expect((await t.store.counts()).observations).toBe(observations);
  });
});
