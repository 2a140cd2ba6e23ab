import { ApiProblem } from './problem';

/**
 * A token bucket per API key: `perMinute` requests a minute on average with bursts up to `burst`. It lives in the
 * API process, so with N API replicas a key gets up to N× the limit; that bounds abuse, which is its job here (QBO's
 * own limits are enforced per realm by the worker, not by this).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; throws a 429 problem with Retry-After when the bucket is empty. */
  take(key: string): { remaining: number; limit: number } {
    const now = this.clock();
    const refillPerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
      throw new ApiProblem(
        429,
        'rate_limited',
        `Too many requests for this API key; retry in ${waitSeconds} s.`,
        undefined,
        undefined,
        { 'Retry-After': String(waitSeconds) },
      );
    }
    bucket.tokens -= 1;
    return { remaining: Math.floor(bucket.tokens), limit: this.perMinute };
  }
}
