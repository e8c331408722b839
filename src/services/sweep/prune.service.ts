// Pruning, run by every sweep: rows that only ever served to recognise a repeat, once no repeat can come.
// - processed_jobs: a step's key dedupes redeliveries of its job; PROCESSED_KEY_RETENTION_DAYS after its case
//   finished (or after a key claimed for no case) nothing will deliver that job again: pg-boss drops finished case
//   jobs after 7 days (job.catalog.ts), and a dead-lettered job moved back finds its case finished and does nothing.
// - idempotency_keys past expires_at (IDEMPOTENCY_TTL_HOURS after their request).
// pg-boss prunes its own finished jobs by the queue options in job.catalog.ts.
// Each DELETE takes at most PRUNE_BATCH rows by ctid and commits on its own, so no lock is held for long and a big
// backlog drains over a few sweeps instead of one long transaction.
import { deleteExpiredKeys } from '../../persistence/idempotency-keys.repository';
import { deleteSettledJobKeys } from '../../persistence/processed-jobs.repository';
import type { ServiceContext } from '../service.context';

export const PROCESSED_KEY_RETENTION_DAYS = 7;
export const PRUNE_BATCH = 5_000;
/** Per table and sweep: 200,000 rows an hour at the default SWEEP_CRON, far more than any load writes. */
const MAX_BATCHES = 40;

export interface PruneCounts {
  processedJobs: number;
  idempotencyKeys: number;
}

export async function pruneSettledRows(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  batchSize = PRUNE_BATCH,
): Promise<PruneCounts> {
  const now = ctx.clock();
  const keysBefore = new Date(now.getTime() - PROCESSED_KEY_RETENTION_DAYS * 86_400_000);
  return {
    processedJobs: await drain((n) => deleteSettledJobKeys(ctx.db.manager, keysBefore, n), batchSize),
    idempotencyKeys: await drain((n) => deleteExpiredKeys(ctx.db.manager, now, n), batchSize),
  };
}

async function drain(deleteBatch: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const deleted = await deleteBatch(batchSize);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
