// A case row as the state machine sees it, and back: the domain's CaseState is a subset of the row's columns.
import type { CaseState, InputRequestState } from '../../domain/case.model';
import type { CaseEntity } from '../../persistence/entities';

export function toState(row: CaseEntity): CaseState {
  return {
    status: row.status,
    attemptCount: row.attemptCount,
    maxAttempts: row.maxAttempts,
    followUpDelayHours: row.followUpDelayHours,
    nextActionAt: row.nextActionAt,
    resultStatus: row.resultStatus,
    result: row.result,
    failureReason: row.failureReason,
    awaitingEvaluation: row.awaitingEvaluation,
    inputRequest: inputRequestOf(row),
  };
}

/** The case's input request as one value; the row keeps it in four columns. */
export function inputRequestOf(row: CaseEntity): InputRequestState | null {
  return row.inputRequestId && row.inputRequestStatus !== 'NONE'
    ? {
        id: row.inputRequestId,
        question: row.inputRequestQuestion ?? '',
        status: row.inputRequestStatus,
        requestedAt: row.inputRequestedAt ?? row.updatedAt,
      }
    : null;
}

export function applyState(row: CaseEntity, state: CaseState): void {
  row.status = state.status;
  row.attemptCount = state.attemptCount;
  row.nextActionAt = state.nextActionAt;
  row.resultStatus = state.resultStatus;
  row.result = state.result ?? null;
  row.failureReason = state.failureReason;
  row.awaitingEvaluation = state.awaitingEvaluation;
  row.inputRequestId = state.inputRequest?.id ?? null;
  row.inputRequestQuestion = state.inputRequest?.question ?? null;
  row.inputRequestStatus = state.inputRequest?.status ?? 'NONE';
  row.inputRequestedAt = state.inputRequest?.requestedAt ?? null;
}
