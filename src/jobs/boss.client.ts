// pg-boss lifecycle: one instance per process, queues created from the catalog, the sweep scheduled by cron.
import { PgBoss } from 'pg-boss';
import { QUEUES } from './job.catalog';

const SUPERVISE_SECONDS = 5;

export async function startBoss(
  databaseUrl: string,
  options: { schedule: boolean; poolMax?: number },
): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: options.poolMax ?? 10,
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
  }
  return boss;
}
