// The shared limiter's arithmetic, pure: one provider key's state (stored as JSON in provider_limits and changed
// only under its row lock) and what each event does to it. Times are milliseconds of the limiter's clock.
//
// - Calls are spaced (a reservation schedule, like GCRA without a burst): each call reserves the next free slot, so
//   waiting callers never poll one another; the spacing is the lower of MODEL_RPM and the adaptive rate.
// - A refusal (429/503) sets "nobody calls before T" for every worker and, once per congestion event (the first
//   refusal of calls reserved under the current epoch), lowers the rate below what was being sent (multiplicative
//   decrease); the rate then creeps up again by a fixed step per minute (additive increase) back to where it was
//   refused, and past that doubles every DOUBLING_MS: a ceiling that no longer refuses was learnt wrong (from a
//   start-up burst, or a provider that raised the limit), and a linear climb would take the better part of an hour.
// - The first congestion ever, from a start-up burst, says little about the rate; the provider's declared request
//   limit (x-ratelimit-limit-requests), when it sends one, is the better start then.
// - Tokens (MODEL_TPM) are spaced the same way: a call's estimated tokens push the next call back, and the
//   estimate is corrected by the usage the provider reports.
// - The circuit: while open nobody calls except one probe at a time, every probeEveryMs.
import { z } from 'zod';

/** The rate never falls below this (requests per minute): a provider that refuses everything is the circuit's job. */
export const MIN_RATE_PER_MINUTE = 1;
/**
 * Multiplicative decrease: the new rate is this share of what was being sent when the provider refused. Gentle on
 * purpose: the rate saws between this share of the limit and the limit, so the mean stays above 90% of it.
 */
export const DECREASE_FACTOR = 0.85;
/** Additive increase: per minute without a refusal, the rate grows by this share of the rate it was lowered to. */
export const INCREASE_SHARE_PER_MINUTE = 0.2;
/** Past the rate last refused at, without a refusal, the rate doubles this often. */
export const DOUBLING_MS = 20_000;
/** Fewer starts than this lately say nothing about the rate (a refusal then only blocks): see refuse. */
const MIN_SAMPLE = 10;
/**
 * A refusal this soon after the rate was lowered only blocks: the lowered rate has not had time to show, and a
 * provider whose Retry-After is a little early would otherwise halve and halve the rate down to nothing.
 */
const DECREASE_GAP_MS = 10_000;
/** Starts are counted in buckets of this length to know the rate being sent. */
const RECENT_BUCKET_MS = 10_000;

const circuitSchema = z.object({ reason: z.string(), openedAt: z.number(), probeAt: z.number() });
const stateSchema = z.object({
  epoch: z.number().int().default(0),
  nextAt: z.number().default(0),
  tokensAt: z.number().default(0),
  blockedUntil: z.number().default(0),
  rate: z.number().positive().nullable().default(null),
  decreasedAt: z.number().default(0),
  bucketStart: z.number().default(0),
  bucketCount: z.number().default(0),
  previousCount: z.number().default(0),
  circuit: circuitSchema.nullable().default(null),
});

export type LimitState = z.infer<typeof stateSchema>;
export type Circuit = z.infer<typeof circuitSchema>;

/** A stored state, or a fresh one when there is none (or it is unreadable: the limits relearn in seconds). */
export function readState(raw: unknown): LimitState {
  const parsed = stateSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : stateSchema.parse({});
}

export interface ReserveRequest {
  /** A fixed cap in calls per minute across every worker (MODEL_RPM, MAIL_RATE_PER_MINUTE); null: none. */
  perMinute: number | null;
  /** Tokens per minute (MODEL_TPM) and this call's estimate; null: no token budget. */
  tokensPerMinute: number | null;
  tokens: number;
  probeEveryMs: number;
}

export type Grant =
  /** Call at `at` (wait until then); `epoch` identifies the reservation when the provider refuses it. */
  | { kind: 'slot'; at: number; epoch: number }
  /** The circuit is open and this caller is its probe: call now. */
  | { kind: 'probe'; epoch: number }
  /** The circuit is open: do not call; look again later. */
  | { kind: 'circuit'; circuit: Circuit };

/** The rate in force (calls per minute), or null when nothing limits it. */
export function rateAt(state: LimitState, now: number, cap: number | null): number | null {
  const adaptive = state.rate === null ? null : climb(state.rate, Math.max(0, now - state.decreasedAt));
  if (adaptive === null) return cap;
  return cap === null ? adaptive : Math.min(cap, adaptive);
}

/** The rate `elapsedMs` after it was lowered to `lowered`: linear back to where it was refused, then doubling. */
function climb(lowered: number, elapsedMs: number): number {
  const step = Math.max(1, lowered * INCREASE_SHARE_PER_MINUTE) / 60_000;
  const refusedAt = lowered / DECREASE_FACTOR;
  const linear = lowered + step * elapsedMs;
  if (linear <= refusedAt) return linear;
  const past = elapsedMs - (refusedAt - lowered) / step;
  return refusedAt * 2 ** (past / DOUBLING_MS);
}

