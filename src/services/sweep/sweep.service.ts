// The safety net, run by SWEEP_CRON and `offload sweep`: re-queues every case whose next action is due (a
// RUNNING case's follow-up or held reply, a CREATED case's outreach held for startAt or its send window)
// (delayed jobs normally get there first; the job keys make the sweep's copies no-ops when they do), and gives
// every dead-lettered case job another round, so no case waits forever on a job that gave up; then prunes what no
// longer serves (prune.service.ts).
import { caseJobs, insertCaseJobs, redriveCaseJobs } from '../../jobs/job.catalog';
import { findDueCases } from '../../persistence/cases.repository';
import type { ServiceContext } from '../service.context';
import { pruneSettledRows } from './prune.service';

/** Returns how many jobs it queued: due follow-ups plus dead-lettered case jobs moved back. */
export async function sweepDueCases(
  ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>,
  batchSize = 1000,
): Promise<number> {
  const queued = (await queueDueFollowUps(ctx, batchSize)) + (await redriveDeadCaseJobs(ctx));
  // Last: a failure here must not keep a due case from being queued.
  await pruneSettledRows(ctx);
  return queued;
}

/**
 * A case job dead-letters after its retries (model or mail down for half an hour, say). Left there it would strand
 * its case: a CREATED case never sent, a reply never evaluated, an answer never read. Each sweep moves them back with
 * fresh retries; keys keep a job that did its work from doing it twice, and a job of a finished case is a no-op.
 * Only jobs dead-lettered before this sweep started move, so one sweep never loops a job that fails at once.
 */
export async function redriveDeadCaseJobs(ctx: Pick<ServiceContext, 'boss' | 'clock'>): Promise<number> {
  return redriveCaseJobs(ctx, ctx.clock());
}

async function queueDueFollowUps(ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>, batchSize: number) {
  const now = ctx.clock();
  let queued = 0;
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const rows = await findDueCases(ctx.db.manager, now, after, batchSize);
    if (!rows.length) return queued;
    await insertCaseJobs(
      ctx,
      rows.map((r) => ({ job: caseJobs.followUpDue(r.id, r.next_action_at) })),
    );
    queued += rows.length;
    const last = rows.at(-1)!;
    after = { at: last.at_text, id: last.id };
    if (rows.length < batchSize) return queued;
  }
}
