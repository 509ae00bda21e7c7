// One run: for each workload (Patient read, Observation search ?patient=…&_count=20), times in turn
//   ceiling    bare express 5 handler sending a fixed answer (crossgate bench/lib/fhir-server.js, kind 'ceiling')
//   crossgate  crossgate's in-memory reference (bench/lib/fhir-reference.js via fhir-server.js, kind 'reference')
//   nfsc       @asymmetrik/node-fhir-server-core 2.2.5, services as its docs show (schema classes per request)
//   nfsc-held  the same server, resources wrapped in its classes once at load (per request: Bundle + toJSON)
//   nfsc-plain the same server, services returning the plain JSON held in the Maps
// each in its own forked process (same V8 flags as the bench's server processes), with crossgate's load client,
// 32 keep-alive connections, 3 s warm-up + 15 s timed, CPU accounted as bench/fhir.ts does.
//   node driver.mjs [--duration 15] [--warmup 3] [--connections 32] [--only ceiling,crossgate,nfsc,nfsc-held,nfsc-plain]
//     [--out run1.json]; PROF_DIR=dir writes a --cpu-prof profile of each server process there.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const D = '../../dist/'; // the repository's own build (`npm run build` at the root), found beside this file
if (!existsSync(new URL(`${D}bench/lib/fhir-server.js`, import.meta.url))) {
  process.stderr.write('no build of Crossgate at ../../dist/: run `npm ci && npm run build` at the repository root first\n');
  process.exit(1);
}
const { Random } = await import(`${D}fixtures/synthetic/random.js`);
const { NODE_FLAGS } = await import(`${D}gateway/cli/node-flags.js`);
const { loadClient } = await import(`${D}bench/lib/fhir-load.js`);
const { Forked } = await import(`${D}bench/lib/forked.js`);
const { cpuMark, cpuShare } = await import(`${D}bench/lib/fhir-cpu.js`);
const { summarize } = await import(`${D}bench/lib/stats.js`);

const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' }, connections: { type: 'string', default: '32' },
  only: { type: 'string', default: 'ceiling,crossgate,nfsc,nfsc-held,nfsc-plain' }, out: { type: 'string' },
} });
const DURATION = Number(values.duration) * 1000;
const WARMUP = Number(values.warmup) * 1000;
const CONNECTIONS = Number(values.connections);
const ONLY = values.only.split(',');
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} driver: ${m}\n`);

const data = JSON.parse(readFileSync(new URL('./data.json', import.meta.url), 'utf8'));
const { basePath, publicUrl } = data; // /fhir/R4, https://crossgate.bench.invalid
const TP_BASE = '/4_0_1'; // node-fhir-server-core's own route pattern /:base_version/:resource[/:id]
const headers = { authorization: `Bearer ${'x'.repeat(40)}.${'y'.repeat(300)}.${'z'.repeat(86)}`, accept: 'application/fhir+json' };

const workloads = [
  {
    name: 'Patient read', route: `${basePath}/Patient/:id`, samples: data.reads,
    path: (s, base) => `${base}/Patient/${s.id}`,
    resources: (s) => [s.body],
    check: (body, s) => (body.resourceType === 'Patient' && body.id === s.id ? null : `not Patient ${s.id}`),
  },
  {
    name: 'Observation search', route: `${basePath}/Observation`, samples: data.searches,
    path: (s, base) => `${base}/Observation?patient=${s.id}&_count=20`,
    resources: (s) => s.body.entry.map((e) => e.resource),
    check: (body, s) => {
      if (body.resourceType !== 'Bundle' || body.type !== 'searchset') return 'not a searchset Bundle';
      const got = (body.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).join(' ');
      const want = s.body.entry.map((e) => `Observation/${e.resource.id}`).join(' ');
      if (got !== want) return `entries ${body.entry?.length} differ from the gateway's ${s.body.entry.length}`;
      if (body.entry.some((e) => e.resource.subject?.reference !== `Patient/${s.id}`)) return 'foreign Observation';
      return null;
    },
  },
];

