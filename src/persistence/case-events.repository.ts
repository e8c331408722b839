// Every read and write of `case_events` (a case's timeline, and the feed subscribers are told from) except the
// first row, which the pipelined create writes with its case (case-insert.repository.ts).
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { CaseStatus } from '../domain/case.model';
import { CaseEventEntity, type CaseEntity } from './entities';
import type { Database, Queryable, Tx } from './transaction.types';

export interface TimelineEntry {
  type: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  data?: Record<string, unknown> | null;
  occurredAt: Date;
}

/** Appends one timeline row; callers hold the case's row lock, which makes seq allocation safe. */
export async function appendTimeline(manager: Tx, row: CaseEntity, entry: TimelineEntry): Promise<string> {
  const [record] = timelineRecords([{ row, entry }]);
  await manager.query(INSERT_TIMELINE.replace('$N', '$1'), [JSON.stringify([record])]);
  return record!.id;
}

/**
 * Timeline rows of any number of cases for INSERT_TIMELINE; callers hold each case's row lock. A case's rows take
 * the next seqs in the order given (rows a statement inserts are invisible to its own MAX, hence `n`).
 */
export function timelineRecords(entries: { row: CaseEntity; entry: TimelineEntry }[]) {
  const perCase = new Map<string, number>();
  return entries.map(({ row, entry }) => {
    const n = (perCase.get(row.id) ?? 0) + 1;
    perCase.set(row.id, n);
    return {
      id: randomUUID(),
      case_id: row.id,
      account_id: row.accountId,
      n,
      type: entry.type,
      from_status: entry.fromStatus,
      to_status: entry.toStatus,
      data: entry.data ?? null,
      occurred_at: entry.occurredAt,
    };
  });
}

/** Timeline rows from JSON parameter $N (see timelineRecords). */
export const INSERT_TIMELINE = `INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at)
     SELECT v.id, v.case_id, v.account_id,
            (SELECT COALESCE(MAX(e.seq), 0) FROM case_events e WHERE e.case_id = v.case_id) + v.n,
            v.type, v.from_status, v.to_status, v.data, v.occurred_at
       FROM json_to_recordset($N::json) AS v(id uuid, case_id uuid, account_id uuid, n int, type text,
                                             from_status text, to_status text, data jsonb, occurred_at timestamptz)
      ORDER BY v.case_id, v.n`;

/** A case's timeline, oldest first. */
export async function loadTimeline(db: Tx, caseId: string): Promise<CaseEventEntity[]> {
  return db.getRepository(CaseEventEntity).find({ where: { caseId }, order: { seq: 'ASC' } });
}

/** The channel that tells feed readers in other processes that timeline rows were committed. */
const FEED_CHANNEL = 'offload_case_events';

/** A timeline row as the feed reads it, with its place in the database-wide order. */
export interface FeedRow {
  id: string;
  case_id: string;
  account_id: string;
  seq: number;
  type: string;
  from_status: CaseEventEntity['fromStatus'];
  to_status: CaseEventEntity['toStatus'];
  data: Record<string, unknown> | null;
  occurred_at: Date;
  global_seq: string;
  tx: string;
}

/** How far a feed reader has read: the (tx_id, global_seq) of the last row it saw. */
export interface FeedWatermark {
  tx: string;
  seq: string;
}

/**
 * Rows of transactions older than every running one, in (tx_id, global_seq) order: a transaction still running
 * has a tx_id at or above the snapshot's xmin, so nothing it writes can land behind the watermark.
 */
export function readFeed(db: Tx, after: FeedWatermark, limit: number): Promise<FeedRow[]> {
  return db.query(
    `SELECT id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at, global_seq, tx_id::text AS tx
         FROM case_events
        WHERE (tx_id, global_seq) > ($1::xid8, $2::bigint)
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, global_seq
        LIMIT $3`,
    [after.tx, after.seq, limit],
  );
}

/** The position of the newest row every running transaction can see: a reader starting now starts there. */
export async function currentFeedWatermark(db: Tx): Promise<FeedWatermark> {
  const rows: FeedWatermark[] = await db.query(
    `SELECT tx_id::text AS tx, global_seq::text AS seq FROM case_events
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id DESC, global_seq DESC LIMIT 1`,
  );
  return rows[0] ?? { tx: '0', seq: '0' };
}

