// Every statement behind the dashboard's picture of an account: cases per status, and cases created per UTC day
// by how they ended, for a window of days. Always scoped by account_id.
import type { DataSource } from 'typeorm';

export interface StatusCountRow {
  status: string;
  count: number;
}

export interface DayOutcomeRow {
  day: string;
  completed: number;
  failed: number;
  open: number;
}

export class CaseStatsRepository {
  constructor(private readonly db: DataSource) {}

  async countByStatus(accountId: string): Promise<StatusCountRow[]> {
    return this.db.query(
      `SELECT status, count(*)::int AS count FROM cases WHERE account_id = $1 GROUP BY status ORDER BY status`,
      [accountId],
    );
  }

  /** One row per UTC day from `from` (a day, inclusive) to `to` (a day, inclusive), days without cases as zeros. */
  async perDayByOutcome(accountId: string, from: string, to: string): Promise<DayOutcomeRow[]> {
    return this.db.query(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
              count(c.id) FILTER (WHERE c.status = 'COMPLETED')::int AS completed,
              count(c.id) FILTER (WHERE c.status = 'FAILED')::int AS failed,
              count(c.id) FILTER (WHERE c.status NOT IN ('COMPLETED', 'FAILED'))::int AS open
         FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)
         LEFT JOIN cases c
           ON c.account_id = $1
          AND c.created_at >= d.day AT TIME ZONE 'UTC'
          AND c.created_at < (d.day + interval '1 day') AT TIME ZONE 'UTC'
        GROUP BY d.day
        ORDER BY d.day`,
      [accountId, from, to],
    );
  }
}
