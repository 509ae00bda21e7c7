/**
 * Ketenzorg parse benchmark: messages and observations per second through parseKetenzorg, parse only (no store,
 * no identity), over the programme fixtures (fixtures/ketenzorg: DM2, COPD and CVRM batches and a two-message
 * batch) taken in turn, beside the ceiling of fast-xml-parser alone reading the same bytes (validation and
 * parse, the two passes our reader makes before mapping).
 *
 *   npm run build && node dist/bench/ketenzorg.js [--messages N] [--warmup N]
 *
 * A "message" is one payload handed to the parser (a batch counts once); latencies are per payload. Progress goes
 * to stderr; the figures go to stdout as a table and as one JSON object per line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseKetenzorg } from '../mappers/ketenzorg/parser.js';
import { jsonLines, table, type Figure } from './lib/report.js';
import { summarize, type Timing } from './lib/stats.js';

const PROGRAMME_FIXTURES = ['dm2.xml', 'copd.xml', 'cvrm.xml', 'batch-two.xml'];

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
  },
});
const MESSAGES = Number(values.messages);
const WARMUP = Number(values.warmup);
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Run from bench/ (ts) or dist/bench/ (built): the fixtures stay in the source tree. */
function fixturesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const found = [path.resolve(here, '../fixtures/ketenzorg'), path.resolve(here, '../../fixtures/ketenzorg')].find(existsSync);
  if (!found) throw new Error('fixtures/ketenzorg not found beside bench/ or dist/bench/');
  return found;
}

const dir = fixturesDir();
const payloads = PROGRAMME_FIXTURES.map((f) => readFileSync(path.join(dir, f)));
const observationsIn = payloads.map((p) => parseKetenzorg(p).items.reduce((n, i) => n + i.observations.length, 0));
const bare = new XMLParser({ preserveOrder: true, ignoreAttributes: false, removeNSPrefix: true, processEntities: false, parseTagValue: false });

function time(count: number, call: (i: number) => unknown): Timing {
  const latencies = new Array<number>(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    call(i);
    latencies[i] = performance.now() - t;
  }
  return { latenciesMs: latencies, wallMs: performance.now() - started };
}

const parse = (i: number) => parseKetenzorg(payloads[i % payloads.length]!);
const ceiling = (i: number) => {
  const text = payloads[i % payloads.length]!.toString('utf8');
  return XMLValidator.validate(text) === true && bare.parse(text);
};

log(`ketenzorg: ${payloads.length} fixtures, ${observationsIn.join('/')} observations each; warming up ${WARMUP}`);
time(WARMUP, parse);
time(WARMUP, ceiling);
log(`timing ${MESSAGES} payloads`);
const ceilingTiming = time(MESSAGES, ceiling);
const parseTiming = time(MESSAGES, parse);

const observations = Array.from({ length: MESSAGES }, (_, i) => observationsIn[i % payloads.length]!).reduce((a, b) => a + b, 0);
const ceilingSummary = summarize(MESSAGES, ceilingTiming);
const messagesFigure: Figure = {
  engine: 'node',
  operation: 'parseKetenzorg, messages',
  callers: 1,
  ...summarize(MESSAGES, parseTiming),
  ceiling: { operation: 'fast-xml-parser validate+parse', opsPerSec: ceilingSummary.opsPerSec },
};
const observationsFigure: Figure = {
  engine: 'node',
  operation: 'parseKetenzorg, observations',
  callers: 1,
  ...summarize(observations, parseTiming),
};
const figures = [messagesFigure, observationsFigure];
process.stdout.write(`\nketenzorg parse (${MESSAGES} payloads, ${observations} observations)\n\n${table(figures)}\n\n`);
process.stdout.write(`${jsonLines('ketenzorg', figures, { messages: MESSAGES, observations, cpu: cpus()[0]?.model ?? 'unknown', node: process.version })}\n`);
