// Turns the state machine's effects into jobs written in the caller's transaction: no lost follow-up, no phantom job.
import type { EntityManager } from 'typeorm';
import type { Effect } from '../domain/case.events';
import type { CaseJob } from '../jobs/job.catalog';
import { QUEUES } from '../jobs/job.catalog';
import { bossDb } from '../jobs/boss';
import type { CaseEntity } from '../persistence/entities';
import type { ServiceContext } from './service-context';

export interface WebhookOutbox {
  enqueue(manager: EntityManager, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void>;
}

/** Sends one case job in the transaction of `manager`; jobs of one case run one at a time (group = case id). */
export async function enqueueCaseJob(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  job: CaseJob,
  startAfter?: Date,
): Promise<void> {
  await ctx.boss.send(QUEUES.caseEvents.name, job, {
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
): Promise<void> {
  for (const effect of effects) {
    switch (effect.type) {
      case 'SEND_MESSAGE':
        // One key per request (a redelivered trigger asks again with the same key); `seq` makes every request for
        // a place already taken stale, so two paths asking for the Nth message still send one.
        await enqueueCaseJob(ctx, manager, {
          type: 'SEND_MESSAGE',
          caseId: row.id,
          key: `${triggerKey}:send:${row.attemptCount + 1}`,
          seq: row.attemptCount + 1,
          purpose: effect.purpose,
          replyBody: effect.replyBody,
        });
        break;
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
}

export const followUpKey = (caseId: string, at: Date): string => `${caseId}:follow-up:${at.toISOString()}`;
