// Mails the model composed, kept from the moment it answers until the send is recorded (see the migration
// 1733300000000): a retry after any later failure reuses the draft, so every compose paid for is sent at most once.
import type { Tx } from './transaction.types';

export interface ComposedDraft {
  subject: string;
  body: string;
}

/** Stores a draft in its own statement; a draft already stored for the key wins (and is returned). */
export async function saveDraft(db: Tx, sendKey: string, caseId: string, draft: ComposedDraft): Promise<ComposedDraft> {
  const rows: ComposedDraft[] = await db.query(
    `WITH inserted AS (
       INSERT INTO composed_drafts (send_key, case_id, subject, body) VALUES ($1, $2, $3, $4)
       ON CONFLICT (send_key) DO NOTHING RETURNING subject, body)
     SELECT subject, body FROM inserted
     UNION ALL SELECT subject, body FROM composed_drafts WHERE send_key = $1
     LIMIT 1`,
    [sendKey, caseId, draft.subject, draft.body],
  );
  return rows[0] ?? draft;
}

export async function findDraft(db: Tx, sendKey: string): Promise<ComposedDraft | null> {
  const rows: ComposedDraft[] = await db.query(`SELECT subject, body FROM composed_drafts WHERE send_key = $1`, [
    sendKey,
  ]);
  return rows[0] ?? null;
}

/** Drafts whose mail is recorded (the message row holds it now), or that no send came back for in `maxAgeDays`. */
export async function deleteSpentDrafts(db: Tx, now: Date, maxAgeDays: number): Promise<number> {
  const rows: unknown[] = await db.query(
    `DELETE FROM composed_drafts d
      WHERE EXISTS (SELECT 1 FROM messages m WHERE m.send_key = d.send_key)
         OR d.created_at < $1::timestamptz - make_interval(days => $2)
      RETURNING 1`,
    [now, maxAgeDays],
  );
  return rows.length;
}

/** The sends' messages are recorded: their drafts have served. */
export async function deleteDrafts(db: Tx, sendKeys: string[]): Promise<void> {
  if (sendKeys.length) await db.query(`DELETE FROM composed_drafts WHERE send_key = ANY($1)`, [sendKeys]);
}
