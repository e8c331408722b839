// Loading, locking and saving cases and their timeline inside a transaction. No decisions are made here.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CaseState, CaseStatus, InputRequestState } from '../domain/case.model';
import { CaseEntity, CaseEventEntity } from '../persistence/entities';

export async function lockCase(manager: EntityManager, caseId: string, accountId?: string): Promise<CaseEntity | null> {
  const query = manager
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .setLock('pessimistic_write')
    .where('c.id = :caseId', { caseId });
  if (accountId) query.andWhere('c.account_id = :accountId', { accountId });
  return query.getOne();
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

export interface TimelineEntry {
  type: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  data?: Record<string, unknown> | null;
  occurredAt: Date;
}

/** Appends one timeline row; callers hold the case's row lock, which makes seq allocation safe. */
export async function appendTimeline(manager: EntityManager, row: CaseEntity, entry: TimelineEntry): Promise<string> {
  const id = randomUUID();
  await manager.query(
    `INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at)
     SELECT $1, $2, $3, COALESCE(MAX(seq), 0) + 1, $4, $5, $6, $7, $8 FROM case_events WHERE case_id = $2`,
    [id, row.id, row.accountId, entry.type, entry.fromStatus, entry.toStatus, entry.data ?? null, entry.occurredAt],
  );
  return id;
}

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
  await manager.update(
    CaseEntity,
    { id: row.id },
    {
      status: row.status,
      goal: row.goal as never,
      attemptCount: row.attemptCount,
      nextActionAt: row.nextActionAt,
      resultStatus: row.resultStatus,
      result: (row.result ?? null) as never,
      failureReason: row.failureReason,
      inputRequestId: row.inputRequestId,
      inputRequestQuestion: row.inputRequestQuestion,
      inputRequestStatus: row.inputRequestStatus,
      inputRequestedAt: row.inputRequestedAt,
      awaitingEvaluation: row.awaitingEvaluation,
      threadRef: row.threadRef,
      finishedAt: row.finishedAt,
      updatedAt: row.updatedAt,
    },
  );
}
