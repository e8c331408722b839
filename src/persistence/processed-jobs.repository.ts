// `processed_jobs`: the idempotency keys of applied steps. A step claims its key in the transaction that applies it,
// so a redelivered job finds the key taken and does nothing.
import type { Tx } from './transaction.types';

/**
 * Claims a worker step's idempotency key; false when it was already applied. A case erased meanwhile (deleteCase)
 * is claimed for without its id, as a missing case is.
 */
export async function claimJobKey(manager: Tx, key: string, caseId: string | null): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO processed_jobs (key, case_id) VALUES ($1, (SELECT id FROM cases WHERE id = $2::uuid))
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [key, caseId],
  );
  return rows.length > 0;
}

export async function isJobKeyClaimed(db: Tx, key: string): Promise<boolean> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM processed_jobs WHERE key = $1`, [key]);
  return rows.length > 0;
}

/**
 * Claims keys from the text[] parameter `keys` for the cases of the uuid[] parameter `caseIds` (same order), as a
 * statement that returns the keys it claimed; one taken before is left out.
 */
export const claimJobKeys = (keys: string, caseIds: string): string =>
  `INSERT INTO processed_jobs (key, case_id) SELECT * FROM unnest(${keys}::text[], ${caseIds}::uuid[])
                  ON CONFLICT (key) DO NOTHING RETURNING key`;

/**
 * Cases with a stored inbound message whose REPLY_RECEIVED job has not been applied yet (it may be queued behind
 * a follow-up). `replyKeyPattern` is that job's key with `{caseId}` and `{messageId}` left open (the job catalog
 * owns the key), filled in here per message. Mail that gets no such job (unverified senders, auto-replies) is not
 * waiting for one.
 */
export async function casesWithUnappliedReplies(
  db: Tx,
  caseIds: string[],
  replyKeyPattern: string,
): Promise<Set<string>> {
  const rows: { case_id: string }[] = await db.query(
    `SELECT DISTINCT m.case_id FROM messages m WHERE m.case_id = ANY($1::uuid[]) AND m.direction = 'inbound'
          AND m.sender_verified IS NOT FALSE AND NOT m.auto_reply
          AND NOT EXISTS (SELECT 1 FROM processed_jobs p
                           WHERE p.key = replace(replace($2, '{caseId}', m.case_id::text), '{messageId}', m.id::text))`,
    [caseIds, replyKeyPattern],
  );
  return new Set(rows.map((r) => r.case_id));
}

/**
 * Deletes up to `limit` claimed keys that can no longer dedupe anything: those of cases finished before `before`,
 * and those claimed without a case (it was missing or erased) before then. A key of a live case stays, however
 * old: the sweep reads them to find replies not yet applied. Returns how many it deleted.
 */
export async function deleteSettledJobKeys(db: Tx, before: Date, limit: number): Promise<number> {
  const [, count]: [unknown, number] = await db.query(
    `DELETE FROM processed_jobs WHERE ctid IN (
       SELECT p.ctid FROM processed_jobs p LEFT JOIN cases c ON c.id = p.case_id
        WHERE p.processed_at < $1 AND (p.case_id IS NULL OR c.finished_at < $1)
        LIMIT $2)`,
    [before, limit],
  );
  return count;
}
