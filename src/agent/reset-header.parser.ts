// The provider's "when may I call again" headers: Retry-After (seconds or an HTTP date), retry-after-ms, and
// OpenAI's x-ratelimit-reset-requests / x-ratelimit-reset-tokens, which are Go-style durations ("1s", "6m0s",
// "120ms", "1h2m3.5s").

/** Read-only view of response headers (the fetch Headers object, or anything with get). */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
/** A provider cannot make us wait longer than this on its word alone (a typo'd header must not park every case). */
const MAX_HINT_MS = 24 * 3_600_000;

/** "6m0s" → 360000; a bare number is seconds; null when unreadable. */
export function parseResetDuration(value: string | null | undefined): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return clamp(Number(text) * 1000);
  if (!DURATION.test(text)) return null;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  return clamp(ms);
}

/** Retry-After: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return clamp(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : clamp(at - now);
}

/**
 * How long nobody should call, from a refusal's headers: retry-after-ms, then Retry-After, then the reset of whichever
 * budget is exhausted (remaining 0), then the sooner reset when the headers do not say which; null when none is given.
 */
export function waitFromHeaders(headers: HeaderSource | null | undefined, now: number): number | null {
  if (!headers) return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return clamp(ms);
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== null) return retryAfter;
  const requests = parseResetDuration(headers.get('x-ratelimit-reset-requests'));
  const tokens = parseResetDuration(headers.get('x-ratelimit-reset-tokens'));
  const exhausted = [
    headers.get('x-ratelimit-remaining-requests')?.trim() === '0' ? requests : null,
    headers.get('x-ratelimit-remaining-tokens')?.trim() === '0' ? tokens : null,
  ].filter((v): v is number => v !== null);
  if (exhausted.length) return Math.max(...exhausted);
  const known = [requests, tokens].filter((v): v is number => v !== null);
  return known.length ? Math.min(...known) : null;
}

/**
 * The request limit a provider declares on its responses (OpenAI: x-ratelimit-limit-requests, per minute); null when
 * absent or unreadable. Only a starting point for the shared rate (limit-state.policy.ts), never trusted alone: some
 * providers declare a daily figure under the same name.
 */
export function declaredRequestLimit(headers: HeaderSource | null | undefined): number | null {
  const value = Number(headers?.get('x-ratelimit-limit-requests')?.trim());
  return Number.isFinite(value) && value > 0 ? value : null;
}

function clamp(ms: number): number {
  return Math.min(MAX_HINT_MS, Math.max(0, Math.ceil(ms)));
}
