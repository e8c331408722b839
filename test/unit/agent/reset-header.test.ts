import { APIConnectionError, APIError } from 'openai';
import { AgentCallError } from '../../../src/agent/agent.types';
import { classifyProviderError } from '../../../src/agent/provider-error.mapper';
import { parseResetDuration, parseRetryAfter, waitFromHeaders } from '../../../src/agent/reset-header.parser';

describe('x-ratelimit-reset-* durations (OpenAI, Go-style)', () => {
  test.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['120ms', 120],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['17ms', 17],
    ['2', 2000],
  ])('%s is %d ms', (text, ms) => expect(parseResetDuration(text)).toBe(ms));

  test.each(['', 'soon', '5 minutes', '-1s', 's'])('%p is unreadable', (text) =>
    expect(parseResetDuration(text)).toBeNull(),
  );

  test('a provider cannot park us for more than a day', () => expect(parseResetDuration('1000h')).toBe(86_400_000));
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('garbage', now)).toBeNull();
  });

  test('retry-after-ms wins, then Retry-After, then the exhausted budget, then the sooner reset', () => {
    const h = (values: Record<string, string>) => new Headers(values);
    expect(waitFromHeaders(h({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(waitFromHeaders(h({ 'retry-after': '9', 'x-ratelimit-reset-requests': '1s' }), now)).toBe(9000);
    expect(
      waitFromHeaders(
        h({
          'x-ratelimit-reset-requests': '120ms',
          'x-ratelimit-remaining-requests': '5',
          'x-ratelimit-reset-tokens': '6m0s',
          'x-ratelimit-remaining-tokens': '0',
        }),
        now,
      ),
    ).toBe(360_000);
    expect(waitFromHeaders(h({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '1m0s' }), now)).toBe(
      2000,
    );
    expect(waitFromHeaders(h({}), now)).toBeNull();
  });
});

describe('provider errors are classified by what a retry can do', () => {
  const error = (status: number, code?: string, headers: Record<string, string> = {}) =>
    APIError.generate(status, { error: { message: 'nope', code } }, undefined, new Headers(headers));
  const kind = (e: unknown) => (classifyProviderError(e) as AgentCallError).kind;

  test('429 and 503 are rate limits carrying the reset hint', () => {
    const classified = classifyProviderError(error(429, 'rate_limit_exceeded', { 'retry-after-ms': '1500' }));
    expect(classified).toBeInstanceOf(AgentCallError);
    expect(classified).toMatchObject({ kind: 'rate_limited', status: 429, waitMs: 1500 });
    expect(kind(error(503))).toBe('rate_limited');
  });

  test('errors no retry fixes open the circuit; the reason never repeats the provider text', () => {
    expect(kind(error(401))).toBe('unavailable');
    expect(kind(error(403))).toBe('unavailable');
    expect(kind(error(404, 'model_not_found'))).toBe('unavailable');
    expect(kind(error(400, 'model_not_found'))).toBe('unavailable');
    const quota = classifyProviderError(error(429, 'insufficient_quota')) as AgentCallError;
    expect(quota.kind).toBe('unavailable');
    expect(quota.reason).toBe('HTTP 429 insufficient_quota');
  });

  test('5xx and connection errors are transient, 400 is this request only, anything else passes through', () => {
    expect(kind(error(500))).toBe('transient');
    expect(kind(new APIConnectionError({ message: 'reset' }))).toBe('transient');
    expect(kind(error(400))).toBe('invalid_request');
    const bug = new TypeError('x');
    expect(classifyProviderError(bug)).toBe(bug);
  });
});