/** Tells every listening feed reader that timeline rows were committed. */
export async function notifyFeed(db: Tx): Promise<void> {
  await db.query(`SELECT pg_notify($1, '')`, [FEED_CHANNEL]);
}

/** A connection of its own for a feed reader's LISTEN: it is held for as long as the reader runs. */
export type FeedListener = Client;

export function createFeedListener(databaseUrl: string): FeedListener {
  return new Client({ connectionString: databaseUrl, application_name: 'offload-feed' });
}

/** Makes a feed listener (see createFeedListener) hear notifyFeed. */
export async function listenToFeed(client: FeedListener): Promise<void> {
  await client.query(`LISTEN ${FEED_CHANNEL}`);
}

/** A feed row as the timeline entity subscribers receive. */
export function toCaseEvent(row: FeedRow): CaseEventEntity {
  return Object.assign(new CaseEventEntity(), {
    id: row.id,
    caseId: row.case_id,
    accountId: row.account_id,
    seq: row.seq,
    type: row.type,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    data: row.data,
    occurredAt: row.occurred_at,
    globalSeq: row.global_seq,
  });
}

// Timeline rows that record something seen rather than a status change (no from/to status). Callers hold the
// case's row lock, so the next seq is theirs alone.
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

// Feeds that resume (SPEC section 10): an account's rows after a cursor, one case's rows after a timeline position.

const FEED_COLUMNS = `id, case_id, account_id, seq, type, from_status, to_status, data, occurred_at,
                      global_seq::text AS global_seq, tx_id::text AS tx`;

/**
 * An account's rows after (tx, globalSeq), in fan-out order, only from transactions older than every running one:
 * the horizon the live reader uses (readFeed), so a row committed late can never land behind what was replayed.
 */
export function accountFeedAfter(
  db: Tx,
  accountId: string,
  after: { tx: string; globalSeq: string },
  limit: number,
): Promise<FeedRow[]> {
  return db.query(
    `SELECT ${FEED_COLUMNS} FROM case_events
      WHERE account_id = $1 AND (tx_id, global_seq) > ($2::xid8, $3::bigint)
        AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY tx_id, global_seq LIMIT $4`,
    [accountId, after.tx, after.globalSeq, limit],
  );
}

/** One case's committed rows after timeline position `seq` (a case's seqs commit in order, under its row lock). */
export function caseFeedAfter(
  db: Tx,
  accountId: string,
  caseId: string,
  seq: number,
  limit: number,
): Promise<FeedRow[]> {
  return db.query(
    `SELECT ${FEED_COLUMNS} FROM case_events WHERE case_id = $1 AND account_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [caseId, accountId, seq, limit],
  );
}

/** How many of an account's rows come after (tx, globalSeq), counting no further than `cap`. */
export async function countAccountFeedAfter(
  db: Tx,
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

/** When the row a feed position names was written; null when there is no such row of this account. */
export async function feedRowTime(
  db: Tx,
  accountId: string,
  at: { tx: string; globalSeq: string },
): Promise<Date | null> {
  const [row] = (await db.query(
    `SELECT occurred_at FROM case_events WHERE global_seq = $1::bigint AND tx_id = $2::xid8 AND account_id = $3`,
    [at.globalSeq, at.tx, accountId],
  )) as { occurred_at: Date }[];
  return row?.occurred_at ?? null;
}

/**
 * Adds a note unless the case already has one of the same type whose data[field] equals the note's (one row per
 * case and outage, however often its job waits again). False when it had one, or the case is gone.
 */
export async function insertTimelineNoteOnce(
  db: Database,
  note: Omit<TimelineNote, 'accountId'>,
  field: string,
): Promise<boolean> {
  return db.transaction(async (manager) => {
    const cases: Array<{ account_id: string }> = await manager.query(
      `SELECT account_id FROM cases WHERE id = $1 FOR UPDATE`,
      [note.caseId],
    );
    const accountId = cases[0]?.account_id;
    if (!accountId) return false;
    const seen: unknown[] = await manager.query(
      `SELECT 1 FROM case_events WHERE case_id = $1 AND type = $2 AND data ->> $3 = $4 LIMIT 1`,
      [note.caseId, note.type, field, String(note.data[field])],
    );
    if (seen.length) return false;
    await manager.query(caseEventSql.insertNote, [
      randomUUID(),
      note.caseId,
      accountId,
      note.type,
      JSON.stringify(note.data),
      note.occurredAt,
    ]);
    return true;
  });
}
