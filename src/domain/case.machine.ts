// The case state machine: pure, no I/O. decide(state, event, ctx) says what the case becomes and what work follows;
// the service layer persists the answer and turns effects into jobs in one transaction.
import { isTerminal, RESULT_STATUS, type CaseState, type CaseStatus } from './case.model';
import type { CaseEvent, Effect } from './case-event.types';
import type { SendPurpose } from './evaluation.types';
import { scheduleAfter, sendOrHold } from './send-schedule.policy';
import { nextOpenSlot } from './send-window.policy';

export interface DecideContext {
  now: Date;
  /** OFFLOAD_TIME_SCALE: every scheduled delay is divided by it. */
  timeScale: number;
  newId: () => string;
}

export interface Accepted {
  ok: true;
  next: CaseState;
  /** The timeline row this change writes; null when nothing visible changed (only work was queued). */
  timelineType: string | null;
  data?: Record<string, unknown>;
  effects: Effect[];
}

export interface Refused {
  ok: false;
  reason: string;
}

export type Transition = Accepted | Refused;

const refuse = (state: CaseState, event: CaseEvent, why = 'not allowed'): Refused => ({
  ok: false,
  reason: `${event.type} in ${state.status}: ${why}`,
});

const accept = (
  next: CaseState,
  timelineType: string | null,
  effects: Effect[] = [],
  data?: Record<string, unknown>,
): Accepted => ({ ok: true, next, timelineType, effects, ...(data ? { data } : {}) });

/** Statuses in which each event is meaningful; any other pair is refused before its handler runs. */
export const ALLOWED: Readonly<Record<CaseEvent['type'], readonly CaseStatus[]>> = {
  CASE_CREATED: ['CREATED'],
  // In CREATED: the outreach, held for startAt or the send window, falls due.
  FOLLOW_UP_DUE: ['CREATED', 'RUNNING'],
  // In CREATED: a reply that beat the outreach is kept and evaluated once the outreach has gone.
  REPLY_RECEIVED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  AUTO_REPLY_RECEIVED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  INPUT_PROVIDED: ['INPUT_NEEDED'],
  CANCEL_REQUESTED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  DELIVERY_FAILED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  MESSAGE_SENT: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  SEND_FAILED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  REPLY_EVALUATED: ['RUNNING', 'INPUT_NEEDED'],
  SUPPRESSED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
};

export function decide(state: CaseState, event: CaseEvent, ctx: DecideContext): Transition {
  const transition = decideEvent(state, event, ctx);
  return transition.ok ? withLifecycleEvents(state, event, transition) : transition;
}

/**
 * The lifecycle events endpoints may subscribe to: case.created when the worker takes the new case up, case.running
 * whenever a case enters RUNNING (the outreach left, or a reply after the human's answer).
 */
function withLifecycleEvents(state: CaseState, event: CaseEvent, transition: Accepted): Accepted {
  const extra: Effect[] = [];
  if (event.type === 'CASE_CREATED') extra.push({ type: 'EMIT_WEBHOOK', eventType: 'case.created' });
  if (state.status !== 'RUNNING' && transition.next.status === 'RUNNING')
    extra.push({ type: 'EMIT_WEBHOOK', eventType: 'case.running' });
  return extra.length ? { ...transition, effects: [...transition.effects, ...extra] } : transition;
}

function decideEvent(state: CaseState, event: CaseEvent, ctx: DecideContext): Transition {
  if (!ALLOWED[event.type].includes(state.status)) return refuse(state, event);
  switch (event.type) {
    case 'CASE_CREATED':
      return caseCreated(state, ctx);
    case 'FOLLOW_UP_DUE':
      return followUpDue(state, event, ctx);
    case 'REPLY_RECEIVED':
      return replyReceived(state, event);
    case 'AUTO_REPLY_RECEIVED':
      return autoReplyReceived(state, event, ctx);
    case 'INPUT_PROVIDED':
      return inputProvided(state, event);
    case 'CANCEL_REQUESTED':
      return fail(state, RESULT_STATUS.cancelled, event.reason ?? 'Cancelled by the client', 'case.failed');
    case 'DELIVERY_FAILED':
      return fail(state, event.kind, event.reason, 'case.failed');
    case 'SEND_FAILED':
      return fail(state, RESULT_STATUS.rejected, event.reason, 'case.failed');
    case 'MESSAGE_SENT':
      return messageSent(state, event.purpose, ctx);
    case 'REPLY_EVALUATED':
      return replyEvaluated(state, event, ctx);
    case 'SUPPRESSED':
      return fail(state, RESULT_STATUS[event.resultStatus], event.reason, 'case.failed');
    default:
      return assertNever(event);
  }
}

