// The one catalog of pg-boss queues: each queue's name, payload schema, retry and expiry live here and nowhere else.
import { z } from 'zod';
import type { Queue } from 'pg-boss';
import { SEND_PURPOSES } from '../domain/evaluation';
import { DELIVERY_FAILURE_KINDS } from '../domain/delivery';

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

export const webhookJobSchema = z.object({ deliveryId: z.uuid() });
export type WebhookJob = z.infer<typeof webhookJobSchema>;

export const sweepJobSchema = z.object({}).passthrough();

export interface QueueDefinition<T extends z.ZodType> {
  name: string;
  schema: T;
  options: Omit<Queue, 'name'>;
}

const define = <T extends z.ZodType>(d: QueueDefinition<T>): QueueDefinition<T> => d;

export const QUEUES = {
  caseEventsDead: define({
    name: 'case-events-dead',
    schema: caseJobSchema,
    options: { retentionSeconds: 30 * 86400 },
  }),
  caseEvents: define({
    name: 'case-events',
    schema: caseJobSchema,
    options: {
      // Model and mail calls can be slow; a stuck job is taken back by the heartbeat long before this.
      expireInSeconds: 15 * 60,
      // A SIGKILLed worker stops heartbeating; its job is retried within ~heartbeatSeconds, not at expiry.
      heartbeatSeconds: 10,
      retryLimit: 10,
      retryDelay: 2,
      retryBackoff: true,
      retryDelayMax: 600,
      deadLetter: 'case-events-dead',
      deleteAfterSeconds: 7 * 86400,
    },
  }),
  webhooksDead: define({ name: 'webhooks-dead', schema: webhookJobSchema, options: { retentionSeconds: 30 * 86400 } }),
  webhooks: define({
    name: 'webhooks',
    schema: webhookJobSchema,
    // Each attempt is its own job scheduled by the webhook retry policy, so pg-boss retries only crashes.
    options: { expireInSeconds: 120, retryLimit: 3, retryDelay: 5, retryBackoff: true, deadLetter: 'webhooks-dead' },
  }),
  sweep: define({
    name: 'follow-up-sweep',
    schema: sweepJobSchema,
    options: { policy: 'singleton', expireInSeconds: 15 * 60, retryLimit: 1 },
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
