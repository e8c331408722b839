// When the case's next message may leave and when its next follow-up falls: the send window applied to every
// outbound path (outreach, follow-up, reply, reply after human input) and to snooze rechecks and return dates.
import type { CaseState, HeldSend } from './case.model';
import type { Effect } from './case-event.types';
import { nextOpenSlot } from './send-window.policy';

const HOUR_MS = 3_600_000;

export interface ScheduleContext {
  now: Date;
  /** OFFLOAD_TIME_SCALE: every scheduled delay is divided by it (absolute times such as startAt are not). */
  timeScale: number;
}

export const scaledDelay = (hours: number, ctx: ScheduleContext): Date =>
  new Date(ctx.now.getTime() + (hours * HOUR_MS) / ctx.timeScale);

/** `hours` from now (scaled), moved to the next opening of the case's window. */
export const scheduleAfter = (state: CaseState, hours: number, ctx: ScheduleContext): Date =>
  nextOpenSlot(scaledDelay(hours, ctx), state.sendWindow);

export interface SendDecision {
  next: CaseState;
  effects: Effect[];
  /** Set when the message waits for the window (or startAt): it leaves then, shown in nextActionAt. */
  heldUntil: Date | null;
}

/**
 * Sends `send` now if the window is open and `notBefore` has passed; otherwise holds it: nextActionAt becomes the
 * next opening, and the job that falls due then (FOLLOW_UP_DUE) releases it. A follow-up is not held as such: its
 * schedule simply moves, and it is judged again (budget, replies) when it falls due.
 */
export function sendOrHold(
  state: CaseState,
  send: HeldSend,
  ctx: ScheduleContext,
  notBefore: Date = ctx.now,
): SendDecision {
  const at = nextOpenSlot(new Date(Math.max(notBefore.getTime(), ctx.now.getTime())), state.sendWindow);
  if (at.getTime() <= ctx.now.getTime()) {
    // A follow-up leaves with its (passed) schedule still set: that is how its send job knows it is still wanted.
    const nextActionAt = send.purpose === 'follow_up' ? state.nextActionAt : null;
    return {
      next: { ...state, heldSend: null, nextActionAt },
      effects: [{ type: 'SEND_MESSAGE', purpose: send.purpose, replyBody: send.replyBody }],
      heldUntil: null,
    };
  }
  return {
    next: { ...state, heldSend: send.purpose === 'follow_up' ? null : send, nextActionAt: at },
    effects: [{ type: 'SCHEDULE_FOLLOW_UP', at }],
    heldUntil: at,
  };
}
