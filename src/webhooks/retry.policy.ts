// When to try a webhook again. Pure: the caller supplies the attempt number, the receiver's Retry-After and the
// randomness, and schedules the next attempt itself (a delayed job), so a restart never loses a retry.
import type { WebhookDeliveryResult } from './webhook-delivery.types';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delay before each attempt, after the previous one failed; Svix's published schedule
 * (docs.svix.com/retries): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. Eight attempts spread over
 * about 27.5 hours, so a receiver that is down for a day still gets the event. Index 0 is the first attempt.
 */
export const WEBHOOK_RETRY_SCHEDULE_MS = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
] as const;

export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_SCHEDULE_MS.length;

/** ±20%, so that receivers recovering from an outage are not hit by every queued event in the same second. */
const WEBHOOK_RETRY_JITTER = 0.2;

/** A receiver may slow us down with Retry-After, but not park an event for longer than a day. */
export const WEBHOOK_MAX_RETRY_AFTER_MS = 24 * HOUR;

export interface NextAttemptOptions {
  /** The failed attempt's Retry-After, already converted to milliseconds (see parseRetryAfterMs). */
  retryAfterMs?: number | null;
  /** Uniform in [0, 1); injectable so that tests can pin the jitter. */
  random?: () => number;
}

/**
 * How long to wait after failed attempt number `attemptNumber` (1-based) before the next one, or null to give up
 * (the schedule is exhausted). The schedule's delay is jittered; a Retry-After can only lengthen it, never shorten
 * it (a receiver asking for "0" does not get a retry storm), and is capped at WEBHOOK_MAX_RETRY_AFTER_MS. Retry-After
 * never adds attempts: it changes when the next one happens, not how many there are.
 */
export function nextAttemptDelayMs(attemptNumber: number, options: NextAttemptOptions = {}): number | null {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1) {
    throw new RangeError(`attemptNumber must be a positive integer, got ${attemptNumber}`);
  }
  const scheduled = WEBHOOK_RETRY_SCHEDULE_MS[attemptNumber];
  if (scheduled === undefined) return null;
  const jittered = jitter(scheduled, options.random ?? Math.random);
  const retryAfter = Math.min(Math.max(options.retryAfterMs ?? 0, 0), WEBHOOK_MAX_RETRY_AFTER_MS);
  return Math.max(jittered, retryAfter);
}

function jitter(delayMs: number, random: () => number): number {
  const factor = 1 + (2 * random() - 1) * WEBHOOK_RETRY_JITTER;
  return Math.round(delayMs * factor);
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from `now`: either delta-seconds or an HTTP date. Null when the
 * header is absent or unreadable; a date in the past counts as 0.
 */
export function parseRetryAfterMs(value: string | null | undefined, now: Date): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  // Date.parse also accepts looser forms; an HTTP date always names the weekday and ends in GMT, so demand that.
  if (!/^[A-Za-z]{3},.*GMT$/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(at - now.getTime(), 0);
}

/**
 * Whether a failed delivery is worth repeating. Like Svix, every non-2xx answer (3xx and 4xx included: receivers
 * often answer 400/404 while a deploy is half done) and every network failure, timeout or refused address (DNS can
 * change) is retried. Only faults that no amount of waiting fixes are not: a malformed URL and an unusable secret.
 */
export function isRetryableDelivery(result: Pick<WebhookDeliveryResult, 'ok' | 'error'>): boolean {
  if (result.ok) return false;
  const code = result.error?.code;
  return code !== 'INVALID_URL' && code !== 'SIGNING';
}
