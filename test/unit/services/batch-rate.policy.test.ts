// A createCases batch against the per-key budget: one request per 10 inputs (the first taken at the door), on both
// limiters (the shared one the server uses and the in-process bucket), and never more than a minute's worth.
import { RateLimiter } from '../../../src/graphql/security/rate-limit.guard';
import { SharedKeyRateLimit } from '../../../src/services/accounts/key-rate.service';
import { batchRequests, chargeBatch } from '../../../src/services/accounts/batch-rate.policy';
import type { KeyRateLimit } from '../../../src/services/accounts/key-rate.types';
import type { Database } from '../../../src/persistence/transaction.types';
import { createLogger } from '../../../src/observability/logger.factory';

it('counts a batch as one request per 10 inputs, rounded up', () => {
  expect([0, 1, 10, 11, 99, 100].map(batchRequests)).toEqual([1, 1, 1, 2, 10, 10]);
});

const limiters = (perMinute: number): Array<[string, KeyRateLimit]> => [
  ['shared', new SharedKeyRateLimit({} as Database, perMinute, createLogger('silent'), { now: () => 1_000 })],
  ['bucket', new RateLimiter(perMinute, () => 1_000)],
];

it.each(limiters(25))('%s: two batches of 100 fit in 25 a minute, a third is refused', (_name, limiter) => {
  const door = () => expect(limiter.take('k').allowed).toBe(true);
  door();
  chargeBatch(limiter, 'k', 100);
  door();
  chargeBatch(limiter, 'k', 100);
  door(); // 21 taken: the door lets the third batch in, its other 9 requests do not fit
  expect(() => chargeBatch(limiter, 'k', 100)).toThrow(
    expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } }),
  );
  // What was refused was not taken: four single requests still fit.
  for (let i = 0; i < 4; i++) door();
  expect(limiter.take('k').allowed).toBe(false);
});

it.each(limiters(5))(
  '%s: a batch worth more than a minute takes the whole minute instead of never passing',
  (_n, l) => {
    expect(l.take('k').allowed).toBe(true);
    expect(() => chargeBatch(l, 'k', 100)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    const fresh = limiters(5).find(([name]) => name === _n)![1];
    chargeBatch(fresh, 'k', 100);
    expect(fresh.take('k').allowed).toBe(false);
  },
);
