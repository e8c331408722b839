// Every read and write of `cases` except the creates (case-insert.repository.ts).
import { In } from 'typeorm';
import type { CaseStatus } from '../domain/case.model';
import { CaseEntity } from './entities';
import type { Tx } from './transaction.types';
import { caseSearchWhere } from './case-search.sql';

/** Locks one case (of `accountId`, when given) for the rest of the transaction. */
export async function lockCase(manager: Tx, caseId: string, accountId?: string): Promise<CaseEntity | null> {
  const query = manager
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .setLock('pessimistic_write')
    .where('c.id = :caseId', { caseId });
  if (accountId) query.andWhere('c.account_id = :accountId', { accountId });
  return query.getOne();
}

/** Locks several cases in id order (so two batches never wait on each other in a cycle). */
export async function lockCases(manager: Tx, caseIds: string[]): Promise<CaseEntity[]> {
  return manager
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .setLock('pessimistic_write')
    .where('c.id = ANY(:caseIds)', { caseIds })
    .orderBy('c.id')
    .getMany();
}

/** A case without locking it; with `accountId`, another account's case is not found. */
export async function findCase(db: Tx, caseId: string, accountId?: string): Promise<CaseEntity | null> {
  return db.getRepository(CaseEntity).findOneBy(accountId ? { id: caseId, accountId } : { id: caseId });
}

/** A case known to exist (its id came from a row that references it). */
export async function getCase(db: Tx, caseId: string, accountId: string): Promise<CaseEntity> {
  return db.getRepository(CaseEntity).findOneByOrFail({ id: caseId, accountId });
}

/**
 * An open SMS conversation: the predicate of cases_open_sms_conversation_uq (migrations/1733100000000), which the
 * planner uses only when a query repeats it. `c` names the table's alias, if any.
 */
const openSms = (c = ''): string => `${c}channel = 'SMS' AND ${c}status NOT IN ('COMPLETED', 'FAILED')`;

/**
 * The open SMS case texting `number` (there is at most one: cases_open_sms_conversation_uq), or, when none is open,
 * null. Locked when `lock` is set, for the caller's transaction.
 */
export async function findOpenSmsCase(db: Tx, number: string, lock = false): Promise<CaseEntity | null> {
  const query = db
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .where(openSms('c.'))
    .andWhere(`c.counterparty->>'address' = :number`, { number });
  if (lock) query.setLock('pessimistic_write');
  return query.getOne();
}

/** Which of `numbers` an open SMS case already texts (createCases answers those SMS_CONVERSATION_BUSY). */
export async function numbersWithOpenSmsCase(db: Tx, numbers: string[]): Promise<Set<string>> {
  if (!numbers.length) return new Set();
  const rows: Array<{ address: string }> = await db.query(
    `SELECT counterparty->>'address' AS address FROM cases
      WHERE ${openSms()} AND counterparty->>'address' = ANY($1::text[])`,
    [numbers],
  );
  return new Set(rows.map((r) => r.address));
}

/** Accounts that ever texted `number` (an SMS STOP with no open case suppresses it for each of them). */
export async function accountsTextingNumber(db: Tx, number: string): Promise<string[]> {
  const rows: Array<{ account_id: string }> = await db.query(
    `SELECT DISTINCT account_id FROM cases WHERE channel = 'SMS' AND counterparty->>'address' = $1`,
    [number],
  );
  return rows.map((r) => r.account_id);
}

/** Several cases without locking them, in no particular order. */
export async function findCases(db: Tx, caseIds: string[]): Promise<CaseEntity[]> {
  return db.getRepository(CaseEntity).findBy({ id: In(caseIds) });
}

/** Several cases of one account, in no particular order; ids of other accounts' cases find nothing. */
export async function findCasesByIds(db: Tx, caseIds: string[], accountId: string): Promise<CaseEntity[]> {
  if (!caseIds.length) return [];
  return db.getRepository(CaseEntity).findBy({ id: In(caseIds), accountId });
}

