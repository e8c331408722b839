// pg-boss lifecycle: one instance per process, queues created from the catalog, the sweep scheduled by cron.
import { PgBoss } from 'pg-boss';
import { QUEUES } from './job.catalog';

const SUPERVISE_SECONDS = 5;

/** pg-boss's own pool when JOB_POOL_MAX is not given: fetch loops, settles, touches, supervision and sends. */
export const DEFAULT_JOB_POOL_MAX = 3;

export async function startBoss(
  databaseUrl: string,
  options: { schedule: boolean; poolMax?: number },
): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: options.poolMax ?? DEFAULT_JOB_POOL_MAX,
    schedule: options.schedule,
    application_name: 'offload-jobs',
    // pg-boss fails a job whose heartbeat stopped (a SIGKILLed worker) only when it supervises, by default once a
    // minute; every few seconds brings such jobs back within about heartbeatSeconds + this.
    superviseIntervalSeconds: SUPERVISE_SECONDS,
    monitorIntervalSeconds: SUPERVISE_SECONDS,
  });
  boss.on('error', (error) => {
    // pg-boss reports background errors (lost connection, maintenance) here; it reconnects on its own.
    process.emitWarning(`pg-boss: ${error instanceof Error ? error.message : String(error)}`);
  });
  await boss.start();
  for (const queue of Object.values(QUEUES)) {
    const existing = await boss.getQueue(queue.name);
    if (!existing) await boss.createQueue(queue.name, queue.options);
    else {
      // A queue made by an older release keeps its options until told (the case queue's expiry and heartbeat grew
      // when model waits left the job slot; every queue got explicit retention): brought up to the catalog's.
      const {
        policy: _policy,
        partition: _partition,
        ...updatable
      } = queue.options as typeof queue.options & {
        policy?: unknown;
        partition?: unknown;
      };
      const stale = Object.entries(updatable).some(
        ([key, value]) => (existing as unknown as Record<string, unknown>)[key] !== value,
      );
      if (stale) await boss.updateQueue(queue.name, updatable);
    }
  }
  return boss;
}
