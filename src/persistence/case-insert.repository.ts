// A new case and its first timeline row in one statement, and the usage reservation in the round trip that opens its
// transaction: createCase is the hottest write, and each round trip on it costs more than the SQL itself.
import { randomUUID } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import type { Db } from 'pg-boss';
import type { CaseEntity } from './entities';
import type { Tx } from './transaction.types';
import { claimIdempotencyKey, isIdempotencyConflict } from './idempotency-keys.repository';
import { giveBack, isReservationRefused, reserveThenBegin, type UsageReservation } from './usage.repository';

const COLUMNS = [
  'id',
  'account_id',
  'client_reference_id',
  'channel',
  'status',
  'goal',
  'counterparty',
  'sender_persona',
  'constraints',
  'result_schema',
  'metadata',
  'client_webhook_url',
  'attempt_count',
  'max_attempts',
  'follow_up_delay_hours',
  'next_action_at',
  'start_at',
  'send_window',
  'max_replies',
  'input_request_status',
  'awaiting_evaluation',
  'created_at',
  'updated_at',
] as const;

const json = (value: unknown): string | null => (value == null ? null : JSON.stringify(value));

/**
 * A named statement, so each connection parses and plans it once: planning this two-table insert costs PostgreSQL
 * about as much again as running it (0.1 ms a case on the bench machine). A pooler in front of PostgreSQL must keep
 * prepared statements per client connection (PgBouncer 1.21+ with max_prepared_statements, in transaction mode).
 */
const INSERT_CASE = {
  name: 'offload_insert_case',
  text: `WITH c AS (INSERT INTO cases (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
              RETURNING id, account_id, created_at)
  INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, occurred_at)
  SELECT $${COLUMNS.length + 1}, id, account_id, 1, 'case.created', NULL, 'CREATED', created_at FROM c`,
} as const;

/** A pool of pipeline-mode connections (createPipelinePool): what writeNewCase writes through. */
export type PipelinePool = Pool;

export interface NewCaseWrite {
  row: CaseEntity;
  usage: UsageReservation;
  /** Claimed in the case's transaction; a key another request claimed first fails the create (IdempotencyRace). */
  idempotency: { key: string; requestHash: string; expiresAt: Date } | null;
  /** Sends the case's first job with the given connection (in the case's transaction). */
  sendJob: (db: Db) => Promise<unknown>;
}

export class UsageLimitReached extends Error {}
export class IdempotencyRace extends Error {}
/** Another open SMS case holds the same (our number, their number) pair: the partial unique index said so. */
export class ConversationBusy extends Error {}

/** migrations/1733100000000-sms-conversations.ts */
const SMS_CONVERSATION_INDEX = 'cases_open_sms_conversation_uq';

const isConversationConflict = (error: unknown): boolean =>
  (error as { code?: string; constraint?: string } | undefined)?.code === '23505' &&
  (error as { constraint?: string }).constraint === SMS_CONVERSATION_INDEX;

/**
 * Writes a new case in one round trip, on a connection of a pipeline-mode pool: the usage reservation (its own
 * transaction, committed asynchronously so the usage row's lock is never held through a WAL flush; the case's
 * synchronous commit later in the WAL flushes it too), then the case, its first timeline row, its idempotency key
 * and its first job in a second transaction, and COMMIT, all sent before any answer is read. Any failure aborts
 * what follows it: a refused reservation aborts its own transaction and with it every later statement (COMMIT then
 * rolls back), and a failed write leaves the case's transaction to roll back at COMMIT, the unit given back.
 */
