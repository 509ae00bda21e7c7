import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createAuditAppender } from '../../audit/index.js';
import { InboundStatus, type InboundMessage, type InboundPart, type Issue } from '../../canonical/index.js';
import type { RootStore } from '../../store/index.js';
import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { ketenzorgAdapter } from '../inbound/ketenzorg.js';
import { labAdapter } from '../inbound/lab.js';
import { channelOf } from '../inbound/message-id.js';
import { PARTS_QUARANTINED } from '../inbound/filing.js';
import type { Channel, InboundAdapter } from '../inbound/parsed.js';
import { createInboundPipeline, SENDER_KIND, type InboundActor, type InboundOutcome, type InboundPipeline } from '../inbound/pipeline.js';

/**
 * `crossgate inbound list|replay` and `crossgate ingest FILE...`: the same pipeline the HTTP endpoints use, so a
 * file loaded from an archive is stored, deduplicated, filed, quarantined and audited exactly as if its sender
 * had posted it. The audit trail names the operator's account on this machine.
 */
type WithStore = (fn: (store: RootStore, c: Config) => Promise<void>) => Promise<void>;

const ADAPTERS: Readonly<Record<Channel, InboundAdapter<unknown>>> = { ketenzorg: ketenzorgAdapter, lab: labAdapter };
/** The problems that stopped something; the summary of quarantined parts is left out, their own problems follow. */
const FAILING = (i: Issue) => (i.severity === 'fatal' || i.severity === 'error') && i.code !== PARTS_QUARANTINED;

function pipelineFor(store: RootStore, c: Config): InboundPipeline {
  // Logs go to stderr: stdout is the command's answer.
  return createInboundPipeline({ store, audit: createAuditAppender(store), logger: createLogger(c.logLevel, process.stderr) });
}

const operator = (command: string): InboundActor => ({ type: 'system', name: `crossgate ${command} by ${userInfo().username}` });

const count = (max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
  return n;
};

/** What a person reading a terminal needs of a message: status, parts, and the problems that stopped anything. */
function describe(message: InboundMessage, parts: readonly InboundPart[]): string {
  const of = (s: InboundPart['status']) => parts.filter((p) => p.status === s).length;
  const problems = [...message.issues, ...parts.filter((p) => p.status !== 'filed').flatMap((p) => p.issues)].filter(FAILING);
  return [
    `${message.id} ${message.format} ${message.messageId} from ${message.sender}: ${message.status} (attempt ${message.attempts}; parts ${of('filed')} filed, ${of('waiting')} waiting for a patient match, ${of('quarantined')} quarantined)`,
    ...problems.map((i) => `  ${i.code}: ${i.message}`),
  ].join('\n');
}

export function inboundCommands(program: Command, withStore: WithStore): void {
  const inbound = program.command('inbound').description('inbound messages from GP systems and labs: the log, and replay after a fix');
  inbound
    .command('list')
    .description('stored messages, newest first, with status and the problems that stopped them (never the payload)')
    .addOption(new Option('--status <status>', 'only this status').choices(InboundStatus.options))
    .option('--sender <connection id>', 'only messages from this connection')
    .option('--limit <n>', 'how many', count(1000), 50)
    .action(async (options: { status?: InboundStatus; sender?: string; limit: number }) => {
      await withStore(async (store) => {
        const messages = await store.inbound.list({ ...(options.status ? { status: options.status } : {}), ...(options.sender ? { sender: options.sender } : {}), limit: options.limit });
        for (const m of messages) process.stdout.write(`${describe(m, await store.filing.parts(m.id))}\n`);
      });
    });
  inbound
    .command('replay <id>')
    .description('file a quarantined (or never filed) message again, after a fix; exit 1 while it stays quarantined')
    .action(async (id: string) => {
      await withStore(async (store, c) => {
        const outcome = await pipelineFor(store, c).replay(id, operator('inbound replay'));
        process.stdout.write(`${describe(outcome.message, outcome.parts)}\n`);
        if (outcome.message.status !== 'processed') process.exitCode = 1;
      });
    });

  program
    .command('ingest <files...>')
    .description('load message files (archives) through the inbound pipeline as if the sender had posted them; exit 1 when anything is quarantined or unreadable')
    .requiredOption('--sender <connection id>', 'the connection the messages came from (his for ketenzorg, lab for MEDLAB): ids are deduplicated per sender')
    .addOption(new Option('--format <format>', 'the files\' format, instead of sniffing each').choices(['ketenzorg', 'lab']))
    .option('--concurrency <n>', 'files filed at once', count(64), 4)
    .action(async (files: string[], options: { sender: string; format?: Channel; concurrency: number }) => {
      await withStore(async (store, c) => {
        const connection = await store.connections.get(options.sender).catch(() => undefined);
        if (!connection) throw new Error(`no connection ${options.sender}`);
        process.exitCode = await ingest(pipelineFor(store, c), connection, files, options);
      });
    });
}

