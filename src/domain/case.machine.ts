// The case state machine: pure, no I/O. decide(state, event, ctx) says what the case becomes and what work follows;
// the service layer persists the answer and turns effects into jobs in one transaction.
import { isTerminal, RESULT_STATUS, type CaseState, type CaseStatus } from './case.model';
import type { CaseEvent, Effect } from './case-event.types';
import type { SendPurpose } from './evaluation.types';

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

const HOUR_MS = 3_600_000;

export const scaledDelay = (hours: number, ctx: DecideContext): Date =>
  new Date(ctx.now.getTime() + (hours * HOUR_MS) / ctx.timeScale);

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
  FOLLOW_UP_DUE: ['RUNNING'],
  REPLY_RECEIVED: ['RUNNING', 'INPUT_NEEDED'],
  INPUT_PROVIDED: ['INPUT_NEEDED'],
  CANCEL_REQUESTED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  DELIVERY_FAILED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  MESSAGE_SENT: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  SEND_FAILED: ['CREATED', 'RUNNING', 'INPUT_NEEDED'],
  REPLY_EVALUATED: ['RUNNING', 'INPUT_NEEDED'],
};

export function decide(state: CaseState, event: CaseEvent, ctx: DecideContext): Transition {
  if (!ALLOWED[event.type].includes(state.status)) return refuse(state, event);
  switch (event.type) {
    case 'CASE_CREATED':
      return accept(state, null, [{ type: 'SEND_MESSAGE', purpose: 'outreach', replyBody: null }]);
    case 'FOLLOW_UP_DUE':
      return followUpDue(state, event, ctx);
    case 'REPLY_RECEIVED':
      return replyReceived(state, event);
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
    default:
      return assertNever(event);
  }
}

type EventOf<T extends CaseEvent['type']> = Extract<CaseEvent, { type: T }>;

function followUpDue(state: CaseState, event: EventOf<'FOLLOW_UP_DUE'>, ctx: DecideContext): Transition {
  // A delayed job for a schedule that has since moved (reply, snooze, sweep duplicate) is stale.
  if (!state.nextActionAt || state.nextActionAt.getTime() !== event.scheduledFor.getTime())
    return refuse(state, event, 'stale schedule');
  if (state.nextActionAt.getTime() > ctx.now.getTime()) return refuse(state, event, 'not due yet');
  // A reply that came in (even one whose REPLY_RECEIVED is still queued) is answered by its evaluation, not nagged.
  if (state.awaitingEvaluation || event.replyPending)
    return accept({ ...state, nextActionAt: null }, 'follow_up.skipped', [], { why: 'replied already' });
  // maxAttempts counts follow-ups only; attemptCount counts every outbound message including the outreach.
  if (state.attemptCount - 1 >= state.maxAttempts) return fail(state, RESULT_STATUS.maxRetries, null, 'case.failed');
  return accept(state, null, [{ type: 'SEND_MESSAGE', purpose: 'follow_up', replyBody: null }]);
}

function replyReceived(state: CaseState, event: EventOf<'REPLY_RECEIVED'>): Transition {
  const next: CaseState = { ...state, awaitingEvaluation: true };
  if (state.status === 'INPUT_NEEDED') {
    // The human's answer is still awaited; the reply is read together with it once it comes.
    return accept(next, 'reply.received', [], { messageId: event.messageId });
  }
  return accept({ ...next, nextActionAt: null }, 'reply.received', [{ type: 'EVALUATE_REPLY' }], {
    messageId: event.messageId,
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
  const nextActionAt = scaledDelay(state.followUpDelayHours, ctx);
  const next: CaseState = {
    ...state,
    status: 'RUNNING',
    attemptCount: state.attemptCount + 1,
    nextActionAt,
  };
  const timeline = purpose === 'outreach' ? 'outreach.sent' : purpose === 'follow_up' ? 'follow_up.sent' : 'reply.sent';
  return accept(next, timeline, [{ type: 'SCHEDULE_FOLLOW_UP', at: nextActionAt }], { purpose });
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
    case 'INPUT_NEEDED': {
      const inputRequest = {
        id: ctx.newId(),
        question: evaluation.question ?? evaluation.reason,
        status: 'PENDING' as const,
        requestedAt: ctx.now,
      };
      return accept(
        { ...evaluated, status: 'INPUT_NEEDED', inputRequest, nextActionAt: null },
        'case.input_needed',
        [{ type: 'EMIT_WEBHOOK', eventType: 'case.input_needed' }],
        { ...data, inputRequestId: inputRequest.id, question: inputRequest.question },
      );
    }
    case 'REQUIRES_REPLY': {
      const purpose: SendPurpose = state.status === 'INPUT_NEEDED' ? 'reply_after_input' : 'reply';
      return accept(
        { ...evaluated, status: 'RUNNING', nextActionAt: null },
        'reply.requested',
        [{ type: 'SEND_MESSAGE', purpose, replyBody: evaluation.replyBody }],
        data,
      );
    }
    case 'SNOOZE': {
      const at = scaledDelay(evaluation.snoozeHours ?? 24, ctx);
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

function fail(
  state: CaseState,
  resultStatus: string,
  failureReason: string | null,
  timelineType: string,
  data: Record<string, unknown> = {},
): Accepted {
  return accept(
    { ...state, status: 'FAILED', resultStatus, failureReason, nextActionAt: null },
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
