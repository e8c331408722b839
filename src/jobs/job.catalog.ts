// The one catalog of pg-boss queues: each queue's name, payload schema, retry and expiry live here and nowhere else,
// and so do each case job's idempotency key and its enqueue.
import { z } from 'zod';
import type { Db, PgBoss, Queue } from 'pg-boss';
import { SEND_PURPOSES, type SendPurpose } from '../domain/evaluation.types';
import { DELIVERY_FAILURE_KINDS, type DeliveryFailureKind } from '../domain/delivery.types';
import { bossDb } from '../persistence/boss-db.adapter';
import type { Tx } from '../persistence/transaction.types';

/** The queue client as services hold it: they hand it to the enqueue functions below, never call it themselves. */
export type JobQueue = PgBoss;

const caseId = z.uuid();

/** Everything that happens to one case goes through this queue, one job at a time per case (group = caseId). */
export const caseJobSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CASE_CREATED'), caseId, key: z.string() }),
  z.object({ type: z.literal('FOLLOW_UP_DUE'), caseId, key: z.string(), scheduledFor: z.iso.datetime() }),
  z.object({ type: z.literal('REPLY_RECEIVED'), caseId, key: z.string(), messageId: z.uuid() }),
  z.object({
    type: z.literal('AUTO_REPLY_RECEIVED'),
    caseId,
    key: z.string(),
    messageId: z.uuid(),
    /** The return date its text gives, when one could be read. */
    returnDate: z.iso.datetime().nullable(),
  }),
  z.object({ type: z.literal('INPUT_PROVIDED'), caseId, key: z.string(), inputRequestId: z.uuid() }),
  z.object({
    type: z.literal('DELIVERY_FAILED'),
    caseId,
    key: z.string(),
    kind: z.enum(DELIVERY_FAILURE_KINDS),
    reason: z.string(),
  }),
  z.object({
    type: z.literal('SEND_MESSAGE'),
    caseId,
    key: z.string(),
    /** The message's position in the case (attemptCount + 1 when asked for): a send for a taken place is stale. */
    seq: z.number().int().positive(),
    purpose: z.enum(SEND_PURPOSES),
    replyBody: z.string().nullable(),
  }),
  z.object({ type: z.literal('EVALUATE_REPLY'), caseId, key: z.string() }),
]);
export type CaseJob = z.infer<typeof caseJobSchema>;
export type CaseJobOf<T extends CaseJob['type']> = Extract<CaseJob, { type: T }>;
export type SendJob = CaseJobOf<'SEND_MESSAGE'>;
export type EvaluateJob = CaseJobOf<'EVALUATE_REPLY'>;

export const webhookJobSchema = z.object({ deliveryId: z.uuid() });
export type WebhookJob = z.infer<typeof webhookJobSchema>;

export const sweepJobSchema = z.object({}).passthrough();

export interface QueueDefinition<T extends z.ZodType> {
  name: string;
  schema: T;
  options: Omit<Queue, 'name'>;
}

const define = <T extends z.ZodType>(d: QueueDefinition<T>): QueueDefinition<T> => d;

const DAY = 86_400;

/*
 * Retention, set on every queue rather than left to pg-boss's defaults (its maintenance deletes by these):
 * deleteAfterSeconds is how long a finished job stays (our own tables keep what matters: the timeline, webhook
 * deliveries and their attempts); retentionSeconds is how long a job may wait unstarted past its start time before
 * it is dropped (the sweep re-queues any case still due, so a dropped job is never a lost case).
 */

