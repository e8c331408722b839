// A new case and its first timeline row in one statement, and the usage reservation in the round trip that opens its
// transaction: createCase is the hottest write, and each round trip on it costs more than the SQL itself.
import { randomUUID } from 'node:crypto';
import { escapeLiteral, type PoolClient, type QueryResult } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { CaseEntity } from '../persistence/entities';

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

/** Writes in the transaction of `manager`, which must be bound to a connection (as inReservedTransaction's is). */
export async function insertNewCase(manager: EntityManager, row: CaseEntity): Promise<void> {
  if (!manager.queryRunner) throw new Error('insertNewCase needs a transactional EntityManager');
  const client = (await manager.queryRunner.connect()) as PoolClient;
  const values = [
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
    row.inputRequestStatus,
    row.awaitingEvaluation,
    row.createdAt,
    row.updatedAt,
  ];
  await client.query({ ...INSERT_CASE, values: [...values, randomUUID()] });
}

export interface UsageReservation {
  accountId: string;
  month: string;
  limit: number;
}

/**
 * One simple-protocol round trip that takes one unit of the month's cap in a transaction of its own, committed
 * asynchronously, and then opens the transaction the case is written in. The usage row's lock (which is what keeps
 * concurrent creates exact) is held only for that statement, never for the case's WAL flush; the reservation cannot
 * be lost, because the case's synchronous commit later in the WAL flushes it too. The simple protocol takes no
 * parameters, hence the literals: none of them comes from the request.
 */
function reserveThenBegin({ accountId, month, limit }: UsageReservation): string {
  const cap = Math.trunc(limit);
  return `BEGIN;
SET LOCAL synchronous_commit TO off;
INSERT INTO account_usage AS u (account_id, month, created_count) VALUES (${escapeLiteral(accountId)}, ${escapeLiteral(month)}, 1)
ON CONFLICT (account_id, month) DO UPDATE SET created_count = u.created_count + 1
 WHERE u.created_count < ${cap} AND u.billable_count < ${cap}
RETURNING created_count;
COMMIT;
BEGIN`;
}

/** Gives back a unit taken by a create that then failed. */
async function giveBack(db: DataSource, { accountId, month }: UsageReservation): Promise<void> {
  await db.query(`UPDATE account_usage SET created_count = created_count - 1 WHERE account_id = $1 AND month = $2`, [
    accountId,
    month,
  ]);
}

/**
 * Runs `write` in a transaction once a unit of the month's cap is taken (see reserveThenBegin): four round trips
 * for a create instead of five. Returns null, having written nothing, when the cap is reached. If `write` or the
 * commit fails, the transaction is rolled back and the unit given back. TypeORM does not know about this
 * transaction, so `write` must not start one of its own (manager.transaction would commit this one early).
 */
export async function inReservedTransaction<T>(
  db: DataSource,
  usage: UsageReservation,
  write: (manager: EntityManager) => Promise<T>,
): Promise<T | null> {
  const runner = db.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    let reserved = false;
    try {
      const results = (await client.query(reserveThenBegin(usage))) as unknown as QueryResult[];
      reserved = (results.find((r) => r.command === 'INSERT')?.rowCount ?? 0) > 0;
      if (!reserved) {
        await client.query('ROLLBACK');
        return null;
      }
      const result = await write(runner.manager);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // After any failure the connection may be inside a transaction (even an aborted one); it must leave clean. A
      // ROLLBACK fails only on a dead connection, which pg-pool discards on release.
      await client.query('ROLLBACK').catch(() => undefined);
      if (reserved) await giveBack(db, usage);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