export async function writeNewCase(pool: PipelinePool, write: NewCaseWrite): Promise<void> {
  const client = await pool.connect();
  // pg-pool stops listening for a client's errors while it is checked out; a connection that dies now fails our
  // queries (read below), and its 'error' event must not go unhandled and take the process with it.
  const ignore = () => undefined;
  client.on('error', ignore);
  let ended: PromiseSettledResult<QueryResult> | undefined;
  let refund = false;
  try {
    // Every promise is observed from the start: one may fail while the next statement is still being written.
    const reserve = observed(client.query(reserveThenBegin(write.usage)));
    const writes = [observed(client.query({ ...INSERT_CASE, values: insertValues(write.row) }))];
    if (write.idempotency) {
      const claim = claimIdempotencyKey({ ...write.idempotency, accountId: write.row.accountId, caseId: write.row.id });
      writes.push(observed(client.query(claim)));
    }
    // pg-boss reaches the connection after awaiting its own queue cache: COMMIT waits until its insert is written.
    let sent!: () => void;
    const jobWritten = new Promise<void>((resolve) => (sent = resolve));
    const job = observed(
      write.sendJob({
        executeSql: (text, values) => {
          const result = client.query(text, values as unknown[]);
          sent();
          return result;
        },
      }),
    );
    const jobFailedEarly = await Promise.race([
      jobWritten.then(() => false),
      job.then(
        () => false,
        () => true,
      ),
    ]);
    const end = observed(client.query(jobFailedEarly ? 'ROLLBACK' : 'COMMIT'));
    const [reserved, ...rest] = await Promise.allSettled([reserve, ...writes, job]);
    ended = (await Promise.allSettled([end]))[0]!;
    if (reserved!.status === 'rejected') {
      if (isReservationRefused(reserved.reason)) throw new UsageLimitReached();
      throw reserved.reason;
    }
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed && ended.status === 'fulfilled' && ended.value.command === 'COMMIT') return;
    refund = true;
    // On the same connection while it is healthy: under load, waiting for another one could wait forever.
    if (ended.status === 'fulfilled') {
      await giveBack(client, write.usage);
      refund = false;
    }
    if (isIdempotencyConflict(failed?.reason)) throw new IdempotencyRace();
    if (isConversationConflict(failed?.reason)) throw new ConversationBusy();
    throw (
      failed?.reason ??
      (ended.status === 'rejected'
        ? ended.reason
        : new Error(
            `createCase: the transaction ended with ${ended.value.command} instead of COMMIT; nothing was written, retry the request`,
          ))
    );
  } finally {
    client.off('error', ignore);
    // A connection whose COMMIT or ROLLBACK failed is in an unknown state; it must not go back to the pool.
    client.release(ended?.status === 'fulfilled' ? undefined : (ended?.reason ?? new Error('create interrupted')));
    // The connection died after the reservation: try once more on another; if the database is gone, so is this.
    if (refund) await giveBack(pool, write.usage).catch(() => undefined);
  }
}

/**
 * Writes a createCases batch's cases and their first timeline rows in one statement, in the caller's transaction
 * (which also claims the batch's key and inserts the jobs). At most 100 rows of 23 values: far below PostgreSQL's
 * 65,535 parameters.
 */
export async function insertCases(manager: Tx, rows: CaseEntity[]): Promise<void> {
  if (!rows.length) return;
  try {
    await insertCaseRows(manager, rows);
  } catch (error) {
    if (isConversationConflict(error)) throw new ConversationBusy();
    throw error;
  }
}

async function insertCaseRows(manager: Tx, rows: CaseEntity[]): Promise<void> {
  const width = COLUMNS.length + 1;
  const tuples = rows.map((_, r) => `(${COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
  const eventIds = rows.map((_, r) => `$${r * width + width}::uuid`);
  await manager.query(
    `WITH c AS (INSERT INTO cases (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
                RETURNING id, account_id, created_at),
          e AS (SELECT * FROM unnest(ARRAY[${rows.map((_, r) => `$${r * width + 1}::uuid`).join(', ')}],
                                     ARRAY[${eventIds.join(', ')}]) AS e(case_id, event_id))
     INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, occurred_at)
     SELECT e.event_id, c.id, c.account_id, 1, 'case.created', NULL, 'CREATED', c.created_at
       FROM c JOIN e ON e.case_id = c.id`,
    rows.flatMap((row) => insertValues(row)),
  );
}

/** Marks a promise as handled (its rejection is read later through allSettled) and returns it. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function insertValues(row: CaseEntity): unknown[] {
  return [
    row.id,
    row.accountId,
    row.clientReferenceId,
    row.channel,
    row.status,
    json(row.goal),
    json(row.counterparty),
    json(row.senderPersona),
    json(row.constraints),
    json(row.resultSchema),
    json(row.metadata),
    row.clientWebhookUrl,
    row.attemptCount,
    row.maxAttempts,
    row.followUpDelayHours,
    row.nextActionAt,
    row.startAt,
    json(row.sendWindow),
    row.maxReplies,
    row.inputRequestStatus,
    row.awaitingEvaluation,
    row.createdAt,
    row.updatedAt,
    randomUUID(),
  ];
}
