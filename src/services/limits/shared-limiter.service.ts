// Limits shared by every worker process through PostgreSQL (provider_limits): a caller takes a slot before each
// call and reports refusals and circuit changes; the arithmetic is limit-state.policy.ts, the row lock serialises it.
import {
  changeProviderLimit,
  readProviderLimit,
  readProviderLimits,
} from '../../persistence/provider-limits.repository';
import type { Database } from '../../persistence/transaction.types';
import * as policy from './limit-state.policy';
import type { Circuit, Grant, LimitState, ReserveRequest } from './limit-state.policy';

/** The limiter's time: real by default; tests run it faster. */
export interface LimitClock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: LimitClock = { now: () => Date.now(), sleep: abortableSleep };

/** A slot waited for longer than this is checked again before use: a refusal meanwhile voids it. */
const RECHECK_AFTER_MS = 20;

export class LimiterStoppedError extends Error {
  override readonly name = 'LimiterStoppedError';
}

export class SharedLimiter {
  constructor(
    private readonly db: Database,
    readonly clock: LimitClock = realClock,
  ) {}

  /**
   * Waits for this caller's slot (sleeping, not polling) and returns it, or returns at once the open circuit (or the
   * probe's turn). A slot voided while waiting (a refusal, a circuit) is reserved again.
   */
  async take(key: string, request: ReserveRequest, signal?: AbortSignal): Promise<Grant> {
    for (;;) {
      throwIfAborted(signal);
      const grant = await this.change(key, (state, now) => {
        const reserved = policy.reserve(state, now, request);
        return { state: reserved.state, result: reserved.grant };
      });
      if (grant.kind !== 'slot') return grant;
      const wait = grant.at - this.clock.now();
      if (wait <= 0) return grant;
      await this.clock.sleep(wait, signal);
      if (wait < RECHECK_AFTER_MS) return grant;
      const state = await this.read(key);
      if (state.epoch === grant.epoch && !state.circuit && state.blockedUntil <= this.clock.now()) return grant;
    }
  }

  async read(key: string): Promise<LimitState> {
    return policy.readState(await readProviderLimit(this.db, key));
  }

  refuse(key: string, epoch: number, waitMs: number, declaredPerMinute: number | null = null): Promise<void> {
    return this.change(key, (state, now) => ({
      state: policy.refuse(state, now, { epoch, waitMs, declaredPerMinute }),
      result: undefined,
    }));
  }

  correctTokens(key: string, tokens: number, tokensPerMinute: number): Promise<void> {
    if (tokens === 0) return Promise.resolve();
    return this.change(key, (state) => ({
      state: policy.correctTokens(state, tokens, tokensPerMinute),
      result: undefined,
    }));
  }

  openCircuit(key: string, reason: string, probeEveryMs: number): Promise<Circuit> {
    return this.change(key, (state, now) => {
      const next = policy.openCircuit(state, now, reason, probeEveryMs);
      return { state: next, result: next.circuit! };
    });
  }

  /** True when this caller may probe the open circuit now (one caller per probe interval across every worker). */
  claimProbe(key: string, probeEveryMs: number): Promise<boolean> {
    return this.change(key, (state, now) => policy.claimProbe(state, now, probeEveryMs));
  }

  closeCircuit(key: string): Promise<void> {
    return this.change(key, (state) => ({ state: policy.closeCircuit(state), result: undefined }));
  }

  /** Keys under `prefix` whose circuit is open, for /readyz. */
  async openCircuits(prefix: string): Promise<Array<{ key: string; circuit: Circuit }>> {
    const rows = await readProviderLimits(this.db, prefix);
    return rows.flatMap(({ key, state }) => {
      const { circuit } = policy.readState(state);
      return circuit ? [{ key, circuit }] : [];
    });
  }

  private change<T>(key: string, fn: (state: LimitState, now: number) => { state: LimitState; result: T }) {
    return changeProviderLimit(this.db, key, (raw) => fn(policy.readState(raw), this.clock.now()));
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LimiterStoppedError('the limiter was stopped (shutting down)');
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LimiterStoppedError('the limiter was stopped (shutting down)'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LimiterStoppedError('the limiter was stopped (shutting down)'));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
