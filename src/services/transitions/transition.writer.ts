// Turns the state machine's effects into writes of the caller's transaction: no lost follow-up, no phantom job.
// Transitions record their writes in a TransitionWrites and flush them together, one statement per table, so a
// batch of cases costs about what one case does.
import { randomUUID } from 'node:crypto';
import type { Effect } from '../../domain/case-event.types';
import {
  caseJobs,
  deleteCaseJob,
  insertCaseJobs,
  type CaseJob,
  type NewCaseJob,
  type SendJob,
} from '../../jobs/job.catalog';
import { CaseEntity, type MessageEntity } from '../../persistence/entities';
import type { TimelineEntry } from '../../persistence/case-events.repository';
import { writeTransitions } from '../../persistence/transition.repository';
import type { Tx } from '../../persistence/transaction.types';
import { countBillable, usageMonth } from '../../persistence/usage.repository';
import type { ServiceContext } from '../service.context';

/** A send this transaction queued: the worker that committed it may run it at once (see case-job.service.ts). */
export interface QueuedSend {
  job: SendJob;
  jobId: string | null;
  /** The case as this transaction left it. */
  row: CaseEntity;
}

export interface WebhookOutbox {
  enqueue(manager: Tx, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void>;
}

type EffectsContext = Pick<ServiceContext, 'boss'> & { webhooks: WebhookOutbox };

/** What the transitions of one transaction write, kept until flush() writes it all. */
export class TransitionWrites {
  private readonly cases = new Map<string, CaseEntity>();
  private readonly timeline: { row: CaseEntity; entry: TimelineEntry }[] = [];
  private readonly jobs: NewCaseJob[] = [];
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
  async flush(ctx: EffectsContext, manager: Tx): Promise<void> {
    const claimed = await writeTransitions(manager, {
      claims: this.claims,
      cases: [...this.cases.values()],
      timeline: this.timeline,
      messages: this.messages,
    });
    const duplicates = this.claims.filter((c) => !claimed.has(c.key)).map((c) => c.key);
    if (duplicates.length) throw new DuplicateSteps(duplicates);
    for (const { accountId, month } of this.billable) await countBillable(manager, accountId, month);
    if (this.jobs.length) await insertCaseJobs(ctx, this.jobs, manager);
    for (const { row, eventType, occurredAt } of this.webhooks)
      await ctx.webhooks.enqueue(manager, row, eventType, occurredAt);
  }
}

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
        const job = caseJobs.send(triggerKey, {
          caseId: row.id,
          seq: row.attemptCount + 1,
          purpose: effect.purpose,
          replyBody: effect.replyBody,
        });
        if (!takeSend(job)) sends.push({ job, jobId: writes.queueJob(job), row });
        break;
      }
      case 'EVALUATE_REPLY':
        writes.queueJob(caseJobs.evaluate(triggerKey, row.id));
        break;
      case 'SCHEDULE_FOLLOW_UP':
        // Nothing to queue: the row's next_action_at is the schedule, and the worker's due-poll queues the
        // FOLLOW_UP_DUE job when it falls due (follow-up-poll.service.ts). One deferred job per waiting case made
        // every fetch walk past all of them.
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

/**
 * Deletes a queued send in the transaction that claims its key: it could only find the key claimed and do nothing,
 * so it goes with the claim (a rollback keeps it) and saves the queue a fetch and a completion.
 */
export async function dropQueuedSend(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: Tx,
  jobId: string | null,
): Promise<void> {
  if (jobId) await deleteCaseJob(ctx, manager, jobId);
}
