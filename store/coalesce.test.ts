import { describe, expect, it } from '@jest/globals';
import { coalesce } from './coalesce.js';

/** A write that records the batches it was given and holds each until released. */
function heldWrite() {
  const batches: number[][] = [];
  const held: (() => void)[] = [];
  const write = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<number[]>((resolve) => held.push(() => resolve(items.map((i) => i * 10))));
  };
  /** Releases the held writes one by one, each a turn after the last, until `done` settles. */
  const releaseUntil = async <T>(done: Promise<T>): Promise<T> => {
    let finished = false;
    done.then(() => { finished = true; }, () => { finished = true; });
    while (!finished) {
      await settled();
      held.shift()?.();
    }
    return done;
  };
  return { write, batches, releaseUntil };
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('coalesce', () => {
  it('writes callers that arrive while a batch is written as the next batch, each answered with its own result', async () => {
    const w = heldWrite();
    const call = coalesce(w.write, 100);
    const first = call(1);
    await settled();
    expect(w.batches).toEqual([[1]]);
    const rest = [2, 3, 4].map(call);
    await settled();
    expect(w.batches).toEqual([[1]]);
    expect(await w.releaseUntil(Promise.all([first, ...rest]))).toEqual([10, 20, 30, 40]);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('writes at most maxBatch items a call', async () => {
    const w = heldWrite();
    const call = coalesce(w.write, 2);
    expect(await w.releaseUntil(Promise.all([1, 2, 3, 4, 5].map(call)))).toEqual([10, 20, 30, 40, 50]);
    expect(w.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects the callers of a failed batch only, and goes on with the next', async () => {
    let calls = 0;
    const call = coalesce(async (items: readonly string[]) => {
      calls += 1;
      if (calls === 1) throw new Error('the database went away');
      return items.map((i) => i.toUpperCase());
    }, 10);
    const failed = [call('a'), call('b')];
    await expect(failed[0]).rejects.toThrow('the database went away');
    await expect(failed[1]).rejects.toThrow('the database went away');
    expect(await call('c')).toBe('C');
  });

  it('rejects a batch whose write answers a different number of results', async () => {
    const call = coalesce(async (items: readonly number[]) => items.slice(1), 10);
    await expect(Promise.all([call(1), call(2)])).rejects.toThrow('a batch of 2 was handled with 1 results');
  });
});
