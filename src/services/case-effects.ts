// Turns the state machine's effects into jobs written in the caller's transaction: no lost follow-up, no phantom job.
import type { EntityManager } from 'typeorm';
import type { Effect } from '../domain/case.events';
import type { CaseJob } from '../jobs/job.catalog';
import { QUEUES } from '../jobs/job.catalog';
import { bossDb } from '../jobs/boss';
import type { CaseEntity } from '../persistence/entities';
import type { ServiceContext } from './service-context';

export type SendJob = Extract<CaseJob, { type: 'SEND_MESSAGE' }>;

/** A send this transaction queued: the worker that committed it may run it at once (see case-worker.ts). */
export interface QueuedSend {
  job: SendJob;
  jobId: string | null;
  /** The case as this transaction left it. */
  row: CaseEntity;
}

export interface WebhookOutbox {
  enqueue(manager: EntityManager, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void>;
}

/** Sends one case job in the transaction of `manager`; jobs of one case run one at a time (group = case id). */
export async function enqueueCaseJob(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  job: CaseJob,
  startAfter?: Date,
): Promise<string | null> {
  return ctx.boss.send(QUEUES.caseEvents.name, job, {
    db: bossDb(manager),
    group: { id: job.caseId },
    ...(startAfter ? { startAfter } : {}),
  });
}

export async function enqueueEffects(
  ctx: Pick<ServiceContext, 'boss'> & { webhooks?: WebhookOutbox },
  manager: EntityManager,
  row: CaseEntity,
  effects: Effect[],
  triggerKey: string,
  now: Date,
): Promise<QueuedSend[]> {
  const sends: QueuedSend[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'SEND_MESSAGE': {
        // One key per request (a redelivered trigger asks again with the same key); `seq` makes every request for
        // a place already taken stale, so two paths asking for the Nth message still send one.
        const job: SendJob = {
          type: 'SEND_MESSAGE',
          caseId: row.id,
          key: `${triggerKey}:send:${row.attemptCount + 1}`,
          seq: row.attemptCount + 1,
          purpose: effect.purpose,
          replyBody: effect.replyBody,
        };
        sends.push({ job, jobId: await enqueueCaseJob(ctx, manager, job), row });
        break;
      }
      case 'EVALUATE_REPLY':
        await enqueueCaseJob(ctx, manager, { type: 'EVALUATE_REPLY', caseId: row.id, key: `${triggerKey}:evaluate` });
        break;
      case 'SCHEDULE_FOLLOW_UP':
        await enqueueCaseJob(
          ctx,
          manager,
          {
            type: 'FOLLOW_UP_DUE',
            caseId: row.id,
            key: followUpKey(row.id, effect.at),
            scheduledFor: effect.at.toISOString(),
          },
          effect.at,
        );
        break;
      case 'EMIT_WEBHOOK':
        await ctx.webhooks?.enqueue(manager, row, effect.eventType, now);
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return sends;
}

/**
 * Deletes a queued send in the transaction that claims its key: it could only find the key claimed and do nothing,
 * so it goes with the claim (a rollback keeps it) and saves the queue a fetch and a completion.
 */
export async function dropQueuedSend(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  jobId: string | null,
): Promise<void> {
  if (jobId) await ctx.boss.deleteJob(QUEUES.caseEvents.name, jobId, { db: bossDb(manager) });
}

export const followUpKey = (caseId: string, at: Date): string => `${caseId}:follow-up:${at.toISOString()}`;
