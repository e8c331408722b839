// Handles case jobs: I/O (model, mail) outside any transaction, then one transaction that applies the result
// through the state machine and claims the job's key. A redelivered job finds its key claimed and does nothing.
// Plain steps of a fetched batch share one transaction (case-step.service.ts). A step that asks for a send runs
// that send itself right after its commit (the case's next job could not start before this one ends anyway, as jobs
// of a case run one at a time); the SEND_MESSAGE job it queued in the same transaction stays as the safety net and
// is deleted by the transaction that claims the send's key.
import type { Agent } from '../../agent/agent.types';
import { providerAttachmentBytes } from '../../mail/agentmail-attachment.client';
import type { CaseEvent } from '../../domain/case-event.types';
import type { CaseJob, EvaluateJob } from '../../jobs/job.catalog';
import type { CaseJobHandler } from '../../jobs/job-handler.registry';
import type { MailTransport } from '../../mail/mail.types';
import { AttachmentsRepository } from '../../persistence/attachments.repository';
import type { CaseEntity } from '../../persistence/entities';
import { findCase, lockCase } from '../../persistence/cases.repository';
import { loadThread } from '../../persistence/messages.repository';
import { claimJobKey, isJobKeyClaimed } from '../../persistence/processed-jobs.repository';
import type { Tx } from '../../persistence/transaction.types';
import { buildAgentContext } from './agent-context.mapper';
import { AttachmentContextLoader } from './attachment-context.service';
import type { QueuedSend } from '../transitions/transition.writer';
import { CaseSteps, isStepJob, type StepJob } from './case-step.service';
import { CaseSender, type ApplyEvent, type BeforeEvent } from './case-send.service';
import { applyTransition, DuplicateStep } from '../transitions/transition.service';
import { sweepDueCases } from '../sweep/sweep.service';
import { CaseErasureService } from '../cases/case-erasure.service';
import type { WorkerContext } from './mail-outbox.service';
import type { WorkerObserver } from './worker-observer.types';
import { ModelSlots } from './model-slots.service';
import { queueDueFollowUps } from './follow-up-poll.service';
import { deleteSpentDrafts } from '../../persistence/composed-drafts.repository';

/** A draft no send came back for in this long belongs to a send that will never run (its case moved on). */
const DRAFT_MAX_AGE_DAYS = 7;

export type { WorkerObserver };

export class CaseWorker implements CaseJobHandler {
  private readonly sender: CaseSender;
  private readonly steps: CaseSteps;
  private readonly attachments: AttachmentContextLoader;
  private readonly erasure: CaseErasureService;
  private readonly slots: ModelSlots;
  private readonly agent: Agent;
  readonly batches: boolean;

  constructor(
    private readonly ctx: WorkerContext,
    agent: Agent,
    transport: MailTransport,
    private readonly observer: WorkerObserver = {},
  ) {
    this.slots = new ModelSlots(ctx.config.MODEL_MAX_CONCURRENCY);
    // The rules agent answers at once and costs nothing: its jobs share transactions in batches, and its mails
    // need no draft kept against a retry.
    this.batches = agent.name === 'rules';
    this.agent = agent = this.slots.wrap(agent);
    const apply: ApplyEvent = (job, event, before, base) => this.apply(job, event, before, base);
    this.sender = new CaseSender(ctx, agent, transport, apply, observer, !this.batches);
    this.steps = new CaseSteps(ctx, agent, transport, observer, !this.batches);
    this.erasure = new CaseErasureService(ctx);
    const repository = new AttachmentsRepository(ctx.db);
    this.attachments = new AttachmentContextLoader(repository, providerAttachmentBytes(transport), ctx.logger);
  }

  get modelWaits(): number {
    return this.slots.waiting;
  }

  onModelWait(listener: () => void): void {
    this.slots.onWait(listener);
  }

  async handle(job: CaseJob): Promise<void> {
    try {
      await this.runSends(await this.step(job));
    } catch (error) {
      if (error instanceof DuplicateStep) return;
      throw error;
    }
  }

