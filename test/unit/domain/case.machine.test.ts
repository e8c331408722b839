// The case state machine's behaviour, event by event: what each accepted event makes of the case and asks for.
import { decide, sendUnwantedReason, type Accepted } from '../../../src/domain/case.machine';
import type { CaseEvent } from '../../../src/domain/case-event.types';
import type { CaseState } from '../../../src/domain/case.model';
import type { Evaluation } from '../../../src/domain/evaluation.types';
import { ctx, evaluation, HOUR, NOW, REQUEST_ID, state } from './fixtures';

function accepted(result: ReturnType<typeof decide>): Accepted {
  if (!result.ok) throw new Error(`expected acceptance, got refusal: ${result.reason}`);
  return result;
}

describe('CASE_CREATED', () => {
  it('asks for the outreach without changing anything visible', () => {
    const result = accepted(decide(state({ status: 'CREATED', attemptCount: 0 }), { type: 'CASE_CREATED' }, ctx()));
    expect(result.timelineType).toBeNull();
    expect(result.next.status).toBe('CREATED');
    expect(result.effects).toEqual([{ type: 'SEND_MESSAGE', purpose: 'outreach', replyBody: null }]);
  });
});

describe('FOLLOW_UP_DUE', () => {
  const due = new Date(NOW.getTime() - 1000);
  const event = (scheduledFor = due, replyPending = false): CaseEvent => ({
    type: 'FOLLOW_UP_DUE',
    scheduledFor,
    replyPending,
  });

  it('refuses a stale schedule (the case was rescheduled since)', () => {
    const result = decide(state({ nextActionAt: new Date(NOW.getTime() + HOUR) }), event(), ctx());
    expect(result).toEqual({ ok: false, reason: 'FOLLOW_UP_DUE in RUNNING: stale schedule' });
  });

  it('refuses when nothing is scheduled any more', () => {
    expect(decide(state({ nextActionAt: null }), event(), ctx())).toMatchObject({ ok: false });
  });

  it('refuses a schedule that is not due yet', () => {
    const later = new Date(NOW.getTime() + 1000);
    const result = decide(state({ nextActionAt: later }), event(later), ctx());
    expect(result).toEqual({ ok: false, reason: 'FOLLOW_UP_DUE in RUNNING: not due yet' });
  });

  it.each([
    ['awaiting evaluation', { awaitingEvaluation: true }, false],
    ['a reply still queued', {}, true],
  ])('clears the schedule when replied already (%s)', (_why, overrides, replyPending) => {
    const result = accepted(decide(state({ nextActionAt: due, ...overrides }), event(due, replyPending), ctx()));
    expect(result.next.nextActionAt).toBeNull();
    expect(result.next.status).toBe('RUNNING');
    expect(result.timelineType).toBe('follow_up.skipped');
    expect(result.effects).toEqual([]);
  });

  it('fails with max_retries once maxAttempts follow-ups went out (attemptCount - 1 >= maxAttempts)', () => {
    const result = accepted(decide(state({ nextActionAt: due, attemptCount: 4, maxAttempts: 3 }), event(), ctx()));
    expect(result.next).toMatchObject({ status: 'FAILED', resultStatus: 'max_retries', nextActionAt: null });
    expect(result.timelineType).toBe('case.failed');
    expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.failed' }]);
  });

  it('fails at the first due date when maxAttempts is 0', () => {
    const result = accepted(decide(state({ nextActionAt: due, attemptCount: 1, maxAttempts: 0 }), event(), ctx()));
    expect(result.next.resultStatus).toBe('max_retries');
  });

  it('asks for a follow-up while attempts remain, keeping the schedule until it is sent', () => {
    const result = accepted(decide(state({ nextActionAt: due, attemptCount: 3, maxAttempts: 3 }), event(), ctx()));
    expect(result.next).toMatchObject({ status: 'RUNNING', attemptCount: 3, nextActionAt: due });
    expect(result.timelineType).toBeNull();
    expect(result.effects).toEqual([{ type: 'SEND_MESSAGE', purpose: 'follow_up', replyBody: null }]);
  });
});

