// One request budget per API key, shared by every face (GraphQL, REST, graphql-ws, the local inbound route) and
// every API process. The hot path never waits for the database: each process counts locally and, every
// `flushMs`, adds its counts to the key's row for the current minute and learns the total from every process in
// return. A key can therefore overshoot by what other processes accepted since their last flush (at most
// processes x rate x flushMs), and a fixed one-minute window allows up to twice the rate across a window boundary;
// both are the price of a limit that costs no round trip per request.
import type { Database } from '../../persistence/transaction.types';
import type { Logger } from '../../observability/logger.factory';
import {
  addRateLimitHits,
  deleteRateLimitWindowsBefore,
  readRateLimitHits,
} from '../../persistence/rate-limit.repository';
import type { KeyRateLimit, RateLimitDecision } from './key-rate.types';

const WINDOW_MS = 60_000;

interface KeyCount {
  /** Total for the window as the database last reported it (every process's flushed hits). */
  known: number;
  /** Accepted here and not yet flushed. */
  pending: number;
}

export interface SharedKeyRateOptions {
  flushMs?: number;
  now?: () => number;
}

export class SharedKeyRateLimit implements KeyRateLimit {
  private window = 0;
  private counts = new Map<string, KeyCount>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastCleanup = 0;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    readonly perMinute: number,
    private readonly logger: Logger,
    private readonly options: SharedKeyRateOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.perMinute <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs ?? 200);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  take(keyId: string, units = 1): RateLimitDecision {
    if (this.perMinute <= 0) return { allowed: true, retryAfterSeconds: 0 };
    // More than a minute's budget at once could never pass: it takes the whole minute instead.
    const cost = Math.min(Math.max(1, Math.trunc(units)), this.perMinute);
    const now = this.now();
    this.roll(now);
    const count = this.counts.get(keyId) ?? { known: 0, pending: 0 };
    this.counts.set(keyId, count);
    if (count.known + count.pending + cost > this.perMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((this.window + WINDOW_MS - now) / 1000));
      return { allowed: false, retryAfterSeconds };
    }
    count.pending += cost;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Adds this process's pending hits to the shared rows and takes back the totals. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const window = this.window;
    const counts = this.counts;
    const hits = new Map<string, number>();
    const idle: string[] = [];
    for (const [key, count] of counts) {
      if (count.pending > 0) hits.set(key, count.pending);
      else if (count.known < this.perMinute) idle.push(key);
    }
    try {
      const windowStart = new Date(window);
      // Keys used here since the last flush add their hits; the others still learn what other processes spent.
      const [added, read] = await Promise.all([
        addRateLimitHits(this.db.manager, windowStart, hits),
        readRateLimitHits(this.db.manager, windowStart, idle),
      ]);
      for (const [key, sent] of hits) counts.get(key)!.pending -= sent;
      for (const [key, total] of [...added, ...read]) {
        const count = counts.get(key)!;
        count.known = Math.max(count.known, total);
      }
      await this.cleanup(window);
    } catch (error) {
      // The local counts still limit this process; the next flush retries the shared ones.
      this.logger.warn({ err: error }, 'rate limit: shared counts not updated');
    }
  }

  private roll(now: number): void {
    const window = now - (now % WINDOW_MS);
    if (window === this.window) return;
    this.window = window;
    this.counts = new Map();
  }

  private async cleanup(window: number): Promise<void> {
    if (window - this.lastCleanup < WINDOW_MS) return;
    this.lastCleanup = window;
    await deleteRateLimitWindowsBefore(this.db.manager, new Date(window - WINDOW_MS));
  }
}