  /**
   * Handles several jobs at once; the result for each job is null or why it failed. The plain steps of distinct
   * cases go through one transaction; if that fails, each goes again alone so a failure is only its own job's.
   * The fetch loop hands jobs over one by one (a batch would wait for its slowest model call); this stays for
   * callers that hold jobs of many cases at once.
   */
  async handleBatch(jobs: CaseJob[]): Promise<(Error | null)[]> {
    const together: StepJob[] = [];
    const alone: CaseJob[] = [];
    const cases = new Set<string>();
    for (const job of jobs) {
      if (isStepJob(job) && !cases.has(job.caseId)) {
        together.push(job);
        cases.add(job.caseId);
      } else alone.push(job);
    }
    const failures = new Map<CaseJob, Error>();
    const attempt = async (run: () => Promise<void>, job: CaseJob) => {
      try {
        await run();
      } catch (error) {
        failures.set(job, error instanceof Error ? error : new Error(String(error)));
      }
    };
    const stepsTogether = async () => {
      if (together.length < 2) return Promise.all(together.map((job) => attempt(() => this.handle(job), job)));
      try {
        await this.runSends(await this.steps.apply(together));
      } catch (error) {
        this.ctx.logger.info({ err: error, jobs: together.length }, 'batch of steps failed; each goes again alone');
        await Promise.all(together.map((job) => attempt(() => this.handle(job), job)));
      }
    };
    await Promise.all([stepsTogether(), ...alone.map((job) => attempt(() => this.handle(job), job))]);
    return jobs.map((job) => failures.get(job) ?? null);
  }

  /** The follow-up-sweep queue's job (sweep.service.ts), and the retention erasure when CASE_RETENTION_DAYS is set. */
  async sweep(): Promise<number> {
    await this.erasure.eraseExpired();
    await deleteSpentDrafts(this.ctx.db.manager, this.ctx.clock(), DRAFT_MAX_AGE_DAYS);
    return sweepDueCases(this.ctx);
  }

  /** Queues the follow-ups that fell due (the worker polls this every second or so). */
  queueDue(): Promise<number> {
    return queueDueFollowUps(this.ctx);
  }

  /** One job's own step; returns the sends it queued. */
  private async step(job: CaseJob): Promise<QueuedSend[]> {
    if (isStepJob(job)) return this.steps.apply([job]);
    // Sends and evaluations call out before their transaction, so a redelivered one stops here rather than after a
    // model call.
    if (await isJobKeyClaimed(this.ctx.db.manager, job.key)) return [];
    if (job.type === 'SEND_MESSAGE') {
      await this.sender.send(job);
      return [];
    }
    return this.evaluate(job);
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
    base: Tx = this.ctx.db.manager,
  ): Promise<QueuedSend[]> {
    const sends = await base.transaction(async (manager): Promise<QueuedSend[]> => {
      const row = await lockCase(manager, job.caseId);
      if (!row) {
        await claimJobKey(manager, job.key, null);
        return [];
      }
      const instead = await before(manager, row);
      if (instead === false) return [];
      const applied = typeof instead === 'object' ? instead : event;
      const from = row.status;
      const transition = await applyTransition(this.ctx, manager, row, applied, job.key, this.ctx.clock());
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
    const row = await findCase(this.ctx.db.manager, job.caseId);
    // decide() refuses these too; checking first saves a model call whose answer would be thrown away.
    if (!row || !evaluationWanted(row)) return this.skip(job);
    const files = await this.attachments.forCase(row.id);
    const evaluation = await this.agent.evaluate(
      buildAgentContext(row, await loadThread(this.ctx.db.manager, job.caseId), files),
    );
    return this.apply(job, { type: 'REPLY_EVALUATED', evaluation });
  }

  private async skip(job: CaseJob): Promise<QueuedSend[]> {
    await this.ctx.db.transaction((manager) => claimJobKey(manager, job.key, job.caseId));
    return [];
  }
}

function evaluationWanted(row: CaseEntity): boolean {
  if (!row.awaitingEvaluation) return false;
  if (row.status === 'RUNNING') return true;
  return row.status === 'INPUT_NEEDED' && row.inputRequestStatus === 'RESOLVED';
}
