// The safety net, run by SWEEP_CRON and `offload sweep`: re-queues every CREATED or RUNNING case whose next action is due (a held outreach, a follow-up)
// (delayed jobs normally get there first; the job keys make the sweep's copies no-ops when they do), and gives
// every dead-lettered case job another round, so no case waits forever on a job that gave up.
import type { ServiceContext } from '../service.context';
import { QUEUES } from '../../jobs/job.catalog';
import { followUpKey } from '../transitions/transition.writer';

/** Returns how many jobs it queued: due follow-ups plus dead-lettered case jobs moved back. */
export async function sweepDueCases(
  ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>,
  batchSize = 1000,
): Promise<number> {
  return (await queueDueFollowUps(ctx, batchSize)) + (await redriveDeadCaseJobs(ctx));
}

/**
 * A case job dead-letters after its retries (model or mail down for half an hour, say). Left there it would strand
 * its case: a CREATED case never sent, a reply never evaluated, an answer never read. Each sweep moves them back with
 * fresh retries; keys keep a job that did its work from doing it twice, and a job of a finished case is a no-op.
 * Only jobs dead-lettered before this sweep started move, so one sweep never loops a job that fails at once.
 */
export async function redriveDeadCaseJobs(ctx: Pick<ServiceContext, 'boss' | 'clock'>): Promise<number> {
  return ctx.boss.redrive(QUEUES.caseEventsDead.name, {
    destination: QUEUES.caseEvents.name,
    createdBefore: ctx.clock(),
  });
}

async function queueDueFollowUps(ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>, batchSize: number) {
  const now = ctx.clock();
  let queued = 0;
  let after: { at: string; id: string } | null = null;
  for (;;) {
    // Walks the partial index on next_action_at: cost follows the due cases, not the table.
    // The cursor carries the timestamp as Postgres text: a JS Date drops microseconds, and a cursor rounded down
    // would return the same page for ever.
    const rows: Array<{ id: string; next_action_at: Date; at_text: string }> = await ctx.db.query(
      `SELECT id, next_action_at, next_action_at::text AS at_text FROM cases
        WHERE status IN ('CREATED', 'RUNNING') AND next_action_at IS NOT NULL AND next_action_at <= $1
          AND ($2::timestamptz IS NULL OR (next_action_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY next_action_at, id LIMIT $4`,
      [now, after?.at ?? null, after?.id ?? null, batchSize],
    );
    if (!rows.length) return queued;
    await ctx.boss.insert(
      QUEUES.caseEvents.name,
      rows.map((r) => ({
        data: {
          type: 'FOLLOW_UP_DUE',
          caseId: r.id,
          key: followUpKey(r.id, r.next_action_at),
          scheduledFor: r.next_action_at.toISOString(),
        },
        group: { id: r.id },
      })),
    );
    queued += rows.length;
    const last = rows.at(-1)!;
    after = { at: last.at_text, id: last.id };
    if (rows.length < batchSize) return queued;
  }
}
