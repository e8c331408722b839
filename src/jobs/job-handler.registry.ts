// Registers the handlers of every queue. Handlers parse their payload and call one service; nothing else.
import type { Job, JobResult, PgBoss, WorkOptions } from 'pg-boss';
import { parseJob, QUEUES, type CaseJob } from './job.catalog';
import type { Config } from '../config/env.config';
import type { Logger } from '../observability/logger.factory';

/**
 * What handles the case queues: the case-events batches and the follow-up sweep (the case worker service, handed
 * in by the composition root so that jobs/ never imports services/).
 */
export interface CaseJobHandler {
  /** Handles a fetched batch; the result for each job is null or why it failed. */
  handleBatch(jobs: CaseJob[]): Promise<(Error | null)[]>;
  /** Runs the follow-up sweep; returns how many jobs it queued. */
  sweep(): Promise<number>;
}

interface WebhookJobHandler {
  deliver(deliveryId: string): Promise<void>;
}

/** Both are required: a worker that took case jobs but dropped their webhooks would lose deliveries silently. */
export interface WorkerHandlers {
  cases: CaseJobHandler;
  webhooks: WebhookJobHandler;
}

export interface WorkerContext {
  config: Pick<Config, 'WORKER_CONCURRENCY' | 'SWEEP_CRON'>;
  logger: Logger;
}

const BATCH = 4;

/**
 * How every worker of a queue fetches. pg-boss waits out the polling interval after each fetch unless the fetch came
 * back full, so one job per fetch would cap a worker at two jobs a second; batches with burstWhenBatchFull keep it
 * fetching while work is waiting and fall back to polling when the queue is quiet.
 */
export function workOptions(concurrency: number, grouped: boolean) {
  return {
    localConcurrency: Math.max(1, Math.ceil(concurrency / BATCH)),
    batchSize: BATCH,
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
    perJobResults: true,
    // One event of a case at a time across every worker process.
    ...(grouped ? { groupConcurrency: 1 } : {}),
  } as const satisfies WorkOptions;
}

/** Runs a batch's jobs side by side and settles each on its own, so one failure retries only its own job. */
function eachJob<T>(logger: Logger, queue: string, handle: (job: Job<T>) => Promise<void>) {
  return async (jobs: Job<T>[]): Promise<JobResult[]> =>
    Promise.all(
      jobs.map(async (job): Promise<JobResult> => {
        try {
          await handle(job);
          return { id: job.id, status: 'completed' };
        } catch (error) {
          const caseId = (job.data as { caseId?: string } | null)?.caseId;
          logger.warn({ err: error, queue, jobId: job.id, caseId }, 'job failed; pg-boss retries it');
          return { id: job.id, status: 'failed', output: { message: (error as Error).message } };
        }
      }),
    );
}

/** Case jobs go to the worker as a batch (its plain steps share a transaction); each job still settles alone. */
function caseBatch(logger: Logger, cases: CaseJobHandler) {
  const queue = QUEUES.caseEvents.name;
  return async (jobs: Job<unknown>[]): Promise<JobResult[]> => {
    const parsed = jobs.map((job): CaseJob | Error => {
      try {
        const data = parseJob(QUEUES.caseEvents, job.data);
        logger.info({ caseId: data.caseId, jobId: job.id, type: data.type }, 'case job');
        return data;
      } catch (error) {
        return error as Error;
      }
    });
    const outcomes = await cases.handleBatch(parsed.filter((p): p is CaseJob => !(p instanceof Error)));
    let handled = 0;
    return jobs.map((job, i): JobResult => {
      const data = parsed[i]!;
      const error = data instanceof Error ? data : outcomes[handled++];
      if (!error) return { id: job.id, status: 'completed' };
      const caseId = (job.data as { caseId?: string } | null)?.caseId;
      logger.warn({ err: error, queue, jobId: job.id, caseId }, 'job failed; pg-boss retries it');
      return { id: job.id, status: 'failed', output: { message: error.message } };
    });
  };
}

export async function startWorkers(boss: PgBoss, ctx: WorkerContext, handlers: WorkerHandlers): Promise<void> {
  const concurrency = ctx.config.WORKER_CONCURRENCY;
  await boss.work(QUEUES.caseEvents.name, workOptions(concurrency, true), caseBatch(ctx.logger, handlers.cases));
  await boss.work(
    QUEUES.webhooks.name,
    workOptions(Math.max(2, concurrency), false),
    eachJob(ctx.logger, QUEUES.webhooks.name, async (job) => {
      await handlers.webhooks.deliver(parseJob(QUEUES.webhooks, job.data).deliveryId);
    }),
  );
  await boss.work(QUEUES.sweep.name, async () => {
    const queued = await handlers.cases.sweep();
    if (queued) ctx.logger.info({ queued }, 'follow-up sweep queued due cases');
  });
  await boss.schedule(QUEUES.sweep.name, ctx.config.SWEEP_CRON, {}, { tz: 'UTC' });
}
