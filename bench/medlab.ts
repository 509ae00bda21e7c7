import { parseArgs } from 'node:util';
import { readInterchange } from '../mappers/medlab/syntax.js';
import { parseMedlab } from '../mappers/medlab/to-canonical.js';
import { summarize, type Timing } from './lib/stats.js';
import { jsonLines, table, type Figure } from './lib/report.js';

/**
 * MEDLAB parse throughput, no I/O: one generated interchange of N messages (6 results, a remark and a pending
 * test each), read by the syntax layer alone and by the whole parser (syntax, envelope, mapping, schema checks).
 * Figures are results per second; interchanges per second are printed beside them.
 *
 *   node dist/bench/medlab.js [--messages N] [--rounds N]
 */
const { values } = parseArgs({ options: { messages: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '10' } } });
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const RESULTS_PER_MESSAGE = 7;
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Eight digits plus the 11-proef check digit, skipping prefixes whose check digit would be 10. */
function testBsn(i: number): string {
  for (let n = 99990000 + (i % 9999); ; n++) {
    const digits = String(n);
    const sum = [...digits].reduce((s, d, k) => s + Number(d) * (9 - k), 0);
    if (sum % 11 !== 10) return `${digits}${sum % 11}`;
  }
}

function message(i: number): string[] {
  const ref = `M${i}`;
  const segments = [
    `UNH+${ref}+MEDLAB:1`,
    'ZKH+Regionaal Laboratorium Voorbeeld+Laboratoriumweg:12::Utrecht:3511AA+0301234567+701',
    `PID+1950:02:28+${i % 2 ? 'M' : 'V'}+::van den Berg::Jan:J.+L${i}+BSN${testBsn(i)}`,
    'ART+H+123456+Huisarts:de:P.+Praktijkplein:1::Utrecht:3513CC+0301112223',
    'AFD+Klinische chemie',
    'ARA:1+Dr. A. Klinisch',
    'DET:1+25:03:14+08:05',
    `IDE:1+J+A${i}+bloed`,
    'BEP:1:1:1+1+DIVERSEN',
    `BEP:1:1:2+0+HbA1c IFCC+${40 + (i % 30)}++mmol/mol+H++53+HBAC B`,
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

function interchange(count: number): Uint8Array {
  const segments = ['UNB+UNOA:1+500000111+500000222+250314:1012+BENCH1'];
  for (let i = 0; i < count; i++) segments.push(...message(i));
  segments.push(`UNZ+${count}+BENCH1`);
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

const bytes = interchange(MESSAGES);
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
