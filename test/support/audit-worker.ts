import { openStore } from '../../store/index.js';
import { createAuditAppender } from '../../audit/index.js';

/**
 * A separate gateway-like process for the concurrency test: appends `count` audit records, `concurrency` at a
 * time, to the database in DATABASE_URL, then prints how many it appended.
 */
const [count, concurrency, worker] = process.argv.slice(2).map(Number) as [number, number, number];
const store = await openStore({ databaseUrl: process.env.DATABASE_URL!, migrate: false });
const appender = createAuditAppender(store);
let next = 0;
let done = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count) {
    const i = next++;
    await appender.append({ transaction: 'security', action: `worker-${worker}-${i}`, outcome: 'success', actor: { type: 'system' } });
    done += 1;
  }
}));
await store.close();
process.stdout.write(`${done}\n`);
