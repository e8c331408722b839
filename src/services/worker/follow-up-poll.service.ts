// Follow-ups fall due from the cases table, not from deferred pg-boss jobs: every worker polls the indexed
// next_action_at every second or so and queues a FOLLOW_UP_DUE job for each case that came due (marking the case, so
// one follow-up is queued once across every worker and poll). The hourly sweep (sweep.service.ts) stays the safety
// net: it re-queues every due case whatever the mark says, and job keys make its copies no-ops.
import { caseJobs, insertCaseJobs } from '../../jobs/job.catalog';
import { claimDueFollowUps } from '../../persistence/cases.repository';
import type { ServiceContext } from '../service.context';

const BATCH = 500;

/** Queues the follow-ups due now; returns how many. */
export async function queueDueFollowUps(ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>): Promise<number> {
  let queued = 0;
  for (;;) {
    const now = ctx.clock();
    const claimed = await ctx.db.transaction(async (manager) => {
      const due = await claimDueFollowUps(manager, now, BATCH);
      if (due.length)
        await insertCaseJobs(
          ctx,
          due.map((row) => ({ job: caseJobs.followUpDue(row.id, row.next_action_at) })),
          manager,
        );
      return due.length;
    });
    queued += claimed;
    if (claimed < BATCH) return queued;
  }
}
