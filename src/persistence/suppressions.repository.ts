// Every read and write of `suppressions`: the addresses an account must never mail again.
import type { Tx } from './transaction.types';

/** The values the table's CHECK constraint allows. */
export const SUPPRESSION_SOURCES = ['hard_bounce', 'complaint', 'unsubscribe', 'sms_stop', 'manual'] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

export interface SuppressionRow {
  address: string;
  source: SuppressionSource;
  reason: string | null;
  caseId: string | null;
  createdAt: Date;
}

export interface NewSuppression {
  accountId: string;
  /** Lower-cased by the caller. */
  address: string;
  source: SuppressionSource;
  reason: string | null;
  caseId: string | null;
  createdAt: Date;
}

/** Adds the address; false when it was on the list already (the first entry, and its reason, stands). */
export async function insertSuppression(db: Tx, s: NewSuppression): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `INSERT INTO suppressions (account_id, address, source, reason, case_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, address) DO NOTHING RETURNING address`,
    [s.accountId, s.address, s.source, s.reason, s.caseId, s.createdAt],
  );
  return rows.length > 0;
}

/** Removes the address; false when it was not on the list. */
export async function deleteSuppression(db: Tx, accountId: string, address: string): Promise<boolean> {
  const [, count]: [unknown, number] = await db.query(
    `DELETE FROM suppressions WHERE account_id = $1 AND address = $2`,
    [accountId, address],
  );
  return count > 0;
}

/** SMS START: the number's STOP entries go, in every account (Twilio's opt-out is per sender number, ours is one). */
export async function deleteSmsStops(db: Tx, address: string): Promise<number> {
  const [, count]: [unknown, number] = await db.query(
    `DELETE FROM suppressions WHERE address = $1 AND source = 'sms_stop'`,
    [address],
  );
  return count;
}

export async function isSuppressed(db: Tx, accountId: string, address: string): Promise<boolean> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM suppressions WHERE account_id = $1 AND address = lower($2)`, [
    accountId,
    address,
  ]);
  return rows.length > 0;
}

/** Of these (account, address) pairs, the ones on their account's list, as `${accountId} ${address}`. */
export async function suppressedAmong(
  db: Tx,
  pairs: Array<{ accountId: string; address: string }>,
): Promise<Set<string>> {
  if (!pairs.length) return new Set();
  const rows: Array<{ account_id: string; address: string }> = await db.query(
    `SELECT s.account_id, s.address
       FROM unnest($1::uuid[], $2::text[]) AS p(account_id, address)
       JOIN suppressions s ON s.account_id = p.account_id AND s.address = lower(p.address)`,
    [pairs.map((p) => p.accountId), pairs.map((p) => p.address)],
  );
  return new Set(rows.map((r) => `${r.account_id} ${r.address}`));
}

/** A page of the account's list, newest first, after the (createdAt, address) position given. */
export async function suppressionPage(
  db: Tx,
  accountId: string,
  limit: number,
  after: { createdAt: Date; address: string } | null,
): Promise<SuppressionRow[]> {
  return db.query(
    `SELECT address, source, reason, case_id AS "caseId", created_at AS "createdAt"
       FROM suppressions
      WHERE account_id = $1 AND ($3::timestamptz IS NULL OR (created_at, address) < ($3, $4))
      ORDER BY created_at DESC, address DESC LIMIT $2`,
    [accountId, limit, after?.createdAt ?? null, after?.address ?? null],
  );
}
