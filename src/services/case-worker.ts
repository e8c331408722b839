// Handles one case job: I/O (model, mail) outside any transaction, then one transaction that applies the result
// through the state machine and claims the job's key. A redelivered job finds its key claimed and does nothing.
import type { EntityManager } from 'typeorm';
import type { Agent } from '../agent/agent.types';
import type { CaseEvent } from '../domain/case.events';
import { isTerminal } from '../domain/case.model';
import type { CaseJob } from '../jobs/job.catalog';
import { TerminalSendError, type MailTransport } from '../mail/mail.types';
import { CaseEntity, MessageEntity } from '../persistence/entities';
import { buildAgentContext } from './agent-context';
import { claimJobKey, isJobKeyClaimed, lockCase } from './case-store';
import { applyTransition, DuplicateStep, type TransitionContext } from './case-transition';
import { findOutbound, recordPending, toOutboundMail } from './outbox';
import type { ServiceContext } from './service-context';

type SendJob = Extract<CaseJob, { type: 'SEND_MESSAGE' }>;
type EvaluateJob = Extract<CaseJob, { type: 'EVALUATE_REPLY' }>;

export interface WorkerObserver {
  transition?(caseId: string, from: string, to: string, type: string | null): void;
  refused?(caseId: string, reason: string): void;
  possibleDuplicateSend?(caseId: string, sendKey: string): void;
  mailSent?(transport: string): void;
}

export class CaseWorker {
  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    private readonly agent: Agent,
    private readonly transport: MailTransport,
    private readonly observer: WorkerObserver = {},
  ) {}

  async handle(job: CaseJob): Promise<void> {
    if (await isJobKeyClaimed(this.ctx.db.manager, job.key)) return;
    try {
      switch (job.type) {
        case 'CASE_CREATED':
          return await this.apply(job, { type: 'CASE_CREATED' });
        case 'FOLLOW_UP_DUE':
          return await this.apply(job, { type: 'FOLLOW_UP_DUE', scheduledFor: new Date(job.scheduledFor) });
        case 'REPLY_RECEIVED':
          return await this.apply(job, { type: 'REPLY_RECEIVED', messageId: job.messageId });
        case 'INPUT_PROVIDED':
          return await this.apply(job, { type: 'INPUT_PROVIDED', inputRequestId: job.inputRequestId });
        case 'DELIVERY_FAILED':
          return await this.apply(job, { type: 'DELIVERY_FAILED', kind: job.kind, reason: job.reason });
        case 'SEND_MESSAGE':
          return await this.send(job);
        case 'EVALUATE_REPLY':
          return await this.evaluate(job);
        default: {
          const unreachable: never = job;
          throw new Error(`unknown case job ${JSON.stringify(unreachable)}`);
        }
      }
    } catch (error) {
      if (error instanceof DuplicateStep) return;
      throw error;
    }
  }

  /** Locks the case, applies one event and claims the job key, all in one transaction. */
  private async apply(
    job: CaseJob,
    event: CaseEvent,
    before: (manager: EntityManager, row: CaseEntity) => Promise<void> = async () => {},
  ): Promise<void> {
    await this.ctx.db.transaction(async (manager) => {
      const row = await lockCase(manager, job.caseId);
      if (!row) {
        await claimJobKey(manager, job.key, null);
        return;
      }
      await before(manager, row);
      const from = row.status;
      const transition = await applyTransition(this.ctx, manager, row, event, job.key, this.ctx.clock());
      if (transition.ok) this.observer.transition?.(row.id, from, row.status, transition.timelineType);
      else {
        this.observer.refused?.(row.id, transition.reason);
        this.ctx.logger.info({ caseId: row.id, jobKey: job.key, reason: transition.reason }, 'event refused');
      }
    });
    this.ctx.changes.changed();
  }

  private async send(job: SendJob): Promise<void> {
    const db = this.ctx.db.manager;
    const row = await db.getRepository(CaseEntity).findOneBy({ id: job.caseId });
    if (!row || isTerminal(row.status)) return this.skip(job);
    const thread = await this.thread(job.caseId);
    let message = await findOutbound(db, job.key);
    if (!message) {
      const composed = await this.agent.compose({
        purpose: job.purpose,
        context: buildAgentContext(row, thread),
        replyBody: job.replyBody,
      });
      message = await recordPending(
        db,
        row,
        thread,
        job.key,
        job.purpose,
        composed,
        this.ctx.config.MAIL_DOMAIN,
        this.ctx.clock(),
      );
    }
    if (message.status === 'pending') {
      if (!(await this.beginAttempt(job, message))) return;
      try {
        const result = await this.transport.send(toOutboundMail(row, message, thread));
        message.providerMessageId = result.providerMessageId;
        message.providerThreadId = result.threadId ?? null;
      } catch (error) {
        if (!(error instanceof TerminalSendError)) throw error; // transient: pg-boss retries with backoff
        await this.apply(job, { type: 'SEND_FAILED', reason: error.message }, async (manager) => {
          await manager.update(MessageEntity, { id: message!.id }, { status: 'failed', deliveryStatus: 'rejected' });
        });
        return;
      }
      this.observer.mailSent?.(this.transport.name);
    }
    const sent = message;
    await this.apply(job, { type: 'MESSAGE_SENT', purpose: job.purpose }, async (manager, locked) => {
      await manager.update(
        MessageEntity,
        { id: sent.id },
        {
          status: 'sent',
          sentAt: sent.sentAt ?? this.ctx.clock(),
          providerMessageId: sent.providerMessageId,
          providerThreadId: sent.providerThreadId,
        },
      );
      if (!locked.threadRef && sent.providerThreadId) locked.threadRef = sent.providerThreadId;
    });
  }

  /**
   * Records the attempt before the mail leaves, under the case lock: a case cancelled meanwhile sends nothing, and a
   * second attempt at the same message is reported as a possible duplicate instead of passing silently.
   */
  private async beginAttempt(job: SendJob, message: MessageEntity): Promise<boolean> {
    return this.ctx.db.transaction(async (manager) => {
      const row = await lockCase(manager, job.caseId);
      if (!row || isTerminal(row.status)) {
        await manager.update(
          MessageEntity,
          { id: message.id },
          { status: 'failed', deliveryStatus: 'not sent: case finished' },
        );
        await claimJobKey(manager, job.key, job.caseId);
        return false;
      }
      await manager.increment(MessageEntity, { id: message.id }, 'sendAttempts', 1);
      if (message.sendAttempts > 0) {
        this.observer.possibleDuplicateSend?.(job.caseId, job.key);
        this.ctx.logger.warn(
          { caseId: job.caseId, sendKey: job.key },
          'resending a message whose earlier attempt may have gone out',
        );
      }
      return true;
    });
  }

  private async evaluate(job: EvaluateJob): Promise<void> {
    const row = await this.ctx.db.getRepository(CaseEntity).findOneBy({ id: job.caseId });
    if (!row || (row.status !== 'RUNNING' && row.status !== 'INPUT_NEEDED')) return this.skip(job);
    const evaluation = await this.agent.evaluate(buildAgentContext(row, await this.thread(job.caseId)));
    await this.apply(job, { type: 'REPLY_EVALUATED', evaluation });
  }

  private async skip(job: CaseJob): Promise<void> {
    await this.ctx.db.transaction((manager) => claimJobKey(manager, job.key, job.caseId));
  }

  private thread(caseId: string): Promise<MessageEntity[]> {
    return this.ctx.db.getRepository(MessageEntity).find({ where: { caseId }, order: { createdAt: 'ASC' } });
  }
}
