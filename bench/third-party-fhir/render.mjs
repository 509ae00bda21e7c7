// node render.mjs run1.json …: the table of a run, with "other" cores (other sessions' work) per row.
import { readFileSync } from 'node:fs';
for (const file of process.argv.slice(2)) {
  const { figures } = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`\n${file}\n| server | workload | req/s | p50 ms | p99 ms | CPU ms/req | ratio to bare (req/s) | ratio to bare (CPU/req) | other cores |\n|---|---|--:|--:|--:|--:|--:|--:|--:|`);
  for (const f of figures) {
    const b = figures.find((g) => g.server === 'ceiling' && g.workload === f.workload);
    console.log(`| ${f.server} | ${f.workload} | ${Math.round(f.reqPerS)} | ${f.p50Ms.toFixed(1)} | ${f.p99Ms.toFixed(1)} | ${f.cpuMsPerReq.toFixed(3)} | ${(f.reqPerS / b.reqPerS).toFixed(2)} | ${(b.cpuMsPerReq / f.cpuMsPerReq).toFixed(2)} | ${f.otherCores.toFixed(2)} |`);
  }
}
