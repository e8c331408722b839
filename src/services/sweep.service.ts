// The follow-up safety net: re-queues every RUNNING case whose next action is due. Delayed jobs normally get there
// first; the job keys make the sweep's copies no-ops when they do.
import type { ServiceContext } from './service-context';
import { QUEUES } from '../jobs/job.catalog';
import { followUpKey } from './case-effects';

export async function sweepDueCases(
  ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock'>,
  batchSize = 1000,
): Promise<number> {
  const now = ctx.clock();
  let queued = 0;
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    // Walks the partial index on next_action_at: cost follows the due cases, not the table.
    const rows: Array<{ id: string; next_action_at: Date }> = await ctx.db.query(
      `SELECT id, next_action_at FROM cases
        WHERE status = 'RUNNING' AND next_action_at IS NOT NULL AND next_action_at <= $1
          AND ($2::timestamptz IS NULL OR (next_action_at, id) > ($2, $3::uuid))
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
    after = { at: last.next_action_at, id: last.id };
    if (rows.length < batchSize) return queued;
  }
}
