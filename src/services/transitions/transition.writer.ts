// Turns the state machine's effects into writes of the caller's transaction: no lost follow-up, no phantom job.
// Transitions record their writes in a TransitionWrites and flush them together, one statement per table, so a
// batch of cases costs about what one case does.
import { randomUUID } from 'node:crypto';
import type { Db } from 'pg-boss';
import type { EntityManager } from 'typeorm';
import type { Effect } from '../../domain/case.events';
import type { CaseJob } from '../../jobs/job.catalog';
import { QUEUES } from '../../jobs/job.catalog';
import { bossDb } from '../../jobs/boss';
import { CaseEntity, MessageEntity } from '../../persistence/entities';
import {
  caseRecords,
  INSERT_TIMELINE,
  timelineRecords,
  UPDATE_CASES,
  usageMonth,
  type TimelineEntry,
} from './case.store';
import { INSERT_MESSAGES, messageRecords } from '../worker/mail-outbox.service';
import type { ServiceContext } from '../service.context';

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

type EffectsContext = Pick<ServiceContext, 'boss'> & { webhooks?: WebhookOutbox };

/** Sends one case job in the transaction of `manager`; jobs of one case run one at a time (group = case id). */
export async function enqueueCaseJob(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  job: CaseJob,
  startAfter?: Date,
): Promise<string | null> {
  return sendCaseJob(ctx, bossDb(manager), job, startAfter);
}

/** Sends one case job through `db` (a connection in the caller's transaction). */
export async function sendCaseJob(
  ctx: Pick<ServiceContext, 'boss'>,
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

/** What the transitions of one transaction write, kept until flush() writes it all. */
export class TransitionWrites {
  private readonly cases = new Map<string, CaseEntity>();
  private readonly timeline: { row: CaseEntity; entry: TimelineEntry }[] = [];
  private readonly jobs: { id: string; job: CaseJob; startAfter?: Date }[] = [];
  private readonly claims: { key: string; caseId: string | null }[] = [];
  private readonly messages: MessageEntity[] = [];
  private readonly billable: { accountId: string; month: string }[] = [];
  private readonly webhooks: { row: CaseEntity; eventType: string; occurredAt: Date }[] = [];

  /** Claims a step's key with the writes (see flush). */
  claim(key: string, caseId: string | null): void {
    this.claims.push({ key, caseId });
  }

  saveCase(row: CaseEntity): void {
    this.cases.set(row.id, row);
  }

  appendTimeline(row: CaseEntity, entry: TimelineEntry): void {
    this.timeline.push({ row, entry });
  }

  /** Queues a case job; its id is known now, so a later step of the same transaction can refer to it. */
  queueJob(job: CaseJob, startAfter?: Date): string {
    const id = randomUUID();
    this.jobs.push({ id, job, ...(startAfter ? { startAfter } : {}) });
    return id;
  }

  recordMessage(message: MessageEntity): void {
    this.messages.push(message);
  }

  countBillable(accountId: string, at: Date): void {
    this.billable.push({ accountId, month: usageMonth(at) });
  }

  /** The event is built from the case as it is now, even if the same transaction changes the case again. */
  emitWebhook(row: CaseEntity, eventType: string, occurredAt: Date): void {
    this.webhooks.push({ row: Object.assign(new CaseEntity(), row), eventType, occurredAt });
  }

  /**
   * Writes everything: claims, cases, timeline and messages in one statement, then usage, jobs and webhooks.
   * Throws DuplicateSteps if a claimed key was already taken (the caller's transaction must roll back).
   */
  async flush(ctx: EffectsContext, manager: EntityManager): Promise<void> {
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${params.push(value)}`;
    const parts: string[] = [];
    if (this.claims.length) {
      const keys = param(this.claims.map((c) => c.key));
      const cases = param(this.claims.map((c) => c.caseId));
      parts.push(`claims AS (INSERT INTO processed_jobs (key, case_id) SELECT * FROM unnest(${keys}::text[], ${cases}::uuid[])
                  ON CONFLICT (key) DO NOTHING RETURNING key)`);
    }
    if (this.cases.size)
      parts.push(
        `saved AS (${fill(UPDATE_CASES, param(JSON.stringify(caseRecords([...this.cases.values()]))))} RETURNING c.id)`,
      );
    if (this.timeline.length)
      parts.push(
        `timeline AS (${fill(INSERT_TIMELINE, param(JSON.stringify(timelineRecords(this.timeline))))} RETURNING id)`,
      );
    if (this.messages.length)
      parts.push(
        `recorded AS (${fill(INSERT_MESSAGES, param(JSON.stringify(messageRecords(this.messages))))} RETURNING id)`,
      );
    if (parts.length) {
      const claimed = this.claims.length ? 'ARRAY(SELECT key FROM claims)' : `'{}'::text[]`;
      const [result] = (await manager.query(`WITH ${parts.join(',\n')} SELECT ${claimed} AS claimed`, params)) as {
        claimed: string[];
      }[];
      const taken = new Set(result?.claimed ?? []);
      const duplicates = this.claims.filter((c) => !taken.has(c.key)).map((c) => c.key);
      if (duplicates.length) throw new DuplicateSteps(duplicates);
    }
    for (const { accountId, month } of this.billable) await countBillable(manager, accountId, month);
    if (this.jobs.length) {
      const jobs = this.jobs.map(({ id, job, startAfter }) => ({
        id,
        data: job,
        group: { id: job.caseId },
        ...(startAfter ? { startAfter } : {}),
      }));
      await ctx.boss.insert(QUEUES.caseEvents.name, jobs, { db: bossDb(manager) });
    }
    for (const { row, eventType, occurredAt } of this.webhooks)
      await ctx.webhooks?.enqueue(manager, row, eventType, occurredAt);
  }
}

/** Puts a parameter where a statement's $N is (a function: a replacement string would give `$$` a meaning). */
const fill = (statement: string, parameter: string): string => statement.replace('$N', () => parameter);

/** Steps whose keys an earlier delivery already claimed: applied before, so they must not apply again. */
export class DuplicateSteps extends Error {
  override readonly name = 'DuplicateSteps';
  constructor(readonly keys: string[]) {
    super(`already applied: ${keys.join(', ')}`);
  }
}

/**
 * Records the writes of a transition's effects. A send goes to `takeSend` first: a caller that already composed
 * that message records it itself (true); otherwise it is queued as a SEND_MESSAGE job.
 */
export function recordEffects(
  writes: TransitionWrites,
  row: CaseEntity,
  effects: Effect[],
  triggerKey: string,
  now: Date,
  takeSend: (job: SendJob) => boolean = () => false,
): QueuedSend[] {
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
        if (!takeSend(job)) sends.push({ job, jobId: writes.queueJob(job), row });
        break;
      }
      case 'EVALUATE_REPLY':
        writes.queueJob({ type: 'EVALUATE_REPLY', caseId: row.id, key: `${triggerKey}:evaluate` });
        break;
      case 'SCHEDULE_FOLLOW_UP':
        writes.queueJob(
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
        writes.emitWebhook(row, effect.eventType, now);
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return sends;
}

async function countBillable(manager: EntityManager, accountId: string, month: string): Promise<void> {
  await manager.query(
    `INSERT INTO account_usage (account_id, month, billable_count) VALUES ($1, $2, 1)
     ON CONFLICT (account_id, month) DO UPDATE SET billable_count = account_usage.billable_count + 1`,
    [accountId, month],
  );
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
