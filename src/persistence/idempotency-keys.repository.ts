// `idempotency_keys`: a keyed createCase request's key, the hash of its input and the case it created, kept for
// IDEMPOTENCY_TTL_HOURS so a retried request gets the same case back (a createCases batch: the same results).
import type { Tx } from './transaction.types';

export interface IdempotencyClaim {
  accountId: string;
  key: string;
  requestHash: string;
  caseId: string;
  expiresAt: Date;
}

/** Claims a key for a new case, in the case's transaction (see writeNewCase); a taken key fails it. */
export function claimIdempotencyKey(claim: IdempotencyClaim): { text: string; values: unknown[] } {
  return {
    text: `INSERT INTO idempotency_keys (account_id, key, request_hash, case_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
    values: [claim.accountId, claim.key, claim.requestHash, claim.caseId, claim.expiresAt],
  };
}

/** Claims a key for a createCases batch, with the batch's per-input results, in the transaction of its cases. */
export async function claimBatchKey(
  db: Tx,
  claim: { accountId: string; key: string; requestHash: string; results: unknown; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO idempotency_keys (account_id, key, request_hash, results, expires_at) VALUES ($1, $2, $3, $4, $5)`,
    [claim.accountId, claim.key, claim.requestHash, JSON.stringify(claim.results), claim.expiresAt],
  );
}

/** The error of a claim whose key another request claimed first. */
export const isIdempotencyConflict = (error: unknown): boolean => {
  const e = error as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && e.constraint === 'idempotency_keys_pkey';
};

/** The request hash and case of an account's key that has not expired at `now`. */
export async function findIdempotencyKey(
  db: Tx,
  accountId: string,
  key: string,
  now: Date,
): Promise<{ requestHash: string; caseId: string | null; results: unknown } | null> {
  const rows: Array<{ request_hash: string; case_id: string | null; results: unknown }> = await db.query(
    `SELECT request_hash, case_id, results FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND expires_at > $3`,
    [accountId, key, now],
  );
  const found = rows[0];
  return found ? { requestHash: found.request_hash, caseId: found.case_id, results: found.results } : null;
}

/** Deletes up to `limit` keys that expired before `now`; returns how many. */
export async function deleteExpiredKeys(db: Tx, now: Date, limit: number): Promise<number> {
  const [, count]: [unknown, number] = await db.query(
    `DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)`,
    [now, limit],
  );
  return count;
}
