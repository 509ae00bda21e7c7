import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStore, engineUnderTest, type TestStore } from '../test/support/database.js';
import { AuditChainBroken, canonicalJson, checkTail, createAuditAppender, entryDigest, linkHash, loadSigningKey, newSigningKey, signCheckpoint, verifyChain, type AuditAppender } from './index.js';

let t: TestStore;
let appender: AuditAppender;
beforeAll(async () => {
  t = await openTestStore();
  appender = createAuditAppender(t.store);
});
afterAll(async () => t.close());

/** Superuser access that bypasses the append-only triggers, as an attacker with database access would. */
const asSuperuser = (sql: string, params: unknown[] = []) =>
  t.db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    return tx.query(sql, params);
  });

const event = (i: number) => ({
  transaction: 'fhir-search' as const, action: 'Observation?patient', outcome: 'success' as const,
  actor: { type: 'partner' as const, organizationId: randomUUID(), name: `Dr. Example ${i}`, role: 'physician' },
  purpose: { asReceived: 'TREAT', matched: 'Treatment' }, patientIds: [randomUUID()], returned: [`Observation/${i}`],
  decision: { result: 'permit' as const, reason: 'clinic default', policyVersion: '3' }, requestId: `req-${i}`,
});

describe(`the audit trail on ${engineUnderTest}`, () => {
  it('chains concurrent appends into one line that verifies', async () => {
    const records = await Promise.all(Array.from({ length: 300 }, (_, i) => appender.append(event(i))));
    const seqs = records.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(records[0]!.content.actor.name).toBe('Dr. Example 0');
    const result = await verifyChain(t.store);
    expect(result).toEqual({ ok: true, checked: 300, headSeq: 300, checkpointsChecked: 0 });
    expect(await verifyChain(t.store, undefined, { deep: true })).toEqual(result);
  });

  it('rejects a malformed record with a promise rejection naming the field, and writes nothing', async () => {
    const before = await t.store.audit.head();
    const appended = appender.append({ ...event(0), outcome: 'maybe' } as never);
    await expect(appended).rejects.toThrow(/outcome/);
    expect(await t.store.audit.head()).toEqual(before);
  });

  it('verifies the chain up to its head while appends go on', async () => {
    const appending = Promise.all(Array.from({ length: 200 }, (_, i) => appender.append(event(1000 + i))));
    const result = await verifyChain(t.store);
    await appending;
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(result.headSeq);
    const after = await verifyChain(t.store);
    expect(after).toMatchObject({ ok: true, checked: 500, headSeq: 500 });
    await asSuperuser('DELETE FROM audit_records WHERE seq > 300');
    await t.db.query("UPDATE audit_chain_head SET seq = 300, hash = (SELECT hash FROM audit_records WHERE seq = 300)");
  });

  it('computes in the database the same entry digest as the writer, whatever characters the columns hold', async () => {
    const awkward = ['quote " backslash \\ slash /', 'tab\t newline\n return\r \u0001 \u001f \u007f', 'é ñ 中文 🩺 \u2028 \u2029', ' ', '{"json": [1]}'];
    const fresh = await openTestStore();
    try {
      const a = createAuditAppender(fresh.store);
      for (const [i, text] of awkward.entries()) {
        await a.append({ transaction: 'security', action: text, outcome: 'success', actor: { type: 'partner', name: text, organizationId: randomUUID().toUpperCase() },
          patientIds: i % 2 ? [] : [randomUUID(), randomUUID()], ...(i % 2 ? { requestId: text } : {}) });
      }
      const rows = await fresh.store.audit.range(0, 10);
      const links = await fresh.store.audit.links(0, 10);
      expect(links.map((l) => l.digest)).toEqual(rows.map((r) => entryDigest(r)));
      expect(links.map((l) => l.recordedAt)).toEqual(rows.map((r) => r.recordedAt));
      expect((await verifyChain(fresh.store)).ok).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await expect(t.db.query("UPDATE audit_records SET outcome = 'failure' WHERE seq = 1")).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.db.query('DELETE FROM audit_records WHERE seq = 1')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(t.db.query('TRUNCATE audit_records')).rejects.toThrow(/append-only: TRUNCATE refused/);
  });

  it('names the record a superuser changed by SQL, whether in the body or in a search column', async () => {
    const original = (await t.store.audit.get(42))!;
    await asSuperuser('UPDATE audit_records SET body = replace(body, $1, $2) WHERE seq = 42', ['Dr. Example 41', 'Dr. Someone Else']);
    expect(await verifyChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 42, reason: 'hash does not match the record content' } });
    await asSuperuser('UPDATE audit_records SET body = $1 WHERE seq = 42', [original.body]);
    await asSuperuser("UPDATE audit_records SET decision = 'deny' WHERE seq = 17");
    expect(await verifyChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 17, reason: 'hash does not match the record content' } });
    expect(await verifyChain(t.store, undefined, { deep: true })).toMatchObject({ ok: false, firstBroken: { seq: 17, reason: 'hash does not match the record content' } });
    await asSuperuser("UPDATE audit_records SET decision = 'permit' WHERE seq = 17");
    expect((await verifyChain(t.store)).ok).toBe(true);
  });

  it('proves with a signed checkpoint that nothing before it changed, even after a consistent rewrite', async () => {
    const key = loadSigningKey(newSigningKey());
    const checkpoint = (await signCheckpoint(t.store, key, new Date('2026-11-22T12:00:00Z')))!;
    expect(checkpoint.seq).toBe(300);
    expect(await verifyChain(t.store, key.publicKey)).toMatchObject({ ok: true, checkpointsChecked: 1 });

    // Rewrite record 100 and relink every later record, as someone with full database access could.
    const rows = await t.store.audit.range(99, 1000);
    let prev = (await t.store.audit.get(99))!.hash;
    for (const row of rows) {
      const body = row.seq === 100 ? row.body.replace('Dr. Example 99', 'Dr. Nobody') : row.body;
      const rewritten = { ...row, body, actorName: JSON.parse(body).actor.name as string };
      const hash = linkHash(prev, row.seq, row.recordedAt, entryDigest(rewritten));
      await asSuperuser(
        'UPDATE audit_records SET body = $2, prev_hash = $3, hash = $4, actor_name = $5 WHERE seq = $1',
        [row.seq, body, prev, hash, rewritten.actorName],
      );
      prev = hash;
    }
    await t.db.query('UPDATE audit_chain_head SET hash = $1', [prev]);
    const result = await verifyChain(t.store, key.publicKey);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toEqual({ seq: 300, reason: expect.stringMatching(/^checkpoint 300 signed hash [0-9a-f]{12}… but the chain has/) });
  });

  it('finds, when asked to look deep, search columns that a faulty writer stored against its record', async () => {
    const fresh = await openTestStore();
    try {
      const good = { body: canonicalJson({ transaction: 'security', action: 'x', outcome: 'success', actor: { type: 'system' }, patientIds: [], returned: [] }) };
      const columns = { transaction: 'security', action: 'x', outcome: 'success', purpose: null, decision: null, actorType: 'system', userId: null,
        organizationId: null, connectionId: null, actorName: null, patientIds: [] as string[], requestId: null };
      const entries = [{ ...good, ...columns }, { ...good, ...columns, outcome: 'failure' }];
      await fresh.store.audit.appendChained(entries.map((e) => ({ ...e, digest: entryDigest(e) })));
      expect((await verifyChain(fresh.store)).ok).toBe(true);
      expect((await verifyChain(fresh.store, undefined, { deep: true })).firstBroken).toEqual({ seq: 2, reason: 'search column outcome differs from the body' });
    } finally {
      await fresh.close();
    }
  });

  it('catches, with checkpoints kept outside the database, a rewrite re-signed with the key of the data directory, and a cut tail', async () => {
    const fresh = await openTestStore();
    try {
      const a = createAuditAppender(fresh.store);
      for (let i = 0; i < 6; i++) await a.append(event(i));
      const key = loadSigningKey(newSigningKey());
      const kept = { checkpoints: [(await signCheckpoint(fresh.store, key, new Date('2026-11-22T12:00:00Z')))!], publicKey: key.publicKey };
      expect(await verifyChain(fresh.store, key.publicKey, { kept })).toMatchObject({ ok: true, checkpointsChecked: 1, keptChecked: 1 });

      // Whoever holds the database and the signing key rewrites record 2, relinks the rest and signs the new head.
      let prev = (await fresh.store.audit.get(1))!.hash;
      const rows = await fresh.store.audit.range(1, 100);
      await fresh.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        for (const row of rows) {
          const body = row.seq === 2 ? row.body.replace('Dr. Example 1', 'Dr. Nobody') : row.body;
          const rewritten = { ...row, body, actorName: JSON.parse(body).actor.name as string };
          const hash = linkHash(prev, row.seq, row.recordedAt, entryDigest(rewritten));
          await tx.query('UPDATE audit_records SET body = $2, prev_hash = $3, hash = $4, actor_name = $5 WHERE seq = $1', [row.seq, body, prev, hash, rewritten.actorName]);
          prev = hash;
        }
        await tx.query('UPDATE audit_chain_head SET hash = $1', [prev]);
        await tx.query('DELETE FROM audit_checkpoints');
      });
      await signCheckpoint(fresh.store, key, new Date('2026-11-22T13:00:00Z'));
      expect(await verifyChain(fresh.store, key.publicKey)).toMatchObject({ ok: true, checkpointsChecked: 1 });
      expect((await verifyChain(fresh.store, key.publicKey, { kept })).firstBroken).toEqual({ seq: 6, reason: expect.stringMatching(/^kept outside: checkpoint 6 signed hash [0-9a-f]{12}… but the chain has/) });

      await fresh.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query('DELETE FROM audit_records WHERE seq > 4');
        await tx.query('DELETE FROM audit_checkpoints');
        await tx.query(`UPDATE audit_chain_head SET seq = 4, hash = (SELECT hash FROM audit_records WHERE seq = 4)`);
      });
      expect((await verifyChain(fresh.store, key.publicKey)).ok).toBe(true);
      expect((await verifyChain(fresh.store, key.publicKey, { kept })).firstBroken).toEqual({ seq: 6, reason: 'kept outside: checkpoint 6 names a record the chain no longer has' });
    } finally {
      await fresh.close();
    }
  });

  it('signs no checkpoint over a record changed since the latest one', async () => {
    const fresh = await openTestStore();
    try {
      const a = createAuditAppender(fresh.store);
      for (let i = 0; i < 4; i++) await a.append(event(i));
      const key = loadSigningKey(newSigningKey());
      await signCheckpoint(fresh.store, key, new Date('2026-11-22T12:00:00Z'));
      for (let i = 4; i < 8; i++) await a.append(event(i));
      expect(await checkTail(fresh.store)).toEqual({ head: { seq: 8, hash: expect.any(String) } });
      await fresh.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query(`UPDATE audit_records SET hash = repeat('0', 64) WHERE seq = 6`);
      });
      expect((await checkTail(fresh.store)).broken).toEqual({ seq: 6, reason: 'hash does not match the record content' });
      await expect(signCheckpoint(fresh.store, key, new Date('2026-11-22T13:00:00Z'))).rejects.toThrow(AuditChainBroken);
      expect((await fresh.store.audit.checkpoints()).map((c) => c.seq)).toEqual([4]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a checkpoint signed by another key, and a chain cut short after its checkpoint', async () => {
    const fresh = await openTestStore();
    try {
      const a = createAuditAppender(fresh.store);
      for (let i = 0; i < 5; i++) await a.append(event(i));
      const key = loadSigningKey(newSigningKey());
      await signCheckpoint(fresh.store, key, new Date('2026-11-22T12:00:00Z'));
      expect((await verifyChain(fresh.store, loadSigningKey(newSigningKey()).publicKey)).firstBroken).toEqual({ seq: 5, reason: 'checkpoint 5 signature does not verify' });
      await fresh.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query('DELETE FROM audit_records WHERE seq > 3');
        await tx.query(`UPDATE audit_chain_head SET seq = 3, hash = (SELECT hash FROM audit_records WHERE seq = 3)`);
      });
      expect((await verifyChain(fresh.store, key.publicKey)).firstBroken).toEqual({ seq: 5, reason: 'checkpoint 5 names a record the chain no longer has' });
    } finally {
      await fresh.close();
    }
  });
});

