// Registers the handlers of every queue. Handlers parse their payload and call one service; nothing else.
import type { PgBoss } from 'pg-boss';
import { parseJob, QUEUES } from './job.catalog';
import type { CaseWorker } from '../services/case-worker';
import { sweepDueCases } from '../services/sweep.service';
import type { ServiceContext } from '../services/service-context';

export interface WorkerHandlers {
  cases: CaseWorker;
  webhooks?: { deliver(deliveryId: string): Promise<void> };
}

export async function startWorkers(
  boss: PgBoss,
  ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock' | 'config' | 'logger'>,
  handlers: WorkerHandlers,
): Promise<void> {
  const concurrency = ctx.config.WORKER_CONCURRENCY;
  await boss.work(
    QUEUES.caseEvents.name,
    {
      localConcurrency: concurrency,
      // One event of a case at a time across every worker process.
      groupConcurrency: 1,
      pollingIntervalSeconds: 0.5,
    },
    async ([job]) => {
      if (!job) return;
      const data = parseJob(QUEUES.caseEvents, job.data);
      ctx.logger.debug({ caseId: data.caseId, jobId: job.id, type: data.type }, 'case job');
      await handlers.cases.handle(data);
    },
  );
  if (handlers.webhooks) {
    const webhooks = handlers.webhooks;
    await boss.work(
      QUEUES.webhooks.name,
      { localConcurrency: Math.max(2, concurrency), pollingIntervalSeconds: 0.5 },
      async ([job]) => {
        if (!job) return;
        await webhooks.deliver(parseJob(QUEUES.webhooks, job.data).deliveryId);
      },
    );
  }
  await boss.work(QUEUES.sweep.name, async () => {
    const queued = await sweepDueCases(ctx);
    if (queued) ctx.logger.info({ queued }, 'follow-up sweep queued due cases');
  });
  await boss.schedule(QUEUES.sweep.name, ctx.config.SWEEP_CRON, {}, { tz: 'UTC' });
}