export interface Tally {
  filed: number;
  waiting: number;
  duplicates: number;
  quarantined: { file: string; reasons: string[] }[];
  unread: { file: string; reason: string }[];
  /** The inbound messages counted as filed or quarantined so far. */
  readonly counted: Set<string>;
}

/**
 * Counts one file's outcome. Two copies of one message filed at once both end well, and which of them did the
 * filing is a race (either may say it was no duplicate): the message is counted once, every other copy as a
 * duplicate.
 */
export function tallyOutcome(tally: Tally, file: string, outcome: Pick<InboundOutcome<unknown>, 'duplicate' | 'message' | 'parts'>): void {
  if (outcome.duplicate || tally.counted.has(outcome.message.id)) {
    tally.duplicates += 1;
    return;
  }
  tally.counted.add(outcome.message.id);
  if (outcome.message.status === 'quarantined') {
    const issues = [...outcome.message.issues, ...outcome.parts.filter((p) => p.status === 'quarantined').flatMap((p) => p.issues)].filter(FAILING);
    tally.quarantined.push({ file, reasons: [...new Set(issues.map((i) => `${i.code}: ${i.message}`))] });
  } else tally.filed += 1;
  tally.waiting += outcome.parts.filter((p) => p.status === 'waiting').length;
}

async function ingest(
  pipeline: InboundPipeline, connection: NonNullable<Awaited<ReturnType<RootStore['connections']['get']>>>, files: readonly string[],
  options: { format?: Channel; concurrency: number },
): Promise<number> {
  const started = Date.now();
  const tally: Tally = { filed: 0, waiting: 0, duplicates: 0, quarantined: [], unread: [], counted: new Set() };
  const actor = operator('ingest');
  let done = 0;
  const progress = () => {
    if (!process.stderr.isTTY) return;
    process.stderr.write(`\ringesting ${done}/${files.length} files: ${tally.filed} filed, ${tally.duplicates} duplicates, ${tally.quarantined.length} quarantined, ${tally.unread.length} not read`);
  };
  const one = async (file: string) => {
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (error) {
      tally.unread.push({ file, reason: (error as NodeJS.ErrnoException).code ?? 'cannot be read' });
      return;
    }
    const channel = options.format ?? channelOf(raw);
    if (!channel) return void tally.unread.push({ file, reason: 'neither XML nor EDIFACT: give --format' });
    if (SENDER_KIND[channel] !== connection.kind) return void tally.unread.push({ file, reason: `a ${channel} message, but the sender is a ${connection.kind} connection` });
    tallyOutcome(tally, file, await pipeline.receive(ADAPTERS[channel], { connection, raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), actor }));
  };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      await one(file);
      done += 1;
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, files.length) }, worker));
  if (process.stderr.isTTY) process.stderr.write('\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = [
    `ingested ${files.length} files in ${seconds} s: ${tally.filed} filed (${tally.waiting} parts waiting for a patient match), ${tally.duplicates} duplicates, ${tally.quarantined.length} quarantined, ${tally.unread.length} not read`,
    ...(tally.quarantined.length > 0 ? ['quarantined:', ...tally.quarantined.flatMap((q) => [`  ${q.file}`, ...q.reasons.map((r) => `    ${r}`)])] : []),
    ...(tally.unread.length > 0 ? ['not read:', ...tally.unread.map((u) => `  ${u.file}: ${u.reason}`)] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return tally.quarantined.length + tally.unread.length > 0 ? 1 : 0;
}
