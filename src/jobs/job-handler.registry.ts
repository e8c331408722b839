// Registers the handlers of every queue. Handlers parse their payload and call one service; nothing else.
import type { Job, PgBoss } from 'pg-boss';
import { parseJob, QUEUES, type CaseJob } from './job.catalog';
import { JobLoop } from './job-loop.queue';
import type { Config } from '../config/env.config';
import type { Logger } from '../observability/logger.factory';

/**
 * What handles the case queue: one job at a time per call, and the follow-up sweep (the case worker service, handed
 * in by the composition root so that jobs/ never imports services/).
 */
export interface CaseJobHandler {
  handle(job: CaseJob): Promise<void>;
  /** True when its agent has no latency to wait out (the rules agent): the jobs of a fetch then go together. */
  readonly batches: boolean;
  /** Handles jobs of distinct cases together; the result for each job is null or why it failed. */
  handleBatch(jobs: CaseJob[]): Promise<(Error | null)[]>;
  /** Runs the follow-up sweep; returns how many jobs it queued. */
  sweep(): Promise<number>;
  /** Queues the follow-ups due now (polled every DUE_POLL_MS); returns how many. */
  queueDue(): Promise<number>;
  /** Calls waiting on the model now (for a slot, the provider's limit or the answer): they hold no job slot. */
  readonly modelWaits: number;
  /** Told when a call starts waiting on the model, which frees a job slot. */
  onModelWait(listener: () => void): void;
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
  config: Pick<Config, 'WORKER_CONCURRENCY' | 'MODEL_MAX_CONCURRENCY' | 'SWEEP_CRON'>;
  logger: Logger;
}

export interface Workers {
  /** Stops fetching, waits up to `timeoutMs` for the jobs in flight, fails (so retries) what is left. */
  stop(timeoutMs: number): Promise<void>;
}

const POLL_MS = 500;
/** How often follow-ups that fell due are queued: their precision, for one indexed query that finds nothing. */
const DUE_POLL_MS = 1000;

/**
 * How many case jobs a worker may fetch now. WORKER_CONCURRENCY bounds the jobs doing their own work (database,
 * mail); a job waiting on the model does not count there, so up to MODEL_MAX_CONCURRENCY more can be in flight,
 * waiting on the model side by side.
 */
export function caseRoom(config: WorkerContext['config'], inFlight: number, modelWaits: number): number {
  const busy = inFlight - modelWaits;
  return Math.min(
    config.WORKER_CONCURRENCY + config.MODEL_MAX_CONCURRENCY - inFlight,
    config.WORKER_CONCURRENCY - busy,
  );
}

function parseCaseJob(logger: Logger, job: Job<unknown>): CaseJob {
  const data = parseJob(QUEUES.caseEvents, job.data);
  logger.info({ caseId: data.caseId, jobId: job.id, type: data.type }, 'case job');
  return data;
}

/** A fetch's case jobs as one batch (one per case: a fetch with groupConcurrency 1 holds one job per case). */
async function caseBatch(logger: Logger, cases: CaseJobHandler, jobs: Job<unknown>[]): Promise<(Error | null)[]> {
  const parsed = jobs.map((job): CaseJob | Error => {
    try {
      return parseCaseJob(logger, job);
    } catch (error) {
      return error as Error;
    }
  });
  const outcomes = await cases.handleBatch(parsed.filter((p): p is CaseJob => !(p instanceof Error)));
  let handled = 0;
  return parsed.map((p) => (p instanceof Error ? p : (outcomes[handled++] ?? null)));
}

function jobError(logger: Logger, queue: string) {
  return (job: Job<unknown>, error: unknown) => {
    const caseId = (job.data as { caseId?: string } | null)?.caseId;
    logger.warn({ err: error, queue, jobId: job.id, caseId }, 'job failed; pg-boss retries it');
  };
}

function loopError(logger: Logger, queue: string) {
  return (error: unknown, what: string) => logger.warn({ err: error, queue, what }, 'job queue call failed');
}

export async function startWorkers(boss: PgBoss, ctx: WorkerContext, handlers: WorkerHandlers): Promise<Workers> {
  const { config, logger } = ctx;
  const { cases } = handlers;
  const caseQueue = QUEUES.caseEvents;
  const heartbeat = caseQueue.options.heartbeatSeconds;
  const caseLoop = new JobLoop<unknown>(boss, {
    name: caseQueue.name,
    // One event of a case at a time across every worker process.
    grouped: true,
    room: (inFlight) => caseRoom(config, inFlight, cases.modelWaits),
    handle: async (job) => cases.handle(parseCaseJob(logger, job)),
    handleMany: (jobs) => (cases.batches ? caseBatch(logger, cases, jobs) : null),
    onJobError: jobError(logger, caseQueue.name),
    onError: loopError(logger, caseQueue.name),
    pollMs: POLL_MS,
    touchMs: heartbeat ? (heartbeat * 1000) / 2 : null,
  });
  cases.onModelWait(() => caseLoop.wake());
  const webhookLoop = new JobLoop<unknown>(boss, {
    name: QUEUES.webhooks.name,
    grouped: false,
    room: (inFlight) => Math.max(2, config.WORKER_CONCURRENCY) - inFlight,
    handle: async (job) => handlers.webhooks.deliver(parseJob(QUEUES.webhooks, job.data).deliveryId),
    onJobError: jobError(logger, QUEUES.webhooks.name),
    onError: loopError(logger, QUEUES.webhooks.name),
    pollMs: POLL_MS,
    touchMs: null,
  });
  caseLoop.start();
  webhookLoop.start();
  await boss.work(QUEUES.sweep.name, async () => {
    const queued = await cases.sweep();
    if (queued) logger.info({ queued }, 'follow-up sweep queued due cases');
  });
  await boss.schedule(QUEUES.sweep.name, config.SWEEP_CRON, {}, { tz: 'UTC' });
  const duePoll = startDuePoll(cases, logger);
  return {
    stop: async (timeoutMs) => {
      await duePoll.stop();
      await Promise.all([caseLoop.stop(timeoutMs), webhookLoop.stop(timeoutMs)]);
    },
  };
}

/** Polls for due follow-ups, one poll at a time; a failed poll is logged and the next one tries again. */
function startDuePoll(cases: CaseJobHandler, logger: Logger) {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= cases
      .queueDue()
      .then((queued) => {
        if (queued) logger.debug({ queued }, 'queued due follow-ups');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'due follow-up poll failed'))
      .finally(() => (running = null));
  }, DUE_POLL_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
