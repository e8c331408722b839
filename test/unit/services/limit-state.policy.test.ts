import {
  DECREASE_FACTOR,
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

test('the rate creeps back up after a decrease (additive increase)', () => {
  const s = { ...readState(null), rate: 100, decreasedAt: 0 };
  expect(rateAt(s, 0, null)).toBe(100);
  expect(rateAt(s, 60_000, null)).toBeCloseTo(110);
  expect(rateAt(s, 600_000, 150)).toBe(150);
});

test('an open circuit lets one probe through per interval', () => {
  const s = { ...readState(null), circuit: { reason: 'HTTP 401', openedAt: 0, probeAt: 1_000 } };
  expect(reserve(s, 500, request).grant.kind).toBe('circuit');
  const probe = reserve(s, 1_000, request);
  expect(probe.grant.kind).toBe('probe');
  expect(reserve(probe.state, 1_001, request).grant.kind).toBe('circuit');
});
