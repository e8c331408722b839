import {
  DECREASE_FACTOR,
  DOUBLING_MS,
  rateAt,
  readState,
  refuse,
  reserve,
  type LimitState,
} from '../../../src/services/limits/limit-state.policy';

const request = { perMinute: null, tokensPerMinute: null, tokens: 0, probeEveryMs: 30_000 };

function sendAtRate(state: LimitState, start: number, perMinute: number, count: number): LimitState {
  let s = state;
  for (let i = 0; i < count; i += 1) s = reserve(s, start + (i * 60_000) / perMinute, request).state;
  return s;
}

test('slots are spaced by MODEL_RPM', () => {
  let s = readState(null);
  const slots: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    const r = reserve(s, 1000, { ...request, perMinute: 60 });
    s = r.state;
    if (r.grant.kind === 'slot') slots.push(r.grant.at);
  }
  expect(slots).toEqual([1000, 2000, 3000, 4000]);
});

test('a refusal blocks everyone until the reset, lowers the rate below what was sent, once per epoch', () => {
  const sent = sendAtRate(readState(null), 0, 600, 50);
  const now = 5_000;
  const first = refuse(sent, now, { epoch: sent.epoch, waitMs: 2_000 });
  expect(first.blockedUntil).toBe(7_000);
  expect(first.epoch).toBe(sent.epoch + 1);
  expect(first.rate).toBeLessThanOrEqual(600 * DECREASE_FACTOR + 1);
  // A second refusal of a call reserved before the first one only extends the block.
  const second = refuse(first, now + 10, { epoch: sent.epoch, waitMs: 3_000 });
  expect(second.rate).toBe(first.rate);
  expect(second.blockedUntil).toBe(now + 3_010);
  const grant = reserve(second, now + 20, request).grant;
  expect(grant).toMatchObject({ kind: 'slot', at: now + 3_010 });
});

test('the rate creeps back up after a decrease to where it was refused, then doubles (the ceiling was wrong)', () => {
  const s = { ...readState(null), rate: 100, decreasedAt: 0 };
  const refusedAt = 100 / DECREASE_FACTOR;
  const linearFor = ((refusedAt - 100) / 20) * 60_000; // 20% of the lowered rate per minute
  expect(rateAt(s, 0, null)).toBe(100);
  expect(rateAt(s, 30_000, null)).toBeCloseTo(110);
  expect(rateAt(s, linearFor, null)).toBeCloseTo(refusedAt);
  expect(rateAt(s, linearFor + DOUBLING_MS, null)).toBeCloseTo(2 * refusedAt);
  expect(rateAt(s, linearFor + 3 * DOUBLING_MS, null)).toBeCloseTo(8 * refusedAt);
  expect(rateAt(s, 600_000, 150)).toBe(150);
});

test('an open circuit lets one probe through per interval', () => {
  const s = { ...readState(null), circuit: { reason: 'HTTP 401', openedAt: 0, probeAt: 1_000 } };
  expect(reserve(s, 500, request).grant.kind).toBe('circuit');
  const probe = reserve(s, 1_000, request);
  expect(probe.grant.kind).toBe('probe');
  expect(reserve(probe.state, 1_001, request).grant.kind).toBe('circuit');
});

type Provider = (now: number) => { ok: true } | { ok: false; waitMs: number };

/**
 * `callers` callers with 1 s calls against `provider` until `end`, on the policy alone: each takes a slot, calls at
 * it (or takes another if the slot was voided meanwhile) and waits for the answer; a refusal is reported to the
 * policy 20 ms later, with the provider's declared limit when given. Counts the calls answered in time and refused.
 */