type EventOf<T extends CaseEvent['type']> = Extract<CaseEvent, { type: T }>;

/** The outreach leaves now, or waits for startAt (kept in nextActionAt at creation) and the send window. */
function caseCreated(state: CaseState, ctx: DecideContext): Transition {
  const notBefore = state.nextActionAt ?? ctx.now;
  const sent = sendOrHold(state, { purpose: 'outreach', replyBody: null }, ctx, notBefore);
  if (!sent.heldUntil) return accept(sent.next, null, sent.effects);
  return accept(sent.next, 'send.held', sent.effects, { purpose: 'outreach', until: sent.heldUntil.toISOString() });
}

function followUpDue(state: CaseState, event: EventOf<'FOLLOW_UP_DUE'>, ctx: DecideContext): Transition {
  // A delayed job for a schedule that has since moved (reply, snooze, sweep duplicate) is stale.
  if (!state.nextActionAt || state.nextActionAt.getTime() !== event.scheduledFor.getTime())
    return refuse(state, event, 'stale schedule');
  if (state.nextActionAt.getTime() > ctx.now.getTime()) return refuse(state, event, 'not due yet');
  if (state.status === 'CREATED') return caseCreated({ ...state, nextActionAt: null }, ctx);
  // A reply that came in (even one whose REPLY_RECEIVED is still queued) is answered by its evaluation, not nagged.
  if (state.awaitingEvaluation || event.replyPending)
    return accept({ ...state, nextActionAt: null, heldSend: null }, 'follow_up.skipped', [], {
      why: 'replied already',
    });
  // A reply that waited for the window leaves now (or waits again if the window shut while the job was late).
  if (state.heldSend) return released(state, sendOrHold({ ...state, nextActionAt: null }, state.heldSend, ctx));
  // maxAttempts counts automated follow-ups since the counterparty last wrote; attemptCount counts every message.
  if (state.followUpCount >= state.maxAttempts) return fail(state, RESULT_STATUS.maxRetries, null, 'case.failed');
  return released(state, sendOrHold(state, { purpose: 'follow_up', replyBody: null }, ctx));
}

function released(state: CaseState, sent: ReturnType<typeof sendOrHold>): Accepted {
  if (!sent.heldUntil) return accept(sent.next, null, sent.effects);
  const purpose = state.heldSend?.purpose ?? 'follow_up';
  return accept(sent.next, 'send.held', sent.effects, { purpose, until: sent.heldUntil.toISOString() });
}

function replyReceived(state: CaseState, event: EventOf<'REPLY_RECEIVED'>): Transition {
  // Their message resets the follow-up budget, and whatever we held for the window is decided again.
  const next: CaseState = { ...state, awaitingEvaluation: true, followUpCount: 0 };
  if (state.status === 'CREATED') {
    // Kept, not dropped: evaluated as soon as the outreach it answers (or crossed) has gone (see messageSent).
    return accept(next, 'reply.received', [], { messageId: event.messageId, beforeOutreach: true });
  }
  if (state.status === 'INPUT_NEEDED') {
    // The human's answer is still awaited; the reply is read together with it once it comes.
    return accept(next, 'reply.received', [], { messageId: event.messageId });
  }
  return accept({ ...next, nextActionAt: null, heldSend: null }, 'reply.received', [{ type: 'EVALUATE_REPLY' }], {
    messageId: event.messageId,
  });
}

/**
 * An automatic answer is never answered and is not the counterparty writing (the follow-up budget stands). A return
 * date moves a scheduled follow-up to the first opening after it; without one the usual schedule stands.
 */