describe('REPLY_RECEIVED', () => {
  it('in RUNNING clears the schedule and asks for an evaluation', () => {
    const result = accepted(decide(state({ nextActionAt: NOW }), { type: 'REPLY_RECEIVED', messageId: 'm1' }, ctx()));
    expect(result.next).toMatchObject({ status: 'RUNNING', awaitingEvaluation: true, nextActionAt: null });
    expect(result.effects).toEqual([{ type: 'EVALUATE_REPLY' }]);
    expect(result.data).toEqual({ messageId: 'm1' });
  });

  it('in INPUT_NEEDED is kept for the evaluation that follows the human answer', () => {
    const pending = { id: REQUEST_ID, question: 'q?', status: 'PENDING' as const, requestedAt: NOW };
    const result = accepted(
      decide(
        state({ status: 'INPUT_NEEDED', inputRequest: pending }),
        { type: 'REPLY_RECEIVED', messageId: 'm1' },
        ctx(),
      ),
    );
    expect(result.next).toMatchObject({ status: 'INPUT_NEEDED', awaitingEvaluation: true, inputRequest: pending });
    expect(result.effects).toEqual([]);
    expect(result.timelineType).toBe('reply.received');
  });
});

describe('INPUT_PROVIDED', () => {
  const waiting = (status: 'PENDING' | 'RESOLVED', id = REQUEST_ID) =>
    state({ status: 'INPUT_NEEDED', inputRequest: { id, question: 'q?', status, requestedAt: NOW } });

  it('refuses an answer to another input request', () => {
    const result = decide(waiting('RESOLVED', 'other'), { type: 'INPUT_PROVIDED', inputRequestId: REQUEST_ID }, ctx());
    expect(result).toEqual({ ok: false, reason: 'INPUT_PROVIDED in INPUT_NEEDED: input request mismatch' });
  });

  it('refuses an input request that is not resolved', () => {
    const result = decide(waiting('PENDING'), { type: 'INPUT_PROVIDED', inputRequestId: REQUEST_ID }, ctx());
    expect(result).toEqual({ ok: false, reason: 'INPUT_PROVIDED in INPUT_NEEDED: input request not resolved' });
  });

  it('marks the answer as news and asks for an evaluation', () => {
    const result = accepted(decide(waiting('RESOLVED'), { type: 'INPUT_PROVIDED', inputRequestId: REQUEST_ID }, ctx()));
    expect(result.next).toMatchObject({ status: 'INPUT_NEEDED', awaitingEvaluation: true });
    expect(result.effects).toEqual([{ type: 'EVALUATE_REPLY' }]);
  });
});