export const QUEUES = {
  caseEventsDead: define({
    name: 'case-events-dead',
    schema: caseJobSchema,
    // The sweep moves dead letters back every run; what is still here after 30 days is for an operator to read.
    options: { retentionSeconds: 30 * DAY, deleteAfterSeconds: 7 * DAY },
  }),
  caseEvents: define({
    name: 'case-events',
    schema: caseJobSchema,
    options: {
      // A live job may wait out a provider outage or rate limit inside its model call (it heartbeats all along);
      // a dead worker's job comes back by the heartbeat, so this only bounds a live job that is stuck. pg-boss's max.
      expireInSeconds: 24 * 3600,
      // A SIGKILLed worker stops heartbeating; its job is retried within ~heartbeatSeconds, not at expiry.
      heartbeatSeconds: 10,
      retryLimit: 10,
      retryDelay: 2,
      retryBackoff: true,
      retryDelayMax: 600,
      deadLetter: 'case-events-dead',
      deleteAfterSeconds: 7 * DAY,
      retentionSeconds: 14 * DAY,
    },
  }),
  webhooksDead: define({
    name: 'webhooks-dead',
    schema: webhookJobSchema,
    options: { retentionSeconds: 30 * DAY, deleteAfterSeconds: 7 * DAY },
  }),
  webhooks: define({
    name: 'webhooks',
    schema: webhookJobSchema,
    // Each attempt is its own job scheduled by the webhook retry policy, so pg-boss retries only crashes.
    options: {
      expireInSeconds: 120,
      retryLimit: 3,
      retryDelay: 5,
      retryBackoff: true,
      deadLetter: 'webhooks-dead',
      // Every attempt is recorded in webhook_delivery_attempts; the finished job itself tells nothing more.
      deleteAfterSeconds: 1 * DAY,
      retentionSeconds: 14 * DAY,
    },
  }),
  sweep: define({
    name: 'follow-up-sweep',
    schema: sweepJobSchema,
    // One queued at a time (singleton); a finished run says nothing the next one will not.
    options: {
      policy: 'singleton',
      expireInSeconds: 15 * 60,
      retryLimit: 1,
      deleteAfterSeconds: DAY,
      retentionSeconds: DAY,
    },
  }),
} as const;

