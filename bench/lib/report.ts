import { cpus, loadavg } from 'node:os';
import type { Summary } from './stats.js';

/** One measured figure; `ceiling` is what the engine does on the same connection without our code around it. */
export interface Figure extends Summary {
  readonly engine: string;
  readonly operation: string;
  readonly callers: number;
  readonly ceiling?: { readonly operation: string; readonly opsPerSec: number };
}

const COLUMNS = ['engine', 'operation', 'count', 'ops/s', 'p50 ms', 'p99 ms', 'ceiling', 'ratio'] as const;

const rate = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const ratioOf = (f: Figure) => (f.ceiling ? f.opsPerSec / f.ceiling.opsPerSec : undefined);

function cells(f: Figure): string[] {
  const ratio = ratioOf(f);
  return [
    f.engine,
    f.callers > 1 ? `${f.operation}, ${f.callers} callers` : f.operation,
    f.count.toLocaleString('en-US'),
    rate(f.opsPerSec),
    ms(f.p50Ms),
    ms(f.p99Ms),
    f.ceiling ? `${rate(f.ceiling.opsPerSec)} (${f.ceiling.operation})` : '-',
    ratio === undefined ? '-' : ratio.toFixed(2),
  ];
}

/** A Markdown table, readable as plain text too; the columns from `numericFrom` on right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], numericFrom: number): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((v, c) => (c >= numericFrom ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c >= numericFrom ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The figures as a Markdown table; numbers right-aligned. */
export function table(figures: readonly Figure[]): string {
  return markdownTable(COLUMNS, figures.map(cells), 2);
}

/** One JSON object per line, for scripts that collect results; `context` is repeated on every line. */
export function jsonLines(bench: string, figures: readonly Figure[], context: object): string {
  return figures
    .map((f) => JSON.stringify({ bench, ...context, ...f, ceiling: f.ceiling ?? null, ratio: ratioOf(f) ?? null }))
    .join('\n');
}

/** The load average (1, 5, 15 min), to note before and after a run on a machine shared with other work. */
export function loadAverage(): number[] {
  return loadavg().map((n) => Number(n.toFixed(2)));
}

/** The note on the load average around a run. */
export function loadNote(before: readonly number[], after: readonly number[]): string {
  return `load average (1, 5, 15 min) before ${before.join(', ')}, after ${after.join(', ')}, on ${cpus().length} CPUs`;
}