/** Writes a locked case's mutable fields back in one UPDATE (TypeORM's save would SELECT first). */
export async function saveCase(manager: Tx, row: CaseEntity): Promise<void> {
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

export interface CaseListQuery {
  accountId: string;
  status?: CaseStatus[] | null;
  clientReferenceId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  /** Free text matched case-insensitively (see case-search.sql.ts). */
  search?: string | null;
  /** The keyset position to continue after: the (created_at, id) of the last case of the previous page. */
  after: { createdAt: Date; id: string } | null;
  limit: number;
}

/** An account's cases, newest first, from a keyset position (so a page costs the same however deep it is). */
export async function listCases(db: Tx, q: CaseListQuery): Promise<CaseEntity[]> {
  const query = db
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .where('c.account_id = :accountId', { accountId: q.accountId })
    .orderBy('c.created_at', 'DESC')
    .addOrderBy('c.id', 'DESC')
    .limit(q.limit);
  if (q.status?.length) query.andWhere('c.status IN (:...status)', { status: q.status });
  if (q.clientReferenceId) query.andWhere('c.client_reference_id = :ref', { ref: q.clientReferenceId });
  if (q.createdAfter) query.andWhere('c.created_at > :createdAfter', { createdAfter: q.createdAfter });
  if (q.createdBefore) query.andWhere('c.created_at < :createdBefore', { createdBefore: q.createdBefore });
  if (q.search) {
    const where = caseSearchWhere('c', q.search);
    query.andWhere(where.sql, where.params);
  }
  if (q.after) query.andWhere('(c.created_at, c.id) < (:at, :id)', { at: q.after.createdAt, id: q.after.id });
  return query.getMany();
}

/** A RUNNING case whose next action is due; `atText` is next_action_at as Postgres prints it (see findDueCases). */
export interface DueCase {
  id: string;
  next_action_at: Date;
  at_text: string;
}

/**
 * CREATED (a held outreach) and RUNNING cases whose next action is at or before `now`, in (next_action_at, id) order after `after`.
 * Walks the partial index on next_action_at: cost follows the due cases, not the table.
 * The cursor carries the timestamp as Postgres text: a JS Date drops microseconds, and a cursor rounded down
 * would return the same page for ever.
 */
export async function findDueCases(
  db: Tx,
  now: Date,
  after: { at: string; id: string } | null,
  limit: number,
): Promise<DueCase[]> {
  return db.query(
    `SELECT id, next_action_at, next_action_at::text AS at_text FROM cases
        WHERE status IN ('CREATED', 'RUNNING') AND next_action_at IS NOT NULL AND next_action_at <= $1
          AND ($2::timestamptz IS NULL OR (next_action_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY next_action_at, id LIMIT $4`,
    [now, after?.at ?? null, after?.id ?? null, limit],
  );
}

/**
 * Marks up to `limit` due CREATED/RUNNING cases whose follow-up has not been queued for their current next_action_at
 * (follow_up_queued_at), and returns them: the caller queues their FOLLOW_UP_DUE jobs in the same transaction. Walks
 * the partial index on next_action_at up to `now`, so a poll costs what is due, not what is scheduled; rows another
 * transaction holds (a case being stepped, another poller) are skipped and come back next poll.
 */
export async function claimDueFollowUps(manager: Tx, now: Date, limit: number): Promise<DueCase[]> {
  return manager.query(
    // A SELECT around the UPDATE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
    `WITH due AS (
       SELECT id FROM cases
        WHERE status IN ('CREATED', 'RUNNING') AND next_action_at IS NOT NULL AND next_action_at <= $1
          AND follow_up_queued_at IS DISTINCT FROM next_action_at
        ORDER BY next_action_at LIMIT $2 FOR UPDATE SKIP LOCKED),
     marked AS (
       UPDATE cases c SET follow_up_queued_at = c.next_action_at FROM due WHERE c.id = due.id
       RETURNING c.id, c.next_action_at, c.next_action_at::text AS at_text)
     SELECT * FROM marked`,
    [now, limit],
  );
}

// The dashboard's picture of an account: cases per status, and cases created per UTC day by how they ended.
export interface StatusCountRow {
  status: string;
  count: number;
}

export interface DayOutcomeRow {
  day: string;
  completed: number;
  failed: number;
  open: number;
}

export async function countCasesByStatus(db: Tx, accountId: string): Promise<StatusCountRow[]> {
  return db.query(
    `SELECT status, count(*)::int AS count FROM cases WHERE account_id = $1 GROUP BY status ORDER BY status`,
    [accountId],
  );
}

/** One row per UTC day from `from` (a day, inclusive) to `to` (a day, inclusive), days without cases as zeros. */
export async function casesPerDayByOutcome(
  db: Tx,
  accountId: string,
  from: string,
  to: string,
): Promise<DayOutcomeRow[]> {
  return db.query(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
              count(c.id) FILTER (WHERE c.status = 'COMPLETED')::int AS completed,
              count(c.id) FILTER (WHERE c.status = 'FAILED')::int AS failed,
              count(c.id) FILTER (WHERE c.status NOT IN ('COMPLETED', 'FAILED'))::int AS open
         FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)
         LEFT JOIN cases c
           ON c.account_id = $1
          AND c.created_at >= d.day AT TIME ZONE 'UTC'
          AND c.created_at < (d.day + interval '1 day') AT TIME ZONE 'UTC'
        GROUP BY d.day
        ORDER BY d.day`,
    [accountId, from, to],
  );
}
