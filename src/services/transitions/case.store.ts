// Loading, locking and saving cases and their timeline inside a transaction. No decisions are made here.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CaseState, CaseStatus, InputRequestState } from '../../domain/case.model';
import { CaseEntity, CaseEventEntity } from '../../persistence/entities';

export async function lockCase(manager: EntityManager, caseId: string, accountId?: string): Promise<CaseEntity | null> {
  const query = manager
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .setLock('pessimistic_write')
    .where('c.id = :caseId', { caseId });
  if (accountId) query.andWhere('c.account_id = :accountId', { accountId });
  return query.getOne();
}

/** Locks several cases in id order (so two batches never wait on each other in a cycle). */
export async function lockCases(manager: EntityManager, caseIds: string[]): Promise<CaseEntity[]> {
  return manager
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .setLock('pessimistic_write')
    .where('c.id = ANY(:caseIds)', { caseIds })
    .orderBy('c.id')
    .getMany();
}

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
    followUpCount: row.followUpCount,
    replyCount: row.replyCount,
    maxReplies: row.maxReplies,
    sendWindow: row.sendWindow,
    heldSend: row.heldSend,
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
  row.followUpCount = state.followUpCount;
  row.replyCount = state.replyCount;
  row.heldSend = state.heldSend;
}

export interface TimelineEntry {
  type: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  data?: Record<string, unknown> | null;
  occurredAt: Date;
}

/** Appends one timeline row; callers hold the case's row lock, which makes seq allocation safe. */
export async function appendTimeline(manager: EntityManager, row: CaseEntity, entry: TimelineEntry): Promise<string> {
  const [record] = timelineRecords([{ row, entry }]);
  await manager.query(INSERT_TIMELINE.replace('$N', '$1'), [JSON.stringify([record])]);
  return record!.id;
}

/**
 * Timeline rows of any number of cases for INSERT_TIMELINE; callers hold each case's row lock. A case's rows take
 * the next seqs in the order given (rows a statement inserts are invisible to its own MAX, hence `n`).
 */
export function timelineRecords(entries: { row: CaseEntity; entry: TimelineEntry }[]) {
  const perCase = new Map<string, number>();
  return entries.map(({ row, entry }) => {
    const n = (perCase.get(row.id) ?? 0) + 1;
    perCase.set(row.id, n);
    return {
      id: randomUUID(),
      case_id: row.id,
      account_id: row.accountId,
      n,
      type: entry.type,
      from_status: entry.fromStatus,
      to_status: entry.toStatus,
      data: entry.data ?? null,
      occurred_at: entry.occurredAt,
    };
  });
}

/** Timeline rows from JSON parameter $N (see timelineRecords). */
export const INSERT_TIMELINE = `INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at)
     SELECT v.id, v.case_id, v.account_id,
            (SELECT COALESCE(MAX(e.seq), 0) FROM case_events e WHERE e.case_id = v.case_id) + v.n,
            v.type, v.from_status, v.to_status, v.data, v.occurred_at
       FROM json_to_recordset($N::json) AS v(id uuid, case_id uuid, account_id uuid, n int, type text,
                                             from_status text, to_status text, data jsonb, occurred_at timestamptz)
      ORDER BY v.case_id, v.n`;

export async function loadTimeline(manager: EntityManager, caseId: string): Promise<CaseEventEntity[]> {
  return manager.getRepository(CaseEventEntity).find({ where: { caseId }, order: { seq: 'ASC' } });
}

/** Claims a worker step's idempotency key; false when it was already applied. */
export async function claimJobKey(manager: EntityManager, key: string, caseId: string | null): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO processed_jobs (key, case_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
    [key, caseId],
  );
  return rows.length > 0;
}

export async function isJobKeyClaimed(manager: EntityManager, key: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(`SELECT 1 FROM processed_jobs WHERE key = $1`, [key]);
  return rows.length > 0;
}

/** The first day of the UTC month of `at`, as the usage table keys it. */
export const usageMonth = (at: Date): string =>
  `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;

/** Writes a locked case's mutable fields back in one UPDATE (TypeORM's save would SELECT first). */
export async function saveCase(manager: EntityManager, row: CaseEntity): Promise<void> {
  await manager.query(UPDATE_CASES.replace('$N', '$1'), [JSON.stringify(caseRecords([row]))]);
}

/** The mutable fields of locked cases for UPDATE_CASES. */
export function caseRecords(rows: CaseEntity[]) {
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    goal: row.goal,
    attempt_count: row.attemptCount,
    next_action_at: row.nextActionAt,
    result_status: row.resultStatus,
    result: row.result ?? null,
    failure_reason: row.failureReason,
    input_request_id: row.inputRequestId,
    input_request_question: row.inputRequestQuestion,
    input_request_status: row.inputRequestStatus,
    input_requested_at: row.inputRequestedAt,
    awaiting_evaluation: row.awaitingEvaluation,
    thread_ref: row.threadRef,
    finished_at: row.finishedAt,
    updated_at: row.updatedAt,
    follow_up_count: row.followUpCount,
    reply_count: row.replyCount,
    held_send: row.heldSend,
  }));
}

/** Case rows from JSON parameter $N (see caseRecords). */
export const UPDATE_CASES = `UPDATE cases c SET status = v.status, goal = v.goal, attempt_count = v.attempt_count,
            next_action_at = v.next_action_at, result_status = v.result_status, result = v.result,
            failure_reason = v.failure_reason, input_request_id = v.input_request_id,
            input_request_question = v.input_request_question, input_request_status = v.input_request_status,
            input_requested_at = v.input_requested_at, awaiting_evaluation = v.awaiting_evaluation,
            thread_ref = v.thread_ref, finished_at = v.finished_at, updated_at = v.updated_at,
            follow_up_count = v.follow_up_count, reply_count = v.reply_count, held_send = v.held_send
       FROM json_to_recordset($N::json) AS v(id uuid, status text, goal jsonb, attempt_count int,
            next_action_at timestamptz, result_status text, result jsonb, failure_reason text, input_request_id uuid,
            input_request_question text, input_request_status text, input_requested_at timestamptz,
            awaiting_evaluation boolean, thread_ref text, finished_at timestamptz, updated_at timestamptz,
            follow_up_count int, reply_count int, held_send jsonb)
      WHERE c.id = v.id`;