/** The gateway answer the ceiling sends: of the fullest answers, the median-sized (as bench/fhir.ts picks it). */
function ceilingBody(w) {
  const n = (s) => w.resources(s).length;
  const most = Math.max(...w.samples.map(n));
  const fullest = w.samples.filter((s) => n(s) === most).sort((a, b) => a.bytes - b.bytes);
  return fullest[Math.floor(fullest.length / 2)].body;
}

const allResources = workloads.flatMap((w) => w.samples.flatMap(w.resources));
const servers = [];
function startServer(name, script, env, task) {
  const p = new Forked(fileURLToPath(new URL(script, import.meta.url)), { env: { ...process.env, ...env }, execArgv: [...NODE_FLAGS, ...(process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`] : [])], stdio: ['ignore', 2, 2, 'ipc'] }, name);
  servers.push(p);
  return p.call({ type: 'start', task }, 'listening').then((m) => ({ name, process: p, url: m.url }));
}

const figures = [];
try {
  const started = {};
  const specs = {
    ceiling: () => startServer('ceiling', `${D}bench/lib/fhir-server.js`, {}, { kind: 'ceiling', routes: workloads.map((w) => ({ path: w.route, body: ceilingBody(w) })) }),
    crossgate: () => startServer('crossgate', `${D}bench/lib/fhir-server.js`, {}, { kind: 'reference', baseUrl: `${publicUrl}${basePath}`, resources: allResources }),
    nfsc: () => startServer('nfsc', './tp-server.cjs', { TP_VARIANT: 'schemas' }, { kind: 'nfsc', baseUrl: `${publicUrl}${TP_BASE}`, resources: allResources }),
    'nfsc-held': () => startServer('nfsc-held', './tp-server.cjs', { TP_VARIANT: 'held' }, { kind: 'nfsc', baseUrl: `${publicUrl}${TP_BASE}`, resources: allResources }),
    'nfsc-plain': () => startServer('nfsc-plain', './tp-server.cjs', { TP_VARIANT: 'plain' }, { kind: 'nfsc', baseUrl: `${publicUrl}${TP_BASE}`, resources: allResources }),
  };
  // Timed in the order --only names them.
  for (const name of ONLY) {
    if (!specs[name]) throw new Error(`--only: no server ${name}; there are ${Object.keys(specs).join(', ')}`);
    started[name] = await specs[name]();
  }
  const baseOf = (name) => (name.startsWith('nfsc') ? TP_BASE : basePath);

  // Every answer of every server but the ceiling checked for all 50 keys of each workload before timing.
  for (const [name, s] of Object.entries(started)) {
    if (name === 'ceiling') continue;
    const client = loadClient(s.url, 1, headers);
    for (const w of workloads) {
      let bytes = 0;
      for (const sample of w.samples) {
        const a = await client.fetch(w.path(sample, baseOf(name)));
        if (a.status !== 200) throw new Error(`${name} ${w.name} ${sample.id}: ${a.status} ${a.body.slice(0, 300)}`);
        const problem = w.check(JSON.parse(a.body), sample);
        if (problem) throw new Error(`${name} ${w.name} ${sample.id}: ${problem}`);
        bytes += a.raw.length;
      }
      log(`${name}: ${w.name}: ${w.samples.length} answers checked, mean ${Math.round(bytes / w.samples.length)} bytes`);
    }
    client.close();
  }
  {
    // One answer of each server shown, headers included, for the record.
    for (const [name, s] of Object.entries(started)) {
      // node:http as the load client sends it: no Accept-Encoding, so the framework's compression stays idle.
      const got = await new Promise((resolve, reject) => http.get(`${s.url}${workloads[0].path(data.reads[0], baseOf(name))}`, { headers }, (res) => { res.resume(); res.on('end', () => resolve(res.headers)); }).on('error', reject));
      log(`${name} headers: ${Object.entries(got).map(([k, v]) => `${k}: ${String(v).length > 60 ? `${String(v).slice(0, 60)}…` : v}`).join(' | ')}`);
    }
  }

  for (const [w, workload] of workloads.entries()) {
    for (const [k, [name, s]] of Object.entries(started).entries()) {
      const rng = new Random(4701, w, 10 + k);
      const next = () => workload.path(rng.pick(workload.samples), baseOf(name));
      log(`${workload.name}: ${name}, ${CONNECTIONS} connections, ${WARMUP / 1000} + ${DURATION / 1000} s`);
      const client = loadClient(s.url, CONNECTIONS, headers);
      await client.run(WARMUP, next);
      const mark = () => cpuMark(async () => {
        const u = await s.process.call({ type: 'usage' }, 'usage');
        return { cpuS: u.cpuMicros / 1e6, loopActiveMs: u.loopActiveMs, loopIdleMs: u.loopIdleMs };
      }, 'no-such-database');
      const before = await mark();
      const result = await client.run(DURATION, next);
      const after = await mark();
      client.close();
      const cpu = cpuShare(before, after, result.wallMs);
      const sum = summarize(result.requests, result);
      const f = {
        server: name, workload: workload.name, requests: result.requests, errors: result.errors, firstError: result.firstError ?? null,
        reqPerS: sum.opsPerSec, p50Ms: sum.p50Ms, p99Ms: sum.p99Ms, meanBytes: Math.round(result.bytes / Math.max(1, result.requests)),
        cpuMsPerReq: (cpu.server * 1000) / sum.opsPerSec, serverCores: cpu.server, loopBusy: cpu.serverLoop,
        loadGenCores: cpu.loadGenerator, otherCores: cpu.other + (Number.isNaN(cpu.postgres) ? 0 : cpu.postgres), machineCores: cpu.machine,
      };
      figures.push(f);
      log(`  ${Math.round(f.reqPerS)}/s p50 ${f.p50Ms.toFixed(2)} p99 ${f.p99Ms.toFixed(2)} cpu ${f.cpuMsPerReq.toFixed(3)} ms/req, errors ${f.errors}`);
      if (f.errors) throw new Error(`${name} ${workload.name}: ${f.errors} errors, first ${f.firstError}`);
    }
  }
} finally {
  for (const s of servers) await s.stop({ type: 'stop' }, 'stopped', 10000);
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const rows = figures.map((f) => {
  const bare = figures.find((g) => g.server === 'ceiling' && g.workload === f.workload);
  return `| ${f.server} | ${f.workload} | ${fmt(f.reqPerS)} | ${f.p50Ms.toFixed(2)} | ${f.p99Ms.toFixed(2)} | ${f.cpuMsPerReq.toFixed(3)} | ${bare ? (f.reqPerS / bare.reqPerS).toFixed(2) : '-'} | ${bare ? (bare.cpuMsPerReq / f.cpuMsPerReq).toFixed(2) : '-'} | ${fmt(f.meanBytes)} | ${Math.round(f.loopBusy * 100)}% | ${f.serverCores.toFixed(2)} / ${f.loadGenCores.toFixed(2)} / ${f.otherCores.toFixed(2)} / ${f.machineCores.toFixed(2)} |`;
});
const table = ['| server | workload | req/s | p50 ms | p99 ms | server CPU ms/req | ratio to bare | CPU ratio (bare ms/req ÷ ms/req) | answer bytes | server loop busy | cores server / load gen / other / machine |',
  '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|', ...rows].join('\n');
process.stdout.write(`\n${CONNECTIONS} connections, ${WARMUP / 1000} s warm-up + ${DURATION / 1000} s timed; load average now ${loadavg().map((n) => n.toFixed(2)).join(', ')} on ${cpus().length} CPUs\n\n${table}\n`);
if (values.out) writeFileSync(values.out, JSON.stringify({ figures, loadavg: loadavg() }, null, 1));
