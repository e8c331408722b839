// Shared by the state machine tests: a fixed clock, a case state with overrides, an evaluation with overrides.
import type { DecideContext } from '../../../src/domain/case.machine';
import type { CaseState } from '../../../src/domain/case.model';
import type { Evaluation } from '../../../src/domain/evaluation.types';

export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const HOUR = 3_600_000;
export const REQUEST_ID = '22222222-2222-4222-8222-222222222222';

export const ctx = (overrides: Partial<DecideContext> = {}): DecideContext => ({
  now: NOW,
  timeScale: 1,
  newId: () => '11111111-1111-4111-8111-111111111111',
  ...overrides,
});

export function state(overrides: Partial<CaseState> = {}): CaseState {
  return {
    status: 'RUNNING',
    attemptCount: 1,
    maxAttempts: 3,
    followUpDelayHours: 72,
    nextActionAt: null,
    resultStatus: null,
    result: null,
    failureReason: null,
    inputRequest: null,
    awaitingEvaluation: false,
    ...overrides,
  };
}

export const evaluation = (overrides: Partial<Evaluation>): Evaluation => ({
  decision: 'GOAL_ACHIEVED',
  reason: 'because',
  result: null,
  question: null,
  replyBody: null,
  snoozeHours: null,
  ...overrides,
});
