// Handles one case job: I/O (model, mail) outside any transaction, then one transaction that applies the result
// through the state machine and claims the job's key. A redelivered job finds its key claimed and does nothing.
// A step that asks for a send runs that send itself right after its commit (the case's next job could not start
// before this one ends anyway, as jobs of a case run one at a time); the SEND_MESSAGE job it queued in the same
// transaction stays as the safety net and is deleted by the transaction that claims the send's key.
import type { EntityManager } from 'typeorm';
import type { Agent } from '../agent/agent.types';
import type { CaseEvent } from '../domain/case.events';
import type { CaseJob } from '../jobs/job.catalog';
import type { MailTransport } from '../mail/mail.types';
import { CaseEntity, MessageEntity } from '../persistence/entities';
import { buildAgentContext } from './agent-context';
import type { QueuedSend } from './case-effects';
import { claimJobKey, isJobKeyClaimed, lockCase } from './case-store';
import { CaseSender, type ApplyEvent, type BeforeEvent, type SendObserver } from './case-send';
import { applyTransition, DuplicateStep, type TransitionContext } from './case-transition';
import type { ServiceContext } from './service-context';

type EvaluateJob = Extract<CaseJob, { type: 'EVALUATE_REPLY' }>;

export interface WorkerObserver extends SendObserver {
  transition?(caseId: string, from: string, to: string, type: string | null): void;
}

export class CaseWorker {
  private readonly sender: CaseSender;

  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    private readonly agent: Agent,
    transport: MailTransport,
    private readonly observer: WorkerObserver = {},
  ) {
    const apply: ApplyEvent = (job, event, before, base) => this.apply(job, event, before, base);
    this.sender = new CaseSender(ctx, agent, transport, apply, observer);
  }

  async handle(job: CaseJob): Promise<void> {
    try {
      await this.runSends(await this.step(job));
    } catch (error) {
      if (error instanceof DuplicateStep) return;
      throw error;
    }
  }

  /** One job's own step; returns the sends it queued. */
  private async step(job: CaseJob): Promise<QueuedSend[]> {
    // Sends and evaluations call out before their transaction, so a redelivered one stops here rather than after a
    // model call; the other steps' transaction claims the key first thing and rolls back on a duplicate.
    const callsOut = job.type === 'SEND_MESSAGE' || job.type === 'EVALUATE_REPLY';
    if (callsOut && (await isJobKeyClaimed(this.ctx.db.manager, job.key))) return [];
    switch (job.type) {
      case 'CASE_CREATED':
        return await this.apply(job, { type: 'CASE_CREATED' });
      case 'FOLLOW_UP_DUE':
        return await this.apply(job, {
          type: 'FOLLOW_UP_DUE',
          scheduledFor: new Date(job.scheduledFor),
          replyPending: await this.replyPending(job.caseId),
        });
      case 'REPLY_RECEIVED':
        return await this.apply(job, { type: 'REPLY_RECEIVED', messageId: job.messageId });
      case 'INPUT_PROVIDED':
        return await this.apply(job, { type: 'INPUT_PROVIDED', inputRequestId: job.inputRequestId });
      case 'DELIVERY_FAILED':
        return await this.apply(job, { type: 'DELIVERY_FAILED', kind: job.kind, reason: job.reason });
      case 'SEND_MESSAGE':
        await this.sender.send(job);
        return [];
      case 'EVALUATE_REPLY':
        return await this.evaluate(job);
      default: {
        const unreachable: never = job;
        throw new Error(`unknown case job ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Runs the sends a step queued. A failure here is left to the queued job (pg-boss retries it with backoff), so
   * the step that already committed is not failed and retried for it.
   */
  private async runSends(sends: QueuedSend[]): Promise<void> {
    for (const { job, jobId, row } of sends) {
      try {
        await this.sender.send(job, { queuedJobId: jobId, row });
      } catch (error) {
        if (error instanceof DuplicateStep) continue;
        this.ctx.logger.warn(
          { err: error, caseId: job.caseId, sendKey: job.key },
          'send failed; its queued job retries it',
        );
      }
    }
  }

  /** Locks the case, applies one event and claims the job key, all in one transaction (on `base`'s connection). */
  private async apply(
    job: CaseJob,
    event: CaseEvent,
    before: BeforeEvent = async () => {},
    base: EntityManager = this.ctx.db.manager,
  ): Promise<QueuedSend[]> {
    const sends = await base.transaction(async (manager): Promise<QueuedSend[]> => {
      const row = await lockCase(manager, job.caseId);
      if (!row) {
        await claimJobKey(manager, job.key, null);
        return [];
      }
      if ((await before(manager, row)) === false) return [];
      const from = row.status;
      const transition = await applyTransition(this.ctx, manager, row, event, job.key, this.ctx.clock());
      if (transition.ok) this.observer.transition?.(row.id, from, row.status, transition.timelineType);
      else {
        this.observer.refused?.(row.id, transition.reason);
        this.ctx.logger.info({ caseId: row.id, jobKey: job.key, reason: transition.reason }, 'event refused');
      }
      return transition.sends;
    });
    this.ctx.changes.changed();
    return sends;
  }

  private async evaluate(job: EvaluateJob): Promise<QueuedSend[]> {
    const row = await this.ctx.db.getRepository(CaseEntity).findOneBy({ id: job.caseId });
    // decide() refuses these too; checking first saves a model call whose answer would be thrown away.
    if (!row || !evaluationWanted(row)) return this.skip(job);
    const evaluation = await this.agent.evaluate(buildAgentContext(row, await this.thread(job.caseId)));
    return this.apply(job, { type: 'REPLY_EVALUATED', evaluation });
  }

  private async skip(job: CaseJob): Promise<QueuedSend[]> {
    await this.ctx.db.transaction((manager) => claimJobKey(manager, job.key, job.caseId));
    return [];
  }

  /**
   * An inbound message is stored whose REPLY_RECEIVED job has not been applied yet (it may be queued behind us).
   * The key is the one inbound.service.ts gives that job.
   */
  private async replyPending(caseId: string): Promise<boolean> {
    const rows: unknown[] = await this.ctx.db.query(
      `SELECT 1 FROM messages m WHERE m.case_id = $1 AND m.direction = 'inbound'
          AND NOT EXISTS (SELECT 1 FROM processed_jobs p WHERE p.key = $1 || ':reply:' || m.id) LIMIT 1`,
      [caseId],
    );
    return rows.length > 0;
  }

  private thread(caseId: string): Promise<MessageEntity[]> {
    return this.ctx.db.getRepository(MessageEntity).find({ where: { caseId }, order: { createdAt: 'ASC' } });
  }
}

function evaluationWanted(row: CaseEntity): boolean {
  if (!row.awaitingEvaluation) return false;
  if (row.status === 'RUNNING') return true;
  return row.status === 'INPUT_NEEDED' && row.inputRequestStatus === 'RESOLVED';
}