describe('REPLY_EVALUATED', () => {
  const evaluated = (e: Partial<Evaluation>, overrides: Partial<CaseState> = {}, c = ctx()) =>
    decide(
      state({ awaitingEvaluation: true, ...overrides }),
      { type: 'REPLY_EVALUATED', evaluation: evaluation(e) },
      c,
    );

  it('GOAL_ACHIEVED completes with the result', () => {
    const result = accepted(evaluated({ decision: 'GOAL_ACHIEVED', result: { tin: '12-3456789' } }));
    expect(result.next).toMatchObject({
      status: 'COMPLETED',
      resultStatus: 'goal_achieved',
      result: { tin: '12-3456789' },
      nextActionAt: null,
      awaitingEvaluation: false,
    });
    expect(result.timelineType).toBe('case.completed');
    expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.completed' }]);
  });

  it('FAILED_REJECTED fails with failed_rejected and the reason', () => {
    const result = accepted(evaluated({ decision: 'FAILED_REJECTED', reason: 'not interested' }));
    expect(result.next).toMatchObject({
      status: 'FAILED',
      resultStatus: 'failed_rejected',
      failureReason: 'not interested',
    });
    expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.failed' }]);
  });

  it('INPUT_NEEDED opens a PENDING input request with the question', () => {
    const result = accepted(evaluated({ decision: 'INPUT_NEEDED', question: 'Which entity?' }));
    expect(result.next).toMatchObject({
      status: 'INPUT_NEEDED',
      nextActionAt: null,
      inputRequest: {
        id: '11111111-1111-4111-8111-111111111111',
        question: 'Which entity?',
        status: 'PENDING',
        requestedAt: NOW,
      },
    });
    expect(result.timelineType).toBe('case.input_needed');
    expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.input_needed' }]);
  });

  it('INPUT_NEEDED without a question asks the reason', () => {
    const result = accepted(evaluated({ decision: 'INPUT_NEEDED', reason: 'unclear' }));
    expect(result.next.inputRequest?.question).toBe('unclear');
  });

  it.each([
    ['RUNNING', 'reply'],
    ['INPUT_NEEDED', 'reply_after_input'],
  ] as const)('REQUIRES_REPLY in %s asks for a %s and stays RUNNING', (status, purpose) => {
    const resolved = { id: REQUEST_ID, question: 'q?', status: 'RESOLVED' as const, requestedAt: NOW };
    const result = accepted(
      evaluated({ decision: 'REQUIRES_REPLY', replyBody: 'Here it is' }, { status, inputRequest: resolved }),
    );
    expect(result.next).toMatchObject({ status: 'RUNNING', nextActionAt: null, awaitingEvaluation: false });
    expect(result.effects).toEqual([{ type: 'SEND_MESSAGE', purpose, replyBody: 'Here it is' }]);
  });

  it('SNOOZE reschedules the recheck, scaled', () => {
    const result = accepted(evaluated({ decision: 'SNOOZE', snoozeHours: 5 }, {}, ctx({ timeScale: 100 })));
    const at = new Date(NOW.getTime() + (5 * HOUR) / 100);
    expect(result.next).toMatchObject({ status: 'RUNNING', nextActionAt: at });
    expect(result.effects).toEqual([{ type: 'SCHEDULE_FOLLOW_UP', at }]);
  });

  it('SNOOZE without hours waits a day', () => {
    const result = accepted(evaluated({ decision: 'SNOOZE' }));
    expect(result.next.nextActionAt).toEqual(new Date(NOW.getTime() + 24 * HOUR));
  });

  it('refuses an evaluation when nothing new awaits one', () => {
    const result = evaluated({ decision: 'REQUIRES_REPLY' }, { awaitingEvaluation: false });
    expect(result).toEqual({ ok: false, reason: 'REPLY_EVALUATED in RUNNING: nothing new to evaluate' });
  });

  it('refuses an evaluation while the human answer is still awaited', () => {
    const pending = { id: REQUEST_ID, question: 'q?', status: 'PENDING' as const, requestedAt: NOW };
    const result = evaluated({ decision: 'INPUT_NEEDED' }, { status: 'INPUT_NEEDED', inputRequest: pending });
    expect(result).toEqual({ ok: false, reason: 'REPLY_EVALUATED in INPUT_NEEDED: waiting for the human' });
  });
});

describe('MESSAGE_SENT', () => {
  it.each([
    ['outreach', 'CREATED', 0, 'outreach.sent'],
    ['follow_up', 'RUNNING', 1, 'follow_up.sent'],
    ['reply', 'RUNNING', 2, 'reply.sent'],
    ['reply_after_input', 'RUNNING', 2, 'reply.sent'],
  ] as const)('%s from %s counts the attempt and schedules the next follow-up', (purpose, status, count, timeline) => {
    const result = accepted(
      decide(state({ status, attemptCount: count, followUpDelayHours: 48 }), { type: 'MESSAGE_SENT', purpose }, ctx()),
    );
    const at = new Date(NOW.getTime() + 48 * HOUR);
    expect(result.next).toMatchObject({ status: 'RUNNING', attemptCount: count + 1, nextActionAt: at });
    expect(result.timelineType).toBe(timeline);
    expect(result.effects).toEqual([{ type: 'SCHEDULE_FOLLOW_UP', at }]);
  });

  it('refuses an outreach for a case already running and a follow-up for one never contacted', () => {
    expect(decide(state(), { type: 'MESSAGE_SENT', purpose: 'outreach' }, ctx())).toMatchObject({ ok: false });
    expect(
      decide(state({ status: 'CREATED', attemptCount: 0 }), { type: 'MESSAGE_SENT', purpose: 'follow_up' }, ctx()),
    ).toMatchObject({ ok: false });
  });

  it('divides the delay by OFFLOAD_TIME_SCALE', () => {
    const result = accepted(
      decide(
        state({ followUpDelayHours: 72 }),
        { type: 'MESSAGE_SENT', purpose: 'follow_up' },
        ctx({ timeScale: 3_600_000 }),
      ),
    );
    expect(result.next.nextActionAt).toEqual(new Date(NOW.getTime() + 72));
  });
});

