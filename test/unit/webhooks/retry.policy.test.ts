import {
  isRetryableDelivery,
  nextAttemptDelayMs,
  parseRetryAfterMs,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_MAX_RETRY_AFTER_MS,
  WEBHOOK_RETRY_SCHEDULE_MS,
} from '../../../src/webhooks/retry.policy';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const middle = (): number => 0.5; // no jitter

describe('retry schedule', () => {
  it("is Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(WEBHOOK_RETRY_SCHEDULE_MS).toEqual([0, 5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 10 * H]);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(8);
  });

  it.each([
    [1, 5 * S],
    [2, 5 * MIN],
    [3, 30 * MIN],
    [4, 2 * H],
    [5, 5 * H],
    [6, 10 * H],
    [7, 10 * H],
    [8, null],
    [9, null],
  ])('after failed attempt %i waits %p', (attempt, expected) => {
    expect(nextAttemptDelayMs(attempt, { random: middle })).toBe(expected);
  });

  it('refuses attempt numbers that are not positive integers', () => {
    expect(() => nextAttemptDelayMs(0)).toThrow(RangeError);
    expect(() => nextAttemptDelayMs(1.5)).toThrow(RangeError);
  });
});

describe('jitter', () => {
  it.each([
    [0, 0.8],
    [0.25, 0.9],
    [0.999999, 1.2],
  ])('random %p scales the delay by about %p', (random, factor) => {
    expect(nextAttemptDelayMs(4, { random: () => random })).toBeCloseTo(2 * H * factor, -2);
  });

  it('stays within ±20% for any random value', () => {
    for (let i = 0; i < 1000; i += 1) {
      const delay = nextAttemptDelayMs(2, { random: Math.random }) as number;
      expect(delay).toBeGreaterThanOrEqual(0.8 * 5 * MIN);
      expect(delay).toBeLessThanOrEqual(1.2 * 5 * MIN);
    }
  });
});

describe('Retry-After', () => {
  it('lengthens the delay when it asks for more than the schedule', () => {
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterMs: 120 * S })).toBe(120 * S);
  });

  it('never shortens the schedule', () => {
    expect(nextAttemptDelayMs(3, { random: middle, retryAfterMs: 0 })).toBe(30 * MIN);
    expect(nextAttemptDelayMs(3, { random: middle, retryAfterMs: 10 * S })).toBe(30 * MIN);
  });

  it('is capped at a day', () => {
    expect(nextAttemptDelayMs(1, { random: middle, retryAfterMs: 3 * 24 * H })).toBe(WEBHOOK_MAX_RETRY_AFTER_MS);
  });

  it('does not add attempts', () => {
    expect(nextAttemptDelayMs(8, { random: middle, retryAfterMs: 10 * S })).toBeNull();
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['120', 120 * S],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:05:00 GMT', 5 * MIN],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0], // in the past
    ['-5', null],
    ['1.5', null],
    ['soon', null],
    ['2026-01-01T00:05:00Z', null], // not an HTTP date
    ['', null],
    [undefined, null],
    [null, null],
  ])('%p -> %p', (header, expected) => {
    expect(parseRetryAfterMs(header, now)).toBe(expected);
  });
});

describe('isRetryableDelivery', () => {
  it.each([
    [{ ok: true, error: null }, false],
    [{ ok: false, error: { code: 'HTTP_STATUS' as const, message: '500' } }, true],
    [{ ok: false, error: { code: 'HTTP_STATUS' as const, message: '404' } }, true],
    [{ ok: false, error: { code: 'REDIRECT' as const, message: '302' } }, true],
    [{ ok: false, error: { code: 'TIMEOUT' as const, message: '' } }, true],
    [{ ok: false, error: { code: 'NETWORK' as const, message: '' } }, true],
    [{ ok: false, error: { code: 'DNS_FAILURE' as const, message: '' } }, true],
    [{ ok: false, error: { code: 'FORBIDDEN_ADDRESS' as const, message: '' } }, true],
    [{ ok: false, error: { code: 'INVALID_URL' as const, message: '' } }, false],
    [{ ok: false, error: { code: 'SIGNING' as const, message: '' } }, false],
  ])('%j -> %p', (result, expected) => {
    expect(isRetryableDelivery(result)).toBe(expected);
  });
});