function simulate(provider: Provider, callers: number, end: number, declaredPerMinute: number | null = null) {
  const latency = 1_000;
  let state = readState(null);
  let accepted = 0;
  let refused = 0;
  type Caller = { at: number; epoch: number };
  const queue: Caller[] = [];
  const take = (now: number) => {
    const r = reserve(state, now, request);
    state = r.state;
    if (r.grant.kind !== 'slot') throw new Error('no circuit here');
    queue.push({ at: r.grant.at, epoch: r.grant.epoch });
  };
  for (let i = 0; i < callers; i += 1) take(0);
  while (queue.length) {
    queue.sort((a, b) => a.at - b.at);
    const caller = queue.shift()!;
    const now = caller.at;
    if (now > end) continue;
    if (caller.epoch !== state.epoch || state.blockedUntil > now) {
      take(now);
      continue;
    }
    const answer = provider(now);
    if (answer.ok) {
      if (now + latency <= end) accepted += 1;
      take(now + latency);
    } else {
      refused += 1;
      state = refuse(state, now + 20, { epoch: caller.epoch, waitMs: answer.waitMs, declaredPerMinute });
      take(now + 20);
    }
  }
  return { accepted, refused, rate: state.rate };
}

/**
 * A campaign's start: 32 callers at once against a token bucket of 300 a minute with a second's burst (the bench's
 * provider), refusals counted. The first refusal comes a fraction of a second in, when what was sent says nothing
 * about a per-minute limit; with the provider's declared limit the rate starts there, without it the climb past the
 * wrongly learnt ceiling doubles its way back. Four minutes, about 1,000 calls.
 */
test.each([
  ['declares its limit', 300, 0.9],
  ['declares nothing', null, 0.75],
] as const)('a token-bucket provider that %s: the first minutes get most of the limit', (_name, declared, share) => {
  const perMinute = 300;
  const burst = 5;
  let tokens = burst;
  let refilledAt = 0;
  const provider: Provider = (now) => {
    tokens = Math.min(burst, tokens + ((now - refilledAt) * perMinute) / 60_000);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return { ok: true };
    }
    tokens -= 1; // refused calls count too
    // Retry-After in whole seconds, until a token is there again (the bench's fake provider does the same).
    return { ok: false, waitMs: Math.max(1, Math.ceil(((1 - tokens) * 60_000) / perMinute / 1000)) * 1000 };
  };
  const { accepted, refused, rate } = simulate(provider, 32, 4 * 60_000, declared);
  if (process.env.OFFLOAD_TEST_VERBOSE) console.log('bucket', declared, { accepted, refused, rate });
  expect(accepted).toBeGreaterThanOrEqual(share * perMinute * 4);
  expect(refused).toBeLessThan(0.05 * accepted);
});

/**
 * Callers with 1 s calls against a provider allowing 300 calls in any 60 s and counting refused calls
 * against that limit (as OpenAI does), simulated for 20 minutes on the policy alone: the limiter must neither stall
 * nor fill the window with retries.
 */
test.each([
  ['a sliding window', 'sliding', 32],
  ['fixed one-minute windows', 'fixed', 32],
  ['a sliding window', 'sliding', 128],
  ['fixed one-minute windows', 'fixed', 8],
] as const)('against %s (%s) that counts refusals, %i callers get >= 90%% of the limit', (_name, kind, callers) => {
  const limit = 300;
  const minutes = 20;
  const calls: number[] = [];
  // The provider: every call is counted; over the limit it refuses with the time until a call would be allowed.
  const provider: Provider = (now) => {
    const windowStart = kind === 'sliding' ? now - 60_000 : now - (now % 60_000);
    while (calls.length && calls[0]! < windowStart) calls.shift();
    const inWindow = calls.length;
    calls.push(now);
    if (inWindow < limit) return { ok: true };
    // Sliding: a call is allowed again once enough of the window's calls (this one included) have aged out.
    const waitMs = kind === 'sliding' ? calls[calls.length - limit]! + 60_000 - now : windowStart + 60_000 - now;
    return { ok: false, waitMs: Math.max(1, waitMs) };
  };
  const { accepted, refused, rate } = simulate(provider, callers, minutes * 60_000);
  if (process.env.OFFLOAD_TEST_VERBOSE) console.log(kind, callers, { accepted, refused, rate });
  expect(accepted).toBeGreaterThanOrEqual(0.9 * limit * minutes);
  expect(refused).toBeLessThan(0.05 * accepted);
});
