/**
 * Where the CPU went during a timed run of bench/fhir.ts. On a small machine the gateway, PostgreSQL and the
 * load generator share the same cores, so a rate says little without knowing who was busy: the whole machine
 * (/proc/stat, else os.cpus), the server process and this process (their own counters), and PostgreSQL (/proc,
 * Linux only).
 */
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

/** USER_HZ: the unit of the times in /proc/stat and /proc/<pid>/stat on every Linux build Node supports. */
const TICKS_PER_SECOND = 100;
/** A client backend's process title names its peer, `host(port)` or `[local]`; background processes do not. */
const CLIENT_BACKEND = /\(\d+\)|\[local\]/;

/** What the server process reports of itself: CPU seconds, and its event loop's busy and idle time. */
export interface ServerUsage {
  readonly cpuS: number;
  readonly loopActiveMs: number;
  readonly loopIdleMs: number;
}

/** CPU seconds used so far by each party. */
export interface CpuMark {
  readonly machineS: number;
  readonly server: ServerUsage;
  readonly loadS: number;
  /** By process id; undefined where /proc cannot be read. */
  readonly postgresS: ReadonlyMap<string, number> | undefined;
}

/** Cores kept busy on average between two marks. */
export interface CpuShare {
  readonly machine: number;
  readonly server: number;
  readonly loadGenerator: number;
  /** NaN where /proc cannot be read. */
  readonly postgres: number;
  /** The machine less the three above: other sessions' work, the kernel's network and disk work. */
  readonly other: number;
  /**
   * The share of the time the server's event loop was running callbacks rather than waiting for I/O: near 1,
   * its one JavaScript thread is what limits it, whatever the CPU columns say (a thread waiting for a core is busy).
   */
  readonly serverLoop: number;
}

interface PostgresProcess {
  readonly title: string;
  readonly seconds: number;
}

async function postgresProcesses(): Promise<Map<string, PostgresProcess> | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const found = new Map<string, PostgresProcess>();
  for (const pid of entries.filter((e) => /^\d+$/.test(e))) {
    let stat: string;
    let title: string;
    try {
      [stat, title] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
    } catch {
      // The process ended between the listing and the read.
      continue;
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    // Fields 14 and 15 (utime, stime), counted from field 3, the first after the command name.
    const fields = stat.slice(close + 2).split(' ');
    found.set(pid, { title: title.replaceAll('\0', ' '), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
  }
  return found;
}

/**
 * PostgreSQL's processes that work for `database`: its backends (and their parallel workers), and the background
 * processes every database shares (WAL writer, checkpointer, …); backends of other databases are someone else's.
 */
async function postgresSeconds(database: string): Promise<Map<string, number> | undefined> {
  const all = await postgresProcesses();
  if (!all) return undefined;
  const ours = (title: string) => !CLIENT_BACKEND.test(title) || title.includes(` ${database} `);
  const mine = new Map<string, number>();
  for (const [pid, p] of all) {
    const leader = /parallel worker for PID (\d+)/.exec(p.title)?.[1];
    const belongs = leader ? ours(all.get(leader)?.title ?? '') : ours(p.title);
    if (belongs) mine.set(pid, p.seconds);
  }
  return mine;
}

/**
 * Busy CPU seconds of the whole machine: all but idle and I/O wait, from /proc/stat where it exists, since
 * os.cpus() leaves out softirq (where the kernel moves loopback traffic) and steal (the hypervisor's other guests).
 */
async function machineSeconds(): Promise<number> {
  try {
    const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (proc(5)); idle and iowait are the time nobody used.
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
  } catch {
    return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) / 1000;
  }
}

export async function cpuMark(serverUsage: () => Promise<ServerUsage>, database: string): Promise<CpuMark> {
  const own = process.cpuUsage();
  const [machineS, server, postgresS] = await Promise.all([machineSeconds(), serverUsage(), postgresSeconds(database)]);
  return { machineS, server, loadS: (own.user + own.system) / 1e6, postgresS };
}

/**
 * Shares between two marks. A PostgreSQL process that started in between counts whole; one that ended in
 * between is lost (its time cannot be read any more), which for pooled backends does not happen mid-run.
 */
export function cpuShare(from: CpuMark, to: CpuMark, wallMs: number): CpuShare {
  const per = (seconds: number) => seconds / (wallMs / 1000);
  const machine = per(to.machineS - from.machineS);
  const server = per(to.server.cpuS - from.server.cpuS);
  const loopActive = to.server.loopActiveMs - from.server.loopActiveMs;
  const serverLoop = loopActive / (loopActive + to.server.loopIdleMs - from.server.loopIdleMs);
  const loadGenerator = per(to.loadS - from.loadS);
  let postgres = Number.NaN;
  if (from.postgresS && to.postgresS) {
    let seconds = 0;
    for (const [pid, s] of to.postgresS) seconds += s - (from.postgresS.get(pid) ?? 0);
    postgres = per(seconds);
  }
  // Counters sampled at slightly different moments can overshoot the machine's total by a little.
  return {
    machine, server, loadGenerator, postgres, serverLoop,
    other: Math.max(0, machine - server - loadGenerator - (Number.isNaN(postgres) ? 0 : postgres)),
  };
}
