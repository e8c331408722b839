// Per-API-key request rate limit in one process: a token bucket per key. The server uses the shared limit
// (services/accounts/key-rate.service.ts), which holds across API processes; this one serves tools and tests that
// run without a database.
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { KeyRateLimit, RateLimitDecision } from '../../services/accounts/key-rate.types';

export type { RateLimitDecision };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter implements KeyRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastPrune: number;

  /** `perMinute` 0 turns limiting off; the burst is one minute's worth, so steady clients never notice the limit. */
  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
    this.lastPrune = now();
  }

  take(key: string, units = 1): RateLimitDecision {
    if (this.perMinute <= 0) return { allowed: true, retryAfterSeconds: 0 };
    // The bucket holds one minute's worth: a larger charge takes all of it.
    const cost = Math.min(Math.max(1, Math.trunc(units)), this.perMinute);
    const now = this.now();
    this.prune(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAt: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / this.perMs / 1000)) };
  }

  /** Throws RATE_LIMITED (HTTP 429 with Retry-After) when `key` has used up its budget. */
  check(key: string): void {
    const decision = this.take(key);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds, this.perMinute, { http: true });
  }

  // A bucket that would be full again carries no information; dropping those keeps memory bounded by active keys.
  private prune(now: number): void {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [key, bucket] of this.buckets)
      if (bucket.tokens + (now - bucket.updatedAt) * this.perMs >= this.perMinute) this.buckets.delete(key);
  }
}

/** RATE_LIMITED; with `http`, Apollo also answers 429 with a Retry-After header. */
export function rateLimitedError(retryAfterSeconds: number, perMinute: number, options: { http: boolean }) {
  const http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
  return new GraphQLError(
    `Rate limit exceeded: at most ${perMinute} requests per minute per API key; retry after ${retryAfterSeconds} s`,
    { extensions: { code: 'RATE_LIMITED', retryAfterSeconds, ...(options.http ? { http } : {}) } },
  );
}
