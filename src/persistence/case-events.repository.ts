// Timeline rows that record something seen rather than a status change (no from/to status). Callers hold the
// case's row lock, so the next seq is theirs alone.
import { randomUUID } from 'node:crypto';
import type { Queryable } from './attachments.repository';

export const caseEventSql = {
  lockCase: `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`,
  insertNote: `
    INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at)
    SELECT $1, $2, $3, COALESCE(MAX(seq), 0) + 1, $4, NULL, NULL, $5::jsonb, $6 FROM case_events WHERE case_id = $2`,
} as const;

export interface TimelineNote {
  caseId: string;
  accountId: string;
  type: string;
  data: Record<string, unknown>;
  occurredAt: Date;
}

export async function insertTimelineNote(db: Queryable, note: TimelineNote): Promise<void> {
  await db.query(caseEventSql.lockCase, [note.caseId]);
  await db.query(caseEventSql.insertNote, [
    randomUUID(),
    note.caseId,
    note.accountId,
    note.type,
    JSON.stringify(note.data),
    note.occurredAt,
  ]);
}