function autoReplyReceived(state: CaseState, event: EventOf<'AUTO_REPLY_RECEIVED'>, ctx: DecideContext): Transition {
  const data = { messageId: event.messageId, returnDate: event.returnDate?.toISOString() ?? null };
  const scheduled = state.nextActionAt;
  const movable = state.status === 'RUNNING' && scheduled && !state.heldSend && !state.awaitingEvaluation;
  if (!movable || !event.returnDate || event.returnDate.getTime() <= ctx.now.getTime())
    return accept(state, 'auto_reply.received', [], data);
  const at = nextOpenSlot(event.returnDate, state.sendWindow);
  if (at.getTime() <= scheduled.getTime()) return accept(state, 'auto_reply.received', [], data);
  return accept({ ...state, nextActionAt: at }, 'auto_reply.received', [{ type: 'SCHEDULE_FOLLOW_UP', at }], {
    ...data,
    nextActionAt: at.toISOString(),
  });
}

function inputProvided(state: CaseState, event: EventOf<'INPUT_PROVIDED'>): Transition {
  if (state.inputRequest?.id !== event.inputRequestId) return refuse(state, event, 'input request mismatch');
  if (state.inputRequest.status !== 'RESOLVED') return refuse(state, event, 'input request not resolved');
  // The answer is news to evaluate, together with any reply that came while we waited for it.
  return accept({ ...state, awaitingEvaluation: true }, null, [{ type: 'EVALUATE_REPLY' }]);
}

function messageSent(state: CaseState, purpose: SendPurpose, ctx: DecideContext): Transition {
  if (purpose === 'outreach' ? state.status !== 'CREATED' : state.status === 'CREATED')
    return { ok: false, reason: `MESSAGE_SENT(${purpose}) in ${state.status}: not allowed` };
  const sent: CaseState = {
    ...state,
    status: 'RUNNING',
    attemptCount: state.attemptCount + 1,
    followUpCount: state.followUpCount + (purpose === 'follow_up' ? 1 : 0),
    replyCount: state.replyCount + (purpose === 'reply' ? 1 : 0),
    heldSend: null,
  };
  const timeline = purpose === 'outreach' ? 'outreach.sent' : purpose === 'follow_up' ? 'follow_up.sent' : 'reply.sent';
  // A reply that came before the outreach went is evaluated now rather than followed up.
  if (purpose === 'outreach' && state.awaitingEvaluation)
    return accept({ ...sent, nextActionAt: null }, timeline, [{ type: 'EVALUATE_REPLY' }], { purpose });
  const nextActionAt = scheduleAfter(state, state.followUpDelayHours, ctx);
  return accept({ ...sent, nextActionAt }, timeline, [{ type: 'SCHEDULE_FOLLOW_UP', at: nextActionAt }], { purpose });
}

