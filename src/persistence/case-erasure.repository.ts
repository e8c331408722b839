// Erasing a case (deleteCase, CASE_RETENTION_DAYS): the tombstone in `erased_cases`, then the case row itself, whose
// messages, attachments (and their bytes), timeline, webhook deliveries and attempts, idempotency keys and claimed
// job keys go with it by ON DELETE CASCADE. Suppressions outlive the case (an opt-out must be honoured), but lose
// their link to it.
import type { Tx } from './transaction.types';

export type ErasedBy = 'client' | 'retention';

/** Erases a case the caller has locked; false when it no longer exists. */
export async function eraseCaseRows(manager: Tx, caseId: string, erasedBy: ErasedBy, now: Date): Promise<boolean> {
  const kept: unknown[] = await manager.query(
    `INSERT INTO erased_cases (id, account_id, channel, status, result_status, created_at, finished_at, erased_at,
                               erased_by)
     SELECT id, account_id, channel, status, result_status, created_at, finished_at, $2, $3 FROM cases WHERE id = $1
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [caseId, now, erasedBy],
  );
  if (!kept.length) return false;
  await manager.query(`UPDATE suppressions SET case_id = NULL WHERE case_id = $1`, [caseId]);
  await manager.query(`DELETE FROM cases WHERE id = $1`, [caseId]);
  return true;
}

/** Terminal cases that finished before `before`, oldest first: what the retention sweep erases. */
export async function findExpiredCases(db: Tx, before: Date, limit: number): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.query(
    `SELECT id FROM cases WHERE finished_at IS NOT NULL AND finished_at < $1 AND status IN ('COMPLETED', 'FAILED')
      ORDER BY finished_at LIMIT $2`,
    [before, limit],
  );
  return rows.map((r) => r.id);
}
