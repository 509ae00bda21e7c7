import { describe, expect, it } from '@jest/globals';
import { tokenBuckets } from './rate-limit.js';

describe('tokenBuckets', () => {
  it('lets a minute’s allowance through at once, then one more as each share of a minute passes', () => {
    const limiter = tokenBuckets(60);
    const t0 = 1_000_000;
    for (let i = 0; i < 60; i++) expect(limiter.take('a', t0).allowed).toBe(true);
    expect(limiter.take('a', t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('a', t0 + 500).allowed).toBe(false);
    expect(limiter.take('a', t0 + 1_000).allowed).toBe(true);
    expect(limiter.take('a', t0 + 1_000).allowed).toBe(false);
    // Another caller has a bucket of its own.
    expect(limiter.take('b', t0).allowed).toBe(true);
  });

  it('says how long until the next request is let through when the allowance is small', () => {
    const limiter = tokenBuckets(2);
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect(limiter.take('a', 29_000).allowed).toBe(false);
    expect(limiter.take('a', 30_000).allowed).toBe(true);
  });

  it('forgets idle callers when it holds too many, and treats a returning one as new', () => {
    const limiter = tokenBuckets(1);
    for (let i = 0; i < 50_000; i++) limiter.take(`k${i}`, 0);
    expect(limiter.take('k0', 0).allowed).toBe(false);
    // A minute later every bucket is full again, so a new caller makes room by dropping them.
    expect(limiter.take('new', 60_000).allowed).toBe(true);
    expect(limiter.take('k0', 60_000).allowed).toBe(true);
  });
});