function replyEvaluated(state: CaseState, event: EventOf<'REPLY_EVALUATED'>, ctx: DecideContext): Transition {
  // A second evaluation of news already acted on (two replies, one evaluation) would answer twice.
  if (!state.awaitingEvaluation) return refuse(state, event, 'nothing new to evaluate');
  // While the human's answer is awaited, replies wait for it: the question stays the one the human is answering.
  if (state.status === 'INPUT_NEEDED' && state.inputRequest?.status !== 'RESOLVED')
    return refuse(state, event, 'waiting for the human');
  const { evaluation } = event;
  const evaluated: CaseState = { ...state, awaitingEvaluation: false };
  const data = { decision: evaluation.decision, reason: evaluation.reason };
  switch (evaluation.decision) {
    case 'GOAL_ACHIEVED':
      return accept(
        {
          ...evaluated,
          status: 'COMPLETED',
          resultStatus: RESULT_STATUS.goalAchieved,
          result: evaluation.result,
          nextActionAt: null,
        },
        'case.completed',
        [{ type: 'EMIT_WEBHOOK', eventType: 'case.completed' }],
        data,
      );
    case 'FAILED_REJECTED':
      return fail(evaluated, RESULT_STATUS.failedRejected, evaluation.reason, 'case.failed', data);
    case 'INPUT_NEEDED':
      return askHuman(evaluated, ctx, evaluation.question ?? evaluation.reason, data);
    case 'REQUIRES_REPLY': {
      const purpose: SendPurpose = state.status === 'INPUT_NEEDED' ? 'reply_after_input' : 'reply';
      // maxReplies caps automatic replies; a reply after the human's answer is theirs, so it is not capped.
      if (purpose === 'reply' && state.replyCount >= state.maxReplies)
        return askHuman(evaluated, ctx, replyCapQuestion(state.maxReplies, evaluation.replyBody), {
          ...data,
          cap: 'maxReplies',
        });
      const running: CaseState = { ...evaluated, status: 'RUNNING', nextActionAt: null };
      const sent = sendOrHold(running, { purpose, replyBody: evaluation.replyBody }, ctx);
      const held = sent.heldUntil ? { heldUntil: sent.heldUntil.toISOString() } : {};
      return accept(sent.next, 'reply.requested', sent.effects, { ...data, ...held });
    }
    case 'SNOOZE': {
      const at = scheduleAfter(state, evaluation.snoozeHours ?? 24, ctx);
      return accept(
        { ...evaluated, status: 'RUNNING', nextActionAt: at },
        'case.snoozed',
        [{ type: 'SCHEDULE_FOLLOW_UP', at }],
        { ...data, snoozeHours: evaluation.snoozeHours },
      );
    }
    default:
      return assertNever(evaluation.decision);
  }
}

function askHuman(state: CaseState, ctx: DecideContext, question: string, data: Record<string, unknown>): Accepted {
  const inputRequest = { id: ctx.newId(), question, status: 'PENDING' as const, requestedAt: ctx.now };
  return accept(
    { ...state, status: 'INPUT_NEEDED', inputRequest, nextActionAt: null, heldSend: null },
    'case.input_needed',
    [{ type: 'EMIT_WEBHOOK', eventType: 'case.input_needed' }],
    { ...data, inputRequestId: inputRequest.id, question },
  );
}

const replyCapQuestion = (maxReplies: number, replyBody: string | null): string =>
  `The counterparty needs another reply, but this case has used its ${maxReplies} automatic replies (maxReplies). ` +
  (replyBody ? `The reply we would send: "${replyBody.slice(0, 500)}". ` : '') +
  'How should we answer?';

function fail(
  state: CaseState,
  resultStatus: string,
  failureReason: string | null,
  timelineType: string,
  data: Record<string, unknown> = {},
): Accepted {
  return accept(
    { ...state, status: 'FAILED', resultStatus, failureReason, nextActionAt: null, heldSend: null },
    timelineType,
    [{ type: 'EMIT_WEBHOOK', eventType: 'case.failed' }],
    { ...data, resultStatus, ...(failureReason ? { failureReason } : {}) },
  );
}

function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

export { isTerminal };

/**
 * Whether a queued send is still what the case wants, judged under the case lock just before the mail leaves (and
 * once before composing). `seq` is the position the message would take (attemptCount + 1 when it was asked for).
 * Returns why not, or null when it should go. A send that is no longer wanted is never needed later: whatever
 * changed the case (a reply, a snooze, an answer, another message) asks for its own next step.
 */
export function sendUnwantedReason(state: CaseState, purpose: SendPurpose, seq: number, now: Date): string | null {
  if (isTerminal(state.status)) return `case is ${state.status}`;
  if (state.attemptCount + 1 !== seq) return `message ${seq} is no longer next (attemptCount ${state.attemptCount})`;
  if (purpose === 'outreach') return state.status === 'CREATED' ? null : `outreach in ${state.status}`;
  if (state.status !== 'RUNNING') return `${purpose} in ${state.status}`;
  if (state.awaitingEvaluation) return 'a reply awaits evaluation';
  if (purpose === 'follow_up') {
    if (!state.nextActionAt) return 'no follow-up is scheduled';
    if (state.nextActionAt.getTime() > now.getTime()) return 'the follow-up was rescheduled';
    return null;
  }
  return state.nextActionAt ? 'a follow-up was scheduled since the reply was asked for' : null;
}
