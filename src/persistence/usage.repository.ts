// `account_usage`: one row per account and UTC month, counting the cases created (against the plan's cap) and the
// billable ones.
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import type { Tx } from './transaction.types';

/** The first day of the UTC month of `at`, as the usage table keys it. */
export const usageMonth = (at: Date): string =>
  `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;

export interface UsageReservation {
  accountId: string;
  month: string;
  /** The month's cap; null: none (an operator lifted it). */
  limit: number | null;
}

/**
 * Takes one unit of the month's cap in a transaction of its own and opens the case's transaction. A refused unit
 * divides by zero, so the statement fails and everything pipelined behind it is aborted. The simple protocol
 * (several statements) takes no parameters, hence the literals: none of them comes from the request.
 */
export function reserveThenBegin({ accountId, month, limit }: UsageReservation): string {
  const cap = limit === null ? null : Math.trunc(limit);
  // With a cap of 0 the first create of a month would insert its row unchecked: the cap is checked there too.
  const refusedOutright = cap !== null && cap <= 0;
  return `BEGIN;
SET LOCAL synchronous_commit TO off;
WITH reserved AS (
  INSERT INTO account_usage AS u (account_id, month, created_count)
  SELECT ${escapeLiteral(accountId)}, ${escapeLiteral(month)}, 1 WHERE ${refusedOutright ? 'false' : 'true'}
  ON CONFLICT (account_id, month) DO UPDATE SET created_count = u.created_count + 1
   ${cap === null ? '' : `WHERE u.created_count < ${cap} AND u.billable_count < ${cap}`}
  RETURNING 1)
SELECT 1 / (SELECT count(*)::int FROM reserved);
COMMIT;
BEGIN`;
}

/** A reservation refused by reserveThenBegin fails with this. */
export const isReservationRefused = (error: unknown): boolean => (error as { code?: string } | null)?.code === '22012';

const GIVE_BACK = `UPDATE account_usage SET created_count = created_count - $3 WHERE account_id = $1 AND month = $2`;

/** Gives back a unit taken by a create that then failed. */
export async function giveBack(db: Pool | PoolClient, { accountId, month }: UsageReservation): Promise<void> {
  await db.query(GIVE_BACK, [accountId, month, 1]);
}

/** Gives back the units a createCases batch took when its write failed. */
export async function giveBackUnits(db: Tx, { accountId, month }: UsageReservation, units: number): Promise<void> {
  await db.query(GIVE_BACK, [accountId, month, units]);
}

/**
 * Takes up to `wanted` units of the month's cap at once (a createCases batch) and returns how many it took: all of
 * them without a cap, else what is left of it. Two statements, each atomic on its own: the month's row is made if
 * missing, then locked, read and counted up in one statement, so concurrent batches and single creates share the
 * cap exactly.
 */
export async function reserveUnits(
  db: Tx,
  { accountId, month, limit }: UsageReservation,
  wanted: number,
): Promise<number> {
  if (wanted <= 0) return 0;
  await db.query(
    `INSERT INTO account_usage (account_id, month) VALUES ($1, $2) ON CONFLICT (account_id, month) DO NOTHING`,
    [accountId, month],
  );
  const [rows]: [Array<{ n: number }>, number] = await db.query(
    `WITH cur AS (
       SELECT created_count, billable_count FROM account_usage WHERE account_id = $1 AND month = $2 FOR UPDATE
     ), granted AS (
       SELECT CASE WHEN $4::int IS NULL THEN $3::int
                   ELSE LEAST($3::int, GREATEST(0, $4::int - GREATEST(created_count, billable_count))) END AS n
         FROM cur
     )
     UPDATE account_usage u SET created_count = u.created_count + granted.n
       FROM granted
      WHERE u.account_id = $1 AND u.month = $2
     RETURNING granted.n`,
    [accountId, month, wanted, limit === null ? null : Math.trunc(limit)],
  );
  return rows[0]?.n ?? 0;
}

/** Counts a case that finished billable in its month. */
export async function countBillable(manager: Tx, accountId: string, month: string): Promise<void> {
  await manager.query(
    `INSERT INTO account_usage (account_id, month, billable_count) VALUES ($1, $2, 1)
     ON CONFLICT (account_id, month) DO UPDATE SET billable_count = account_usage.billable_count + 1`,
    [accountId, month],
  );
}

/** An account's counts for one month; an account with no row yet has used nothing. */
export async function findUsage(
  db: Tx,
  accountId: string,
  month: string,
): Promise<{ createdCount: number; billableCount: number }> {
  const rows: Array<{ created_count: number; billable_count: number }> = await db.query(
    `SELECT created_count, billable_count FROM account_usage WHERE account_id = $1 AND month = $2`,
    [accountId, month],
  );
  return { createdCount: rows[0]?.created_count ?? 0, billableCount: rows[0]?.billable_count ?? 0 };
}