describe('provider failures and cancellation', () => {
  it.each(['BOUNCED', 'COMPLAINED', 'REJECTED'] as const)(
    'DELIVERY_FAILED %s fails with that result status',
    (kind) => {
      const result = accepted(
        decide(state({ nextActionAt: NOW }), { type: 'DELIVERY_FAILED', kind, reason: 'r' }, ctx()),
      );
      expect(result.next).toMatchObject({
        status: 'FAILED',
        resultStatus: kind,
        failureReason: 'r',
        nextActionAt: null,
      });
      expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.failed' }]);
    },
  );

  it('SEND_FAILED fails with REJECTED', () => {
    const result = accepted(
      decide(state({ status: 'CREATED', attemptCount: 0 }), { type: 'SEND_FAILED', reason: '550' }, ctx()),
    );
    expect(result.next).toMatchObject({ status: 'FAILED', resultStatus: 'REJECTED', failureReason: '550' });
  });

  it('CANCEL_REQUESTED fails with cancelled and the reason, or a default one', () => {
    const withReason = accepted(decide(state(), { type: 'CANCEL_REQUESTED', reason: 'done elsewhere' }, ctx()));
    expect(withReason.next).toMatchObject({
      status: 'FAILED',
      resultStatus: 'cancelled',
      failureReason: 'done elsewhere',
    });
    const without = accepted(
      decide(state({ status: 'INPUT_NEEDED' }), { type: 'CANCEL_REQUESTED', reason: null }, ctx()),
    );
    expect(without.next.failureReason).toBe('Cancelled by the client');
  });
});

describe('sendUnwantedReason', () => {
  const due = new Date(NOW.getTime() - 1000);
  it.each([
    ['outreach of a new case', state({ status: 'CREATED', attemptCount: 0 }), 'outreach', 1, null],
    ['outreach once running', state(), 'outreach', 1, /no longer next/],
    ['a cancelled case', state({ status: 'FAILED' }), 'follow_up', 2, /case is FAILED/],
    ['a due follow-up', state({ nextActionAt: due }), 'follow_up', 2, null],
    ['a place already taken', state({ attemptCount: 2, nextActionAt: due }), 'follow_up', 2, /no longer next/],
    ['a follow-up after a reply', state({ awaitingEvaluation: true }), 'follow_up', 2, /awaits evaluation/],
    ['a snoozed follow-up', state({ nextActionAt: new Date(NOW.getTime() + HOUR) }), 'follow_up', 2, /rescheduled/],
    ['a reply asked for', state(), 'reply', 2, null],
    ['a reply after a newer reply', state({ awaitingEvaluation: true }), 'reply', 2, /awaits evaluation/],
    ['a reply when a question went to the human', state({ status: 'INPUT_NEEDED' }), 'reply', 2, /INPUT_NEEDED/],
    ['a reply once a follow-up is scheduled', state({ nextActionAt: due }), 'reply_after_input', 2, /scheduled/],
  ] as const)('%s', (_name, s, purpose, seq, expected) => {
    const reason = sendUnwantedReason(s, purpose, seq, NOW);
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toMatch(expected);
  });
});
