import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { readInterchange } from '../mappers/medlab/syntax.js';
import { parseMedlab } from '../mappers/medlab/to-canonical.js';
import { summarize, type Timing } from './lib/stats.js';
import { jsonLines, table, type Figure } from './lib/report.js';
import { benchBsn, endToEnd } from './lib/inbound-e2e.js';

/**
 * MEDLAB throughput over generated messages (6 results, a remark and a pending test each):
 * - parse only, no I/O: one interchange of N messages, read by the syntax layer alone and by the whole parser
 *   (syntax, envelope, mapping, schema checks); results per second, interchanges per second beside them;
 * - end to end into PostgreSQL (bench/lib/inbound-e2e.ts): interchanges of --per-interchange messages through
 *   the inbound pipeline in this process and as HTTP POSTs to a gateway process, each beside the bare batched
 *   INSERT of the same result rows. Half the messages introduce a patient, the other half are about one filed before.
 *
 *   node --max-semi-space-size=64 dist/bench/medlab.js [--messages N] [--rounds N] [--e2e-interchanges N]
 *     [--per-interchange N] [--callers N] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 */
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '10' },
    // 160 of 50 messages is the most the test BSN range holds (about 9,000 patients: 4,000 a way and the warm-up).
    'e2e-interchanges': { type: 'string', default: '160' },
    'per-interchange': { type: 'string', default: '50' },
    callers: { type: 'string', default: '4' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const INTERCHANGES = Number(values['e2e-interchanges']);
const PER_INTERCHANGE = Number(values['per-interchange']);
const CALLERS = Number(values.callers);
const RESULTS_PER_MESSAGE = 7;
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Message `ref` about patient `patient` (a test-range BSN and the lab's number for them). */
function message(ref: string, patient: number): string[] {
  const segments = [
    `UNH+${ref}+MEDLAB:1`,
    'ZKH+Regionaal Laboratorium Voorbeeld+Laboratoriumweg:12::Utrecht:3511AA+0301234567+701',
    `PID+1950:02:28+${patient % 2 ? 'M' : 'V'}+::van den Berg::Jan:J.+L${patient}+BSN${benchBsn(patient)}`,
    'ART+H+123456+Huisarts:de:P.+Praktijkplein:1::Utrecht:3513CC+0301112223',
    'AFD+Klinische chemie',
    'ARA:1+Dr. A. Klinisch',
    'DET:1+25:03:14+08:05',
    `IDE:1+J+A${ref}+bloed`,
    'BEP:1:1:1+1+DIVERSEN',
    `BEP:1:1:2+0+HbA1c IFCC+${40 + (patient % 30)}++mmol/mol+H++53+HBAC B`,
    'OPB:1:1:2:1+Streefwaarde bij DM2',
    'BEP:1:1:3+0+LDL-cholesterol+2.40++mmol/l+N++2.50+LDL B',
    'BEP:1:1:4+0+Hemoglobine+7.9++mmol/l+L+8.5+11.0+HB  B',
    'BEP:1:1:5+0+CRP+<5++mg/l+++10+CRP B',
    'BEP:1:1:6+0+Alb/kreat ratio+0.4++mg/mmol+++3.0+ALBK U MI',
    'BEP:1:1:7+0+Sediment+Zie opmerking++++++SEDIU',
    'NUB:1:1+Vitamine B12',
    'COM+Uitslagen geautoriseerd',
  ];
  return [...segments, `UNT+${segments.length + 1}+${ref}`];
}

/** One interchange `reference`, a message for each patient given. */
function interchange(reference: string, patients: readonly number[]): Uint8Array {
  const segments = [`UNB+UNOA:1+500000111+500000222+250314:1012+${reference}`];
  patients.forEach((patient, i) => segments.push(...message(`M${i}`, patient)));
  segments.push(`UNZ+${patients.length}+${reference}`);
  return new TextEncoder().encode(`${segments.join("'\r\n")}'\r\n`);
}

function time(run: () => void): Timing {
  const latencies: number[] = [];
  const started = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    run();
    latencies.push(performance.now() - t);
  }
  return { latenciesMs: latencies, wallMs: performance.now() - started };
}

// Parse only: patients may repeat (the test BSN range holds about 9,000).
const bytes = interchange('BENCH1', Array.from({ length: MESSAGES }, (_, i) => i % 5000));
log(`medlab: ${MESSAGES} messages, ${(bytes.length / 1e6).toFixed(1)} MB, ${ROUNDS} rounds`);
const check = parseMedlab(bytes);
const filed = check.messages.reduce((n, m) => n + m.observations.length, 0);
if (check.rejected || filed !== MESSAGES * RESULTS_PER_MESSAGE) throw new Error(`bench interchange did not parse as expected (${filed} results)`);
// Warm the JIT on the same work before measuring.
time(() => void readInterchange(bytes));

const results = MESSAGES * RESULTS_PER_MESSAGE;
const figures: Figure[] = [
  { engine: 'medlab', operation: 'syntax read (results)', callers: 1, ...summarize(results * ROUNDS, time(() => void readInterchange(bytes))) },
  { engine: 'medlab', operation: 'parse to canonical (results)', callers: 1, ...summarize(results * ROUNDS, time(() => void parseMedlab(bytes))) },
];
process.stdout.write(`${table(figures)}\n`);
for (const f of figures) {
  process.stdout.write(`${f.operation}: ${(f.opsPerSec / results).toFixed(2)} interchanges/s of ${MESSAGES} messages, ${Math.round((f.opsPerSec / RESULTS_PER_MESSAGE)).toLocaleString('en-US')} messages/s\n`);
}
process.stdout.write(`${jsonLines('medlab', figures, { messages: MESSAGES, bytes: bytes.length })}\n`);

// End to end: patient p of the timed half comes back once, so half the messages find a patient filed before.
const patients = Math.max(1, Math.floor((INTERCHANGES * PER_INTERCHANGE) / 2));
const batchOf = (run: string, k: number, offset: number) =>
  interchange(`${run}${k}`, Array.from({ length: PER_INTERCHANGE }, (_, j) => offset + ((k * PER_INTERCHANGE + j) % patients)));
const e2e = await endToEnd({
  name: 'medlab', channel: 'lab', payload: `interchanges of ${PER_INTERCHANGE} messages`, unit: 'results', postgresUrl: values['postgres-url'], callers: CALLERS,
  warmup: Array.from({ length: 5 }, (_, k) => batchOf('W', k, 2 * patients)),
  pipeline: Array.from({ length: INTERCHANGES }, (_, k) => batchOf('P', k, 0)),
  http: Array.from({ length: INTERCHANGES }, (_, k) => batchOf('H', k, patients)),
  log,
});
process.stdout.write(`\nmedlab end to end into PostgreSQL (${INTERCHANGES} interchanges of ${PER_INTERCHANGE} messages each way, ${patients} patients each way)\n\n${table(e2e)}\n\n`);
process.stdout.write(`${jsonLines('medlab-e2e', e2e, { interchanges: INTERCHANGES, perInterchange: PER_INTERCHANGE, cpu: cpus()[0]?.model ?? 'unknown', node: process.version })}\n`);
