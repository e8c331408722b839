// The account's cases at a glance, for the dashboard: how many are in each status, and how the cases created on each
// of the last days ended. Only ever the caller's account.
import type { Database } from '../../persistence/transaction.types';
import { CASE_STATUSES, type CaseStatus } from '../../domain/case.model';
import { casesPerDayByOutcome, countCasesByStatus, type DayOutcomeRow } from '../../persistence/cases.repository';
import type { Clock } from '../service.context';

export const STATS_DAYS = 30;

export interface CaseStats {
  total: number;
  byStatus: Array<{ status: CaseStatus; count: number }>;
  /** Oldest first, today (UTC) last, exactly STATS_DAYS entries. */
  perDay: DayOutcomeRow[];
}

const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

export class CaseStatsService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async stats(accountId: string): Promise<CaseStats> {
    const now = this.clock();
    const from = new Date(now.getTime() - (STATS_DAYS - 1) * 86_400_000);
    const [counts, perDay] = await Promise.all([
      countCasesByStatus(this.db.manager, accountId),
      casesPerDayByOutcome(this.db.manager, accountId, utcDay(from), utcDay(now)),
    ]);
    const found = new Map(counts.map((row) => [row.status, row.count]));
    // Every status, zeros included, in lifecycle order: the dashboard shows a stable row of counters.
    const byStatus = CASE_STATUSES.map((status) => ({ status, count: found.get(status) ?? 0 }));
    return { total: byStatus.reduce((sum, row) => sum + row.count, 0), byStatus, perDay };
  }
}
