// Reads of case_events for feeds that resume: an account's rows after a cursor in fan-out order, one case's rows
// after a timeline position, and what deciding whether a cursor is still within the resume window takes.
import type { DataSource } from 'typeorm';
import type { CaseStatus } from '../domain/case.model';

/** A case_events row as feeds read it; tx and global_seq are text (xid8 and bigint exceed a JS number). */
export interface FeedRow {
  id: string;
  case_id: string;
  account_id: string;
  seq: number;
  type: string;
  from_status: CaseStatus | null;
  to_status: CaseStatus | null;
  data: Record<string, unknown> | null;
  occurred_at: Date;
  global_seq: string;
  tx: string;
}

const COLUMNS = `id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at,
                 global_seq::text AS global_seq, tx_id::text AS tx`;

/**
 * An account's rows after (tx, globalSeq), in fan-out order, only from transactions older than every running one:
 * the same horizon the live reader uses, so a row committed late can never land behind what was replayed.
 */
export function accountRowsAfter(
  db: DataSource,
  accountId: string,
  after: { tx: string; globalSeq: string },
  limit: number,
): Promise<FeedRow[]> {
  return db.query(
    `SELECT ${COLUMNS} FROM case_events
      WHERE account_id = $1 AND (tx_id, global_seq) > ($2::xid8, $3::bigint)
        AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY tx_id, global_seq LIMIT $4`,
    [accountId, after.tx, after.globalSeq, limit],
  );
}

/** One case's committed rows after timeline position `seq` (a case's seqs commit in order, under its row lock). */
export function caseRowsAfter(
  db: DataSource,
  accountId: string,
  caseId: string,
  seq: number,
  limit: number,
): Promise<FeedRow[]> {
  return db.query(
    `SELECT ${COLUMNS} FROM case_events WHERE case_id = $1 AND account_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [caseId, accountId, seq, limit],
  );
}

/** How many of an account's rows come after (tx, globalSeq), counting no further than `cap`. */
export async function countAccountRowsAfter(
  db: DataSource,
  accountId: string,
  after: { tx: string; globalSeq: string },
  cap: number,
): Promise<number> {
  const [row] = (await db.query(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM case_events
      WHERE account_id = $1 AND (tx_id, global_seq) > ($2::xid8, $3::bigint) LIMIT $4) AS capped`,
    [accountId, after.tx, after.globalSeq, cap],
  )) as { n: number }[];
  return row?.n ?? 0;
}

/** When the row a cursor names was written; null when there is no such row of this account. */
export async function cursorRowTime(
  db: DataSource,
  accountId: string,
  at: { tx: string; globalSeq: string },
): Promise<Date | null> {
  const [row] = (await db.query(
    `SELECT occurred_at FROM case_events WHERE global_seq = $1::bigint AND tx_id = $2::xid8 AND account_id = $3`,
    [at.globalSeq, at.tx, accountId],
  )) as { occurred_at: Date }[];
  return row?.occurred_at ?? null;
}
