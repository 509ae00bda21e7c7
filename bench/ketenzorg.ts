/**
 * Ketenzorg benchmark over the programme fixtures (fixtures/ketenzorg: DM2, COPD and CVRM batches and a
 * two-message batch) taken in turn:
 * - parse only: messages and observations per second through parseKetenzorg (no store, no identity), beside the
 *   ceiling of its XML reader alone on the same bytes (readXml: decoding and mapping left out), and fast-xml-parser
 *   validating and parsing them (the two passes the reader made before it read plain XML itself);
 * - end to end into PostgreSQL (bench/lib/inbound-e2e.ts): the inbound pipeline in this process and HTTP POSTs to
 *   a gateway process, each beside the bare batched INSERT of the same observation rows. The messages are the
 *   fixtures with their ids and BSNs made unique: half the messages introduce a patient, the other half are about
 *   a patient filed before. Then the DM2 fixture as a GP system sends a whole list: MCCI batches of --per-batch
 *   patients each, one transaction a batch.
 *
 *   npm run build && node --max-semi-space-size=64 dist/bench/ketenzorg.js [--messages N] [--warmup N]
 *     [--e2e-messages N] [--per-batch N] [--callers N] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * A "message" is one payload (a batch counts once); latencies are per payload. Progress goes to stderr; the figures
 * go to stdout as a table and as one JSON object per line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseKetenzorg } from '../mappers/ketenzorg/parser.js';
import { readXml } from '../mappers/ketenzorg/xml.js';
import { jsonLines, table, type Figure } from './lib/report.js';
import { summarize, type Timing } from './lib/stats.js';
import { benchBsn, endToEnd } from './lib/inbound-e2e.js';

const PROGRAMME_FIXTURES = ['dm2.xml', 'copd.xml', 'cvrm.xml', 'batch-two.xml'];

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    'e2e-messages': { type: 'string', default: '4000' },
    callers: { type: 'string', default: '8' },
    'per-batch': { type: 'string', default: '20' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const MESSAGES = Number(values.messages);
const WARMUP = Number(values.warmup);
const E2E_MESSAGES = Number(values['e2e-messages']);
const CALLERS = Number(values.callers);
const PER_BATCH = Number(values['per-batch']);
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

const texts = payloads.map((p) => p.toString('utf8'));
const parse = (i: number) => parseKetenzorg(payloads[i % payloads.length]!);
const reader = (i: number) => readXml(texts[i % texts.length]!);
const library = (i: number) => {
  const text = texts[i % texts.length]!;
  return XMLValidator.validate(text) === true && bare.parse(text);
};

log(`ketenzorg: ${payloads.length} fixtures, ${observationsIn.join('/')} observations each; warming up ${WARMUP}`);
time(WARMUP, parse);
time(WARMUP, reader);
time(WARMUP, library);
log(`timing ${MESSAGES} payloads`);
const libraryTiming = time(MESSAGES, library);
const readerTiming = time(MESSAGES, reader);
const parseTiming = time(MESSAGES, parse);

const observations = Array.from({ length: MESSAGES }, (_, i) => observationsIn[i % payloads.length]!).reduce((a, b) => a + b, 0);
const messagesFigure: Figure = {
  engine: 'node',
  operation: 'parseKetenzorg, messages',
  callers: 1,
  ...summarize(MESSAGES, parseTiming),
  ceiling: { operation: 'its XML reader alone', opsPerSec: summarize(MESSAGES, readerTiming).opsPerSec },
};
const libraryFigure: Figure = { engine: 'node', operation: 'fast-xml-parser validate+parse, messages', callers: 1, ...summarize(MESSAGES, libraryTiming) };
const observationsFigure: Figure = {
  engine: 'node',
  operation: 'parseKetenzorg, observations',
  callers: 1,
  ...summarize(observations, parseTiming),
};
const figures = [messagesFigure, observationsFigure, libraryFigure];
process.stdout.write(`\nketenzorg parse (${MESSAGES} payloads, ${observations} observations)\n\n${table(figures)}\n\n`);
process.stdout.write(`${jsonLines('ketenzorg', figures, { messages: MESSAGES, observations, cpu: cpus()[0]?.model ?? 'unknown', node: process.version })}\n`);

/** Fixture i mod 4 with ids of its own and the BSNs of patient `patient` (two BSNs: the two-patient batch has two). */
function variant(run: string, i: number, patient: number): Uint8Array {
  const text = texts[i % texts.length]!.replace(/extension="(DM2|COPD|CVRM|TWO|L|D|EP)-/g, `extension="${run}${i}-$1-`);
  const bsns = [...new Set(text.match(/99990000\d|9999000[1-9]\d/g) ?? [])];
  return Buffer.from(bsns.reduce((t, bsn, k) => t.replaceAll(bsn, benchBsn(patient * 2 + k)), text), 'utf8');
}
// Patient p always comes with the same fixture (the patient count is a multiple of 4), so names and BSNs agree.
const patients = Math.max(4, Math.floor(E2E_MESSAGES / 8) * 4);
const warm = Array.from({ length: 200 }, (_, i) => variant('W', i, patients * 2 + i));
const viaPipeline = Array.from({ length: E2E_MESSAGES }, (_, i) => variant('P', i, i % patients));
const viaHttp = Array.from({ length: E2E_MESSAGES }, (_, i) => variant('H', i, patients + (i % patients)));
const e2e = await endToEnd({
  name: 'ketenzorg', channel: 'ketenzorg', payload: 'messages', unit: 'observations', postgresUrl: values['postgres-url'], callers: CALLERS,
  warmup: warm, pipeline: viaPipeline, http: viaHttp, log,
});
process.stdout.write(`\nketenzorg end to end into PostgreSQL (${E2E_MESSAGES} messages each way, ${patients} patients each way)\n\n${table(e2e)}\n\n`);
process.stdout.write(`${jsonLines('ketenzorg-e2e', e2e, { messages: E2E_MESSAGES, cpu: cpus()[0]?.model ?? 'unknown', node: process.version })}\n`);

// The same DM2 data sent as a GP system sends a whole list (MCCI_IN200101 of many patients' messages): one
// transaction for the batch instead of one a patient.
const dm2 = texts[0]!;
const bodyStart = dm2.indexOf('<REPC_IN990111NL');
const bodyEnd = dm2.lastIndexOf('</POOB_IN990003NL>') + '</POOB_IN990003NL>'.length;
function batch(run: string, k: number, firstPatient: number): Uint8Array {
  const bodies = Array.from({ length: PER_BATCH }, (_, j) =>
    dm2.slice(bodyStart, bodyEnd).replace(/DM2-/g, `${run}${k}-${j}-DM2-`).replace(/extension="(L|D)-/g, `extension="${run}${k}-${j}-$1-`).replaceAll('999900006', benchBsn(firstPatient + j)));
  const head = dm2.slice(0, bodyStart).replace('DM2-BATCH-0001', `${run}${k}-BATCH`).replace('<transmissionQuantity value="3"/>', `<transmissionQuantity value="${3 * PER_BATCH}"/>`);
  return Buffer.from(`${head}${bodies.join('\n  ')}${dm2.slice(bodyEnd)}`, 'utf8');
}
const batches = Math.max(2, Math.floor(E2E_MESSAGES / PER_BATCH / 2) * 2);
const batchPatient = (k: number, offset: number) => offset + (k % (batches / 2)) * PER_BATCH;
const e2eBatches = await endToEnd({
  name: `ketenzorg ${PER_BATCH}-patient batches`, channel: 'ketenzorg', payload: 'batches', unit: 'observations', postgresUrl: values['postgres-url'], callers: CALLERS,
  // A scratch database of its own: the test BSNs (about 9,000 of them) are counted from the start again.
  warmup: Array.from({ length: 4 }, (_, k) => batch('WB', k, k * PER_BATCH)),
  pipeline: Array.from({ length: batches }, (_, k) => batch('PB', k, batchPatient(k, 4 * PER_BATCH))),
  http: Array.from({ length: batches }, (_, k) => batch('HB', k, batchPatient(k, 4 * PER_BATCH + (batches / 2) * PER_BATCH))),
  log,
});
process.stdout.write(`\nketenzorg end to end into PostgreSQL, ${batches} batches of ${PER_BATCH} patients each way\n\n${table(e2eBatches)}\n\n`);
process.stdout.write(`${jsonLines('ketenzorg-e2e-batches', e2eBatches, { batches, perBatch: PER_BATCH, cpu: cpus()[0]?.model ?? 'unknown', node: process.version })}\n`);
