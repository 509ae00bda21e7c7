/**
 * One writer process of bench/audit.ts, standing in for one gateway process: its own pool and its own store and
 * appender. Started with fork(); gets its task, prepares and warms up, says it is ready, waits for the signal
 * that starts every writer at once, then sends back its timings.
 */
import { openDatabase } from '../../store/open.js';
import { createStore } from '../../store/store.js';
import { prepare, type FromWriter, type ToWriter } from './audit-work.js';

const inbox: ToWriter[] = [];
let waiting: ((message: ToWriter) => void) | undefined;
// Buffered from the start: the bench may answer "ready" with "go" before this process gets round to waiting.
process.on('message', (message: ToWriter) => {
  if (waiting) {
    const w = waiting;
    waiting = undefined;
    w(message);
  } else {
    inbox.push(message);
  }
});
const next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise<ToWriter>((resolve) => (waiting = resolve)));

const send = (message: FromWriter) =>
  new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));

try {
  const start = await next();
  if (start.type !== 'start') throw new Error(`expected the task, got "${start.type}"`);
  const { task } = start;
  const db = await openDatabase({ databaseUrl: start.databaseUrl, ...(task.kind === 'single-insert' ? { maxConnections: task.connections } : {}) });
  try {
    const run = await prepare(task, createStore(db), db);
    await send({ type: 'ready' });
    const go = await next();
    if (go.type !== 'go') throw new Error(`expected "go", got "${go.type}"`);
    await send({ type: 'done', result: await run() });
  } finally {
    await db.close();
  }
} catch (error) {
  await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
} finally {
  process.disconnect();
}
