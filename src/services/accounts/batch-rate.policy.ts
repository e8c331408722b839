// What a createCases batch costs against the per-key request budget (RATE_LIMIT_PER_MINUTE): one request per
// INPUTS_PER_REQUEST inputs, rounded up. A batch does far more work than one request, so counting it as one would
// let a key create (and make the server validate) 100 times its budget; counting every input would make batches
// pointless. At the default 600/min a key may create 6,000 cases a minute in batches of 100: a 10,000-case campaign
// in under two minutes. The door (keyGuard) has already taken one request before the body was read; the rest is
// taken here, once the number of inputs is known.
import { AppError } from '../../domain/app.errors';
import type { KeyRateLimit } from './key-rate.types';

export const INPUTS_PER_REQUEST = 10;

/** Requests a batch of `inputs` counts as (at least one). */
export const batchRequests = (inputs: number): number => Math.max(1, Math.ceil(inputs / INPUTS_PER_REQUEST));

/** Takes the batch's requests beyond the one already taken; RATE_LIMITED (nothing created) when the key is over. */
export function chargeBatch(limiter: KeyRateLimit, keyId: string, inputs: number): void {
  const extra = batchRequests(inputs) - 1;
  if (extra <= 0) return;
  const decision = limiter.take(keyId, extra);
  if (!decision.allowed)
    throw new AppError(
      'RATE_LIMITED',
      `Rate limit exceeded: a batch of ${inputs} counts as ${batchRequests(inputs)} requests, at most ` +
        `${limiter.perMinute} per minute per API key; retry after ${decision.retryAfterSeconds} s`,
      { retryAfterSeconds: decision.retryAfterSeconds },
    );
}
