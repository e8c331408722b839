// Issue 21 in the state machine: the follow-up budget (followUpCount, not attemptCount), the maxReplies cap, replies
// that beat the outreach, auto-replies and their return dates, and the send window on every outbound path.
import { decide, type Accepted } from '../../../src/domain/case.machine';
import type { CaseEvent } from '../../../src/domain/case-event.types';
import type { CaseState } from '../../../src/domain/case.model';
import type { SendWindow } from '../../../src/domain/send-window.policy';
import { ctx, evaluation, HOUR, NOW, REQUEST_ID, state } from './fixtures';

// NOW is Saturday 2025-03-01 12:00Z: a weekday window in UTC is shut until Monday 09:00.
const WEEKDAYS_9_TO_5: SendWindow = {
  days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
  start: '09:00',
  end: '17:00',
  timezone: 'UTC',
};
const MONDAY_9 = new Date('2025-03-03T09:00:00.000Z');

function accepted(result: ReturnType<typeof decide>): Accepted {
  if (!result.ok) throw new Error(`expected acceptance, got refusal: ${result.reason}`);
  return result;
}

const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);
const due = (s: CaseState): CaseEvent => ({ type: 'FOLLOW_UP_DUE', scheduledFor: s.nextActionAt! });
const sent = (purpose: 'outreach' | 'follow_up' | 'reply' | 'reply_after_input'): CaseEvent => ({
  type: 'MESSAGE_SENT',
  purpose,
});

describe('the follow-up budget', () => {
  it('without replies: two follow-ups, then max_retries with attemptCount 3 (the seed wording)', () => {
    let s = state({ status: 'CREATED', attemptCount: 0, maxAttempts: 2, followUpDelayHours: 24 });
    s = accepted(decide(s, sent('outreach'), ctx({ now: at(0) }))).next;
    s = accepted(decide(s, sent('follow_up'), ctx({ now: at(24) }))).next;
    s = accepted(decide(s, sent('follow_up'), ctx({ now: at(48) }))).next;
    expect(s).toMatchObject({ attemptCount: 3, followUpCount: 2 });
    const last = accepted(decide(s, due(s), ctx({ now: at(72) })));
    expect(last.next).toMatchObject({ status: 'FAILED', resultStatus: 'max_retries', attemptCount: 3 });
  });

  it('in-thread replies do not use it, and their message resets it', () => {
    // outreach, FU1, their question, our reply, FU1', FU2', then max_retries: five messages, maxAttempts 2.
    let s = state({ status: 'CREATED', attemptCount: 0, maxAttempts: 2, followUpDelayHours: 24 });
    s = accepted(decide(s, sent('outreach'), ctx({ now: at(0) }))).next;
    s = accepted(decide(s, sent('follow_up'), ctx({ now: at(24) }))).next;
    expect(s.followUpCount).toBe(1);
    s = accepted(decide(s, { type: 'REPLY_RECEIVED', messageId: 'q1' }, ctx({ now: at(30) }))).next;
    expect(s.followUpCount).toBe(0);
    const reply = evaluation({ decision: 'REQUIRES_REPLY', replyBody: 'Here it is' });
    s = accepted(decide(s, { type: 'REPLY_EVALUATED', evaluation: reply }, ctx({ now: at(30) }))).next;
    s = accepted(decide(s, sent('reply'), ctx({ now: at(30) }))).next;
    expect(s).toMatchObject({ attemptCount: 3, followUpCount: 0, replyCount: 1 });
    s = accepted(decide(s, due(s), ctx({ now: at(54) }))).next; // asks for FU1'
    s = accepted(decide(s, sent('follow_up'), ctx({ now: at(54) }))).next;
    s = accepted(decide(s, due(s), ctx({ now: at(78) }))).next; // asks for FU2'
    s = accepted(decide(s, sent('follow_up'), ctx({ now: at(78) }))).next;
    expect(s).toMatchObject({ status: 'RUNNING', attemptCount: 5, followUpCount: 2 });
    const last = accepted(decide(s, due(s), ctx({ now: at(102) })));
    expect(last.next).toMatchObject({ status: 'FAILED', resultStatus: 'max_retries' });
  });
});

