// The case state machine's table: every status x every event type is accepted exactly when ALLOWED says so, and
// refused (with a reason naming the pair) otherwise; decide() never mutates what it is given.
import { ALLOWED, decide } from '../../../src/domain/case.machine';
import { CASE_EVENT_TYPES, type CaseEvent, type CaseEventType } from '../../../src/domain/case-event.types';
import { CASE_STATUSES, type CaseState, type CaseStatus } from '../../../src/domain/case.model';
import { ctx, evaluation, NOW, REQUEST_ID, state } from './fixtures';

/** A state in `status` that satisfies every guard of the events allowed there, so only ALLOWED decides. */
function permissiveState(status: CaseStatus): CaseState {
  return state({
    status,
    attemptCount: status === 'CREATED' ? 0 : 1,
    nextActionAt: new Date(NOW.getTime() - 1000),
    awaitingEvaluation: true,
    inputRequest: { id: REQUEST_ID, question: 'q?', status: 'RESOLVED', requestedAt: NOW },
  });
}

function sampleEvent(type: CaseEventType, status: CaseStatus): CaseEvent {
  switch (type) {
    case 'CASE_CREATED':
      return { type };
    case 'FOLLOW_UP_DUE':
      return { type, scheduledFor: new Date(NOW.getTime() - 1000) };
    case 'REPLY_RECEIVED':
      return { type, messageId: 'm1' };
    case 'INPUT_PROVIDED':
      return { type, inputRequestId: REQUEST_ID };
    case 'CANCEL_REQUESTED':
      return { type, reason: null };
    case 'DELIVERY_FAILED':
      return { type, kind: 'BOUNCED', reason: 'mailbox unknown' };
    case 'MESSAGE_SENT':
      return { type, purpose: status === 'CREATED' ? 'outreach' : 'follow_up' };
    case 'SEND_FAILED':
      return { type, reason: '550 rejected' };
    case 'REPLY_EVALUATED':
      return { type, evaluation: evaluation({ result: { summary: 'done' } }) };
    default: {
      const unreachable: never = type;
      throw new Error(`no sample for ${String(unreachable)}`);
    }
  }
}

describe('every status x event pair', () => {
  it('covers every event type in ALLOWED', () => {
    expect(Object.keys(ALLOWED).sort()).toEqual([...CASE_EVENT_TYPES].sort());
  });

  const pairs = CASE_STATUSES.flatMap((status) => CASE_EVENT_TYPES.map((type) => [status, type] as const));
  it.each(pairs)('%s x %s is accepted exactly when ALLOWED says so', (status, type) => {
    const result = decide(permissiveState(status), sampleEvent(type, status), ctx());
    if (ALLOWED[type].includes(status)) {
      expect(result).toMatchObject({ ok: true });
    } else {
      // Refused with a reason naming the pair, never ignored silently.
      expect(result).toEqual({ ok: false, reason: `${type} in ${status}: not allowed` });
    }
  });

  it.each(['COMPLETED', 'FAILED'] as const)('a %s case accepts nothing', (status) => {
    for (const type of CASE_EVENT_TYPES) expect(ALLOWED[type]).not.toContain(status);
  });
});

describe('decide() is pure', () => {
  it('never mutates the state or the event it is given', () => {
    for (const status of CASE_STATUSES) {
      for (const type of CASE_EVENT_TYPES) {
        const input = permissiveState(status);
        const event = sampleEvent(type, status);
        const before = structuredClone({ input, event });
        decide(Object.freeze(input), Object.freeze(event), ctx());
        expect({ input, event }).toEqual(before);
      }
    }
  });
});