export function reserve(state: LimitState, now: number, request: ReserveRequest): { state: LimitState; grant: Grant } {
  if (state.circuit) {
    if (now < state.circuit.probeAt) return { state, grant: { kind: 'circuit', circuit: state.circuit } };
    const circuit = { ...state.circuit, probeAt: now + request.probeEveryMs };
    return { state: counted({ ...state, circuit }, now), grant: { kind: 'probe', epoch: state.epoch } };
  }
  const rate = rateAt(state, now, request.perMinute);
  let at = Math.max(now, state.blockedUntil);
  if (rate !== null) at = Math.max(at, state.nextAt);
  if (request.tokensPerMinute !== null) at = Math.max(at, state.tokensAt);
  const next: LimitState = {
    ...state,
    nextAt: rate === null ? at : at + 60_000 / rate,
    tokensAt:
      request.tokensPerMinute === null
        ? state.tokensAt
        : at + (Math.max(0, request.tokens) * 60_000) / request.tokensPerMinute,
  };
  return { state: counted(next, at), grant: { kind: 'slot', at, epoch: state.epoch } };
}

/** Calls started per minute lately (sliding estimate over two buckets). */
export function recentRate(state: LimitState, now: number): number {
  const rolled = roll(state, now);
  const elapsed = Math.min(1, Math.max(0, now - rolled.bucketStart) / RECENT_BUCKET_MS);
  const inLastBucket = rolled.previousCount * (1 - elapsed) + rolled.bucketCount;
  return inLastBucket * (60_000 / RECENT_BUCKET_MS);
}

/**
 * The provider refused a call reserved under `epoch`: nobody calls before now + waitMs; the first refusal of an
 * epoch lowers the rate below what was being sent and starts a new epoch (reservations of the old one are made again).
 */
export function refuse(
  state: LimitState,
  now: number,
  refusal: { epoch: number; waitMs: number; declaredPerMinute?: number | null },
): LimitState {
  const blockedUntil = Math.max(state.blockedUntil, now + Math.max(0, refusal.waitMs));
  if (refusal.epoch !== state.epoch) return { ...state, blockedUntil };
  const recent = recentRate(state, now);
  const declared = refusal.declaredPerMinute ?? null;
  // A handful of calls refused is no sign of sending too fast (another client on the key, a token budget): the
  // block alone answers it, instead of a rate learnt from a sample too small to mean anything.
  const settled = state.rate === null || now >= state.decreasedAt + DECREASE_GAP_MS;
  const lowered =
    settled && (recent * (RECENT_BUCKET_MS / 60_000) >= MIN_SAMPLE || (state.rate === null && declared !== null));
  const measured = Math.min(rateAt(state, now, null) ?? Infinity, recent);
  // Nothing learnt yet: a start-up burst of a few dozen calls in a second is no measure of a per-minute limit, the
  // provider's own figure is (trusted once: if it is not per minute, the next refusal learns from what was sent).
  const sending = state.rate === null && declared !== null ? declared : measured;
  return {
    ...state,
    blockedUntil,
    epoch: state.epoch + 1,
    ...(lowered ? { rate: Math.max(MIN_RATE_PER_MINUTE, sending * DECREASE_FACTOR), decreasedAt: blockedUntil } : {}),
    // Slots handed out before the refusal are void: their holders reserve again, from blockedUntil on.
    nextAt: blockedUntil,
  };
}

/** Tokens the estimate missed (positive) or overstated (negative) push the token schedule back or forward. */
export function correctTokens(state: LimitState, tokens: number, tokensPerMinute: number): LimitState {
  return { ...state, tokensAt: state.tokensAt + (tokens * 60_000) / tokensPerMinute };
}

export function openCircuit(state: LimitState, now: number, reason: string, probeEveryMs: number): LimitState {
  if (state.circuit) return { ...state, circuit: { ...state.circuit, reason } };
  return { ...state, epoch: state.epoch + 1, circuit: { reason, openedAt: now, probeAt: now + probeEveryMs } };
}

/** The probe's turn, when the circuit is open and its probe is due (probes of waiting calls use reserve). */
export function claimProbe(
  state: LimitState,
  now: number,
  probeEveryMs: number,
): { state: LimitState; result: boolean } {
  if (!state.circuit || now < state.circuit.probeAt) return { state, result: false };
  return { state: { ...state, circuit: { ...state.circuit, probeAt: now + probeEveryMs } }, result: true };
}

export function closeCircuit(state: LimitState): LimitState {
  return state.circuit ? { ...state, circuit: null } : state;
}

function roll(state: LimitState, now: number): LimitState {
  if (now < state.bucketStart + RECENT_BUCKET_MS) return state;
  const adjacent = now < state.bucketStart + 2 * RECENT_BUCKET_MS;
  const bucketStart = now - ((now - state.bucketStart) % RECENT_BUCKET_MS);
  return { ...state, bucketStart, bucketCount: 0, previousCount: adjacent ? state.bucketCount : 0 };
}

function counted(state: LimitState, at: number): LimitState {
  const rolled = roll(state, at);
  return { ...rolled, bucketCount: rolled.bucketCount + 1 };
}