describe('maxReplies', () => {
  const requiresReply: CaseEvent = {
    type: 'REPLY_EVALUATED',
    evaluation: evaluation({ decision: 'REQUIRES_REPLY', replyBody: 'One more answer' }),
  };

  it('below the cap: the reply goes', () => {
    const result = accepted(
      decide(state({ awaitingEvaluation: true, replyCount: 1, maxReplies: 2 }), requiresReply, ctx()),
    );
    expect(result.effects).toEqual([{ type: 'SEND_MESSAGE', purpose: 'reply', replyBody: 'One more answer' }]);
  });

  it('at the cap: the case asks its human instead of replying once more', () => {
    const result = accepted(
      decide(state({ awaitingEvaluation: true, replyCount: 2, maxReplies: 2 }), requiresReply, ctx()),
    );
    expect(result.next.status).toBe('INPUT_NEEDED');
    expect(result.next.inputRequest?.question).toMatch(/maxReplies/);
    expect(result.next.inputRequest?.question).toMatch(/One more answer/);
    expect(result.timelineType).toBe('case.input_needed');
    expect(result.data).toMatchObject({ cap: 'maxReplies' });
    expect(result.effects).toEqual([{ type: 'EMIT_WEBHOOK', eventType: 'case.input_needed' }]);
  });

  it('a reply after the human answered is not capped (the human chose it)', () => {
    const s = state({
      status: 'INPUT_NEEDED',
      awaitingEvaluation: true,
      replyCount: 2,
      maxReplies: 2,
      inputRequest: { id: REQUEST_ID, question: 'q', status: 'RESOLVED', requestedAt: NOW },
    });
    const result = accepted(decide(s, requiresReply, ctx()));
    expect(result.effects).toEqual([
      { type: 'SEND_MESSAGE', purpose: 'reply_after_input', replyBody: 'One more answer' },
      { type: 'EMIT_WEBHOOK', eventType: 'case.running' },
    ]);
  });
});

describe('a reply before the outreach', () => {
  it('is kept in CREATED and evaluated once the outreach has gone', () => {
    const created = state({ status: 'CREATED', attemptCount: 0 });
    const early = accepted(decide(created, { type: 'REPLY_RECEIVED', messageId: 'early' }, ctx()));
    expect(early.next).toMatchObject({ status: 'CREATED', awaitingEvaluation: true });
    expect(early.timelineType).toBe('reply.received');
    expect(early.effects).toEqual([]);
    const outreach = accepted(decide(early.next, sent('outreach'), ctx()));
    expect(outreach.next).toMatchObject({ status: 'RUNNING', attemptCount: 1, nextActionAt: null });
    expect(outreach.effects).toEqual([{ type: 'EVALUATE_REPLY' }, { type: 'EMIT_WEBHOOK', eventType: 'case.running' }]);
  });
});

describe('auto-replies', () => {
  const scheduled = at(72);
  const auto = (returnDate: Date | null): CaseEvent => ({ type: 'AUTO_REPLY_RECEIVED', messageId: 'ooo', returnDate });

  it('are noted, never evaluated or answered, and leave the budget alone', () => {
    const s = state({ nextActionAt: scheduled, followUpCount: 1 });
    const result = accepted(decide(s, auto(null), ctx()));
    expect(result.timelineType).toBe('auto_reply.received');
    expect(result.effects).toEqual([]);
    expect(result.next).toEqual(s);
  });

  it('move the next follow-up to after the return date they give', () => {
    const back = at(24 * 10);
    const result = accepted(decide(state({ nextActionAt: scheduled }), auto(back), ctx()));
    expect(result.next.nextActionAt).toEqual(back);
    expect(result.effects).toEqual([{ type: 'SCHEDULE_FOLLOW_UP', at: back }]);
  });

  it('... into the send window', () => {
    const sundayNight = new Date('2025-03-09T22:00:00.000Z');
    const s = state({ nextActionAt: scheduled, sendWindow: WEEKDAYS_9_TO_5 });
    const result = accepted(decide(s, auto(sundayNight), ctx()));
    expect(result.next.nextActionAt).toEqual(new Date('2025-03-10T09:00:00.000Z'));
  });

  it('never bring a follow-up forward', () => {
    const result = accepted(decide(state({ nextActionAt: scheduled }), auto(at(1)), ctx()));
    expect(result.next.nextActionAt).toEqual(scheduled);
    expect(result.effects).toEqual([]);
  });
});