describe(`concurrent appenders on ${engineUnderTest}`, () => {
  it('keeps one chain, without gaps or forks, with 4 writers appending 1,000 records each', async () => {
    const fresh = await openTestStore();
    try {
      if (fresh.database.options.databaseUrl) {
        const worker = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'test', 'support', 'audit-worker.js');
        const run = (n: number) => new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [worker, '1000', '25', String(n)], { env: { ...process.env, DATABASE_URL: fresh.database.options.databaseUrl } });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`worker ${n} exited with ${code}`))));
        });
        expect(await Promise.all([0, 1, 2, 3].map(run))).toEqual(['1000', '1000', '1000', '1000']);
      } else {
        // The embedded database belongs to one process: four appenders in it stand in for four processes.
        const appenders = [0, 1, 2, 3].map(() => createAuditAppender(fresh.store));
        await Promise.all(appenders.map((a, n) => Promise.all(Array.from({ length: 1000 }, (_, i) =>
          a.append({ transaction: 'security', action: `worker-${n}-${i}`, outcome: 'success', actor: { type: 'system' } })))));
      }
      expect(await verifyChain(fresh.store)).toEqual({ ok: true, checked: 4000, headSeq: 4000, checkpointsChecked: 0 });
      const rows = await fresh.store.audit.range(0, 5000);
      expect(new Set(rows.map((r) => JSON.parse(r.body).action as string)).size).toBe(4000);
      // The time is taken once the chain is ours, so it never goes backwards along the chain.
      const backwards = rows.filter((r, i) => i > 0 && r.recordedAt < rows[i - 1]!.recordedAt);
      expect(backwards.map((r) => r.seq)).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
