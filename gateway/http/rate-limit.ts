/**
 * Token buckets, one per caller key, each holding up to a minute's allowance and refilled continuously: about
 * `perMinute` requests a minute, in bursts of at most that many. Kept in the process (each gateway process counts
 * its own callers), so the limit protects a process from one caller's flood; it is not a quota.
 */
export interface RateLimiter {
  /** Takes one request's token for `key` at `now` (ms); when none is left, how many seconds until one is. */
  take(key: string, now: number): { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };
}

/** Buckets kept at most; beyond this the full (idle) ones are dropped, since a full bucket is what a new one is. */
const MAX_BUCKETS = 50_000;

export function tokenBuckets(perMinute: number): RateLimiter {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, now: number) => Math.min(perMinute, b.tokens + (now - b.at) * perMs);
  return {
    take(key, now) {
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= MAX_BUCKETS) {
          for (const [k, b] of buckets) if (level(b, now) >= perMinute) buckets.delete(k);
        }
        bucket = { tokens: perMinute, at: now };
        buckets.set(key, bucket);
      }
      bucket.tokens = level(bucket, now);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}