describe('the send window on every outbound path', () => {
  const windowed = (overrides: Partial<CaseState>) => state({ sendWindow: WEEKDAYS_9_TO_5, ...overrides });

  it('outreach: held until the next opening, shown in nextActionAt, then released by the due job', () => {
    const created = windowed({ status: 'CREATED', attemptCount: 0 });
    const held = accepted(decide(created, { type: 'CASE_CREATED' }, ctx()));
    expect(held.next).toMatchObject({ status: 'CREATED', nextActionAt: MONDAY_9, heldSend: { purpose: 'outreach' } });
    expect(held.timelineType).toBe('send.held');
    // Held, the case is still created: account endpoints hear case.created now, case.running when it leaves.
    expect(held.effects).toEqual([
      { type: 'SCHEDULE_FOLLOW_UP', at: MONDAY_9 },
      { type: 'EMIT_WEBHOOK', eventType: 'case.created' },
    ]);
    const released = accepted(decide(held.next, due(held.next), ctx({ now: MONDAY_9 })));
    expect(released.effects).toEqual([{ type: 'SEND_MESSAGE', purpose: 'outreach', replyBody: null }]);
  });

  it('outreach: waits for startAt (nextActionAt at creation) even inside the window', () => {
    const created = windowed({ status: 'CREATED', attemptCount: 0, nextActionAt: new Date('2025-03-04T10:00:00Z') });
    const held = accepted(decide(created, { type: 'CASE_CREATED' }, ctx()));
    expect(held.next.nextActionAt).toEqual(new Date('2025-03-04T10:00:00Z'));
  });

  it('follow-ups: scheduled into the window after the delay', () => {
    // Sent Friday 16:00 with a 24 h delay: Saturday 16:00 is shut, Monday 09:00 is the next opening.
    const friday = new Date('2025-02-28T16:00:00.000Z');
    const result = accepted(decide(windowed({ followUpDelayHours: 24 }), sent('follow_up'), ctx({ now: friday })));
    expect(result.next.nextActionAt).toEqual(MONDAY_9);
  });

  it('follow-ups: a due job that runs after the window shut moves to the next opening', () => {
    const s = windowed({ nextActionAt: at(-1) });
    const result = accepted(decide(s, due(s), ctx()));
    expect(result.next.nextActionAt).toEqual(MONDAY_9);
    expect(result.effects).toEqual([{ type: 'SCHEDULE_FOLLOW_UP', at: MONDAY_9 }]);
  });

  it('replies: held until the window opens, and a new reply in between cancels the held one', () => {
    const s = windowed({ awaitingEvaluation: true });
    const reply = evaluation({ decision: 'REQUIRES_REPLY', replyBody: 'Monday it is' });
    const held = accepted(decide(s, { type: 'REPLY_EVALUATED', evaluation: reply }, ctx()));
    expect(held.next).toMatchObject({
      nextActionAt: MONDAY_9,
      heldSend: { purpose: 'reply', replyBody: 'Monday it is' },
    });
    expect(held.data).toMatchObject({ heldUntil: MONDAY_9.toISOString() });
    const released = accepted(decide(held.next, due(held.next), ctx({ now: MONDAY_9 })));
    expect(released.next).toMatchObject({ nextActionAt: null, heldSend: null });
    expect(released.effects).toEqual([{ type: 'SEND_MESSAGE', purpose: 'reply', replyBody: 'Monday it is' }]);
    const interrupted = accepted(decide(held.next, { type: 'REPLY_RECEIVED', messageId: 'm2' }, ctx()));
    expect(interrupted.next).toMatchObject({ heldSend: null, nextActionAt: null });
  });

  it('replies after human input: held the same way', () => {
    const s = windowed({
      status: 'INPUT_NEEDED',
      awaitingEvaluation: true,
      inputRequest: { id: REQUEST_ID, question: 'q', status: 'RESOLVED', requestedAt: NOW },
    });
    const reply = evaluation({ decision: 'REQUIRES_REPLY', replyBody: 'As agreed' });
    const held = accepted(decide(s, { type: 'REPLY_EVALUATED', evaluation: reply }, ctx()));
    expect(held.next).toMatchObject({ status: 'RUNNING', heldSend: { purpose: 'reply_after_input' } });
  });

  it('snooze rechecks: moved into the window', () => {
    const snooze = evaluation({ decision: 'SNOOZE', snoozeHours: 2 });
    const result = accepted(
      decide(windowed({ awaitingEvaluation: true }), { type: 'REPLY_EVALUATED', evaluation: snooze }, ctx()),
    );
    expect(result.next.nextActionAt).toEqual(MONDAY_9);
  });

  it('inside the window everything leaves at once', () => {
    const result = accepted(
      decide(windowed({ status: 'CREATED', attemptCount: 0 }), { type: 'CASE_CREATED' }, ctx({ now: MONDAY_9 })),
    );
    expect(result.effects).toEqual([
      { type: 'SEND_MESSAGE', purpose: 'outreach', replyBody: null },
      { type: 'EMIT_WEBHOOK', eventType: 'case.created' },
    ]);
  });
});