/** Parses a job payload; a malformed payload is a bug upstream and fails loudly with the field path. */
export function parseJob<T extends z.ZodType>(queue: QueueDefinition<T>, data: unknown): z.infer<T> {
  const parsed = queue.schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid ${queue.name} job payload: ${issues}`);
  }
  return parsed.data;
}

const replyKey = (caseId: string, messageId: string): string => `${caseId}:reply:${messageId}`;

/**
 * Every case job is made here, its key with it. A key names one request for a job: a redelivery, the sweep's copy
 * of a follow-up and a second path asking for the same thing build the same key, and the step that applies the job
 * claims it in processed_jobs, so the job applies once. Nothing else builds a key.
 */
export const caseJobs = {
  created: (caseId: string): CaseJobOf<'CASE_CREATED'> => ({ type: 'CASE_CREATED', caseId, key: `${caseId}:created` }),

  /** Keyed by the time it is due: a rescheduled follow-up is a new request, the sweep's copy of a due one is not. */
  followUpDue: (caseId: string, at: Date): CaseJobOf<'FOLLOW_UP_DUE'> => {
    const scheduledFor = at.toISOString();
    return { type: 'FOLLOW_UP_DUE', caseId, key: `${caseId}:follow-up:${scheduledFor}`, scheduledFor };
  },

  replyReceived: (caseId: string, messageId: string): CaseJobOf<'REPLY_RECEIVED'> => ({
    type: 'REPLY_RECEIVED',
    caseId,
    key: replyKey(caseId, messageId),
    messageId,
  }),

  /** An automatic answer takes the reply's key: it is the job that stored message asks for, whichever kind. */
  autoReplyReceived: (
    caseId: string,
    messageId: string,
    returnDate: Date | null,
  ): CaseJobOf<'AUTO_REPLY_RECEIVED'> => ({
    type: 'AUTO_REPLY_RECEIVED',
    caseId,
    key: replyKey(caseId, messageId),
    messageId,
    returnDate: returnDate?.toISOString() ?? null,
  }),

  inputProvided: (caseId: string, inputRequestId: string): CaseJobOf<'INPUT_PROVIDED'> => ({
    type: 'INPUT_PROVIDED',
    caseId,
    key: `${caseId}:input:${inputRequestId}`,
    inputRequestId,
  }),

  /** Keyed by the provider's event id; a report without one, by our stored message and the kind of failure. */
  deliveryFailed: (
    caseId: string,
    messageId: string,
    failure: { kind: DeliveryFailureKind; reason: string; eventId?: string | null },
  ): CaseJobOf<'DELIVERY_FAILED'> => ({
    type: 'DELIVERY_FAILED',
    caseId,
    key: `${caseId}:delivery:${failure.eventId ?? `${messageId}:${failure.kind}`}`,
    kind: failure.kind,
    reason: failure.reason,
  }),

  /**
   * One key per request (a redelivered trigger asks again with the same key); `seq` makes every request for a place
   * already taken stale, so two paths asking for the Nth message still send one.
   */
  send: (
    triggerKey: string,
    send: { caseId: string; seq: number; purpose: SendPurpose; replyBody: string | null },
  ): SendJob => ({
    type: 'SEND_MESSAGE',
    caseId: send.caseId,
    key: `${triggerKey}:send:${send.seq}`,
    seq: send.seq,
    purpose: send.purpose,
    replyBody: send.replyBody,
  }),

  evaluate: (triggerKey: string, caseId: string): EvaluateJob => ({
    type: 'EVALUATE_REPLY',
    caseId,
    key: `${triggerKey}:evaluate`,
  }),
} as const;

/** REPLY_RECEIVED's key with `{caseId}` and `{messageId}` left open, for SQL that checks it message by message. */
export const REPLY_KEY_PATTERN = replyKey('{caseId}', '{messageId}');

/** Not a job: cancelling claims this key in processed_jobs as a step does, so it is made beside the jobs' keys. */
export const cancelKey = (caseId: string): string => `${caseId}:cancel`;

/** The one-click unsubscribe's step: claimed once, so a repeated POST changes nothing. */
export const unsubscribeKey = (caseId: string): string => `${caseId}:unsubscribe`;

/** A case job to insert; an id chosen beforehand lets a later step of the same transaction refer to it. */
export interface NewCaseJob {
  id?: string;
  job: CaseJob;
  startAfter?: Date;
}

/** Sends one case job through `db` (a connection in the caller's transaction); jobs of one case run one at a time. */
export async function sendCaseJob(
  ctx: { boss: JobQueue },
  db: Db,
  job: CaseJob,
  startAfter?: Date,
): Promise<string | null> {
  return ctx.boss.send(QUEUES.caseEvents.name, job, {
    db,
    group: { id: job.caseId },
    ...(startAfter ? { startAfter } : {}),
  });
}

/** Sends one case job in the transaction of `manager`: the job exists iff the transaction commits. */
export async function enqueueCaseJob(
  ctx: { boss: JobQueue },
  manager: Tx,
  job: CaseJob,
  startAfter?: Date,
): Promise<string | null> {
  return sendCaseJob(ctx, bossDb(manager), job, startAfter);
}

/** Inserts case jobs in one statement, in the transaction of `manager` when given. */
export async function insertCaseJobs(ctx: { boss: JobQueue }, jobs: NewCaseJob[], manager?: Tx): Promise<void> {
  const rows = jobs.map(({ id, job, startAfter }) => ({
    ...(id ? { id } : {}),
    data: job,
    group: { id: job.caseId },
    ...(startAfter ? { startAfter } : {}),
  }));
  await ctx.boss.insert(QUEUES.caseEvents.name, rows, manager ? { db: bossDb(manager) } : undefined);
}

/** Deletes a queued case job in the transaction of `manager`. */
export async function deleteCaseJob(ctx: { boss: JobQueue }, manager: Tx, jobId: string): Promise<void> {
  await ctx.boss.deleteJob(QUEUES.caseEvents.name, jobId, { db: bossDb(manager) });
}

/**
 * Deletes every job of an erased case that is not running now, dead-lettered ones included: their payloads may
 * carry personal data (a reply's text, a bounce's diagnostic), and there is nothing left for them to do. A job that
 * is running finds the case gone and does nothing.
 */
export async function deleteJobsOfCase(ctx: { boss: JobQueue }, manager: Tx, caseId: string): Promise<number> {
  const db = bossDb(manager);
  let deleted = 0;
  for (const name of [QUEUES.caseEvents.name, QUEUES.caseEventsDead.name]) {
    const jobs = await ctx.boss.findJobs(name, { data: { caseId }, db, limit: 100_000 });
    const ids = jobs.filter((j) => j.state !== 'active').map((j) => j.id);
    if (ids.length) await ctx.boss.deleteJob(name, ids, { db });
    deleted += ids.length;
  }
  return deleted;
}

/** Moves case jobs dead-lettered before `createdBefore` back to the case queue with fresh retries. */
export async function redriveCaseJobs(ctx: { boss: JobQueue }, createdBefore: Date): Promise<number> {
  return ctx.boss.redrive(QUEUES.caseEventsDead.name, { destination: QUEUES.caseEvents.name, createdBefore });
}

/** Sends one webhook delivery attempt in the transaction of `manager`, not before `startAfter` when given. */
export async function enqueueWebhookJob(
  ctx: { boss: JobQueue },
  manager: Tx,
  job: WebhookJob,
  startAfter?: Date,
): Promise<void> {
  await ctx.boss.send(QUEUES.webhooks.name, job, { db: bossDb(manager), ...(startAfter ? { startAfter } : {}) });
}
