// The worker's plain steps (a case was created, a follow-up fell due, a reply or an answer arrived, a delivery
// failed) for several cases at once, because on the hot path a round trip costs more than the SQL in it.
//
// The cases are read without a lock, and each step is decided from that read. A mail a step asks for is composed
// then, outside any transaction (a model call must never run under a case's lock). The writes of the whole batch
// then go in one round trip that succeeds only if no case's version moved since the read and no step was applied
// before (TransitionWrites.flushInOneTrip). Otherwise (a case changed, a redelivery, a write that needs a
// transaction) the batch goes the careful way: lock the cases, decide again, and use a composed mail only if its
// case is still as read. A transport that only records mail (MAIL_TRANSPORT=local) has sent the mail when it is
// recorded, and the case moves on in the same write; any other transport sends it right after, its queued job
// standing by as the safety net.
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { Agent } from '../agent/agent.types';
import type { CaseEvent } from '../domain/case.events';
import { decide } from '../domain/case.machine';
import type { CaseJob } from '../jobs/job.catalog';
import type { MailTransport, SendResult } from '../mail/mail.types';
import { CaseEntity, MessageEntity } from '../persistence/entities';
import { buildAgentContext } from './agent-context';
import { DuplicateSteps, TransitionWrites, type QueuedSend, type SendJob } from './case-effects';
import { lockCases, toState } from './case-store';
import { recordTransition, type AppliedTransition, type TransitionContext } from './case-transition';
import { pendingMessage, toOutboundMail } from './outbox';
import type { ServiceContext } from './service-context';
import type { WorkerObserver } from './case-worker';

export type StepJob = Exclude<CaseJob, { type: 'SEND_MESSAGE' | 'EVALUATE_REPLY' }>;

export const isStepJob = (job: CaseJob): job is StepJob => job.type !== 'SEND_MESSAGE' && job.type !== 'EVALUATE_REPLY';

/** A mail composed ahead of a step, for the case as it was read. */
interface Composed {
  seenVersion: number;
  seq: number;
  purpose: SendJob['purpose'];
  replyBody: string | null;
  message: MessageEntity;
  /** Set when the transport only records mail: the "send" is done, its ids are these. */
  sent: SendResult | null;
}

type Note =
  | { caseId: string; from: string; to: string; type: string | null }
  | { caseId: string; refused: string }
  | { caseId: string; mailSent: true };

/** What one pass over a batch decided: its writes, the sends left to run, and what to report once it holds. */
interface Pass {
  writes: TransitionWrites;
  sends: QueuedSend[];
  notes: Note[];
}

export class CaseSteps {
  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    private readonly agent: Agent,
    private readonly transport: MailTransport,
    private readonly observer: WorkerObserver = {},
  ) {}

  /** Applies the steps (of distinct cases) together; returns the sends left to run after them. */
  async apply(jobs: StepJob[]): Promise<QueuedSend[]> {
    const events = await this.events(jobs);
    const { rows, threads } = await this.read(jobs.map((j) => j.caseId));
    const composed = await this.composeAhead(jobs, events, rows, threads);
    const asRead = this.decide(jobs, events, new Map([...rows].map(([id, row]) => [id, copy(row)])), composed);
    if (asRead.writes.fitsOneTrip) {
      try {
        await asRead.writes.flushInOneTrip(this.ctx, this.ctx.db);
        return this.done(asRead, jobs);
      } catch (error) {
        this.ctx.logger.debug({ err: error }, 'steps as read did not hold; locking the cases');
      }
    }
    try {
      return await this.applyLocked(jobs, events, composed);
    } catch (error) {
      if (!(error instanceof DuplicateSteps)) throw error;
      // Redeliveries of steps already applied: they are done; the others go again without them.
      const rest = jobs.filter((job) => !error.keys.includes(job.key));
      return rest.length ? await this.applyLocked(rest, events, composed) : [];
    }
  }

  private async applyLocked(
    jobs: StepJob[],
    events: Map<StepJob, CaseEvent>,
    composed: Map<string, Composed>,
  ): Promise<QueuedSend[]> {
    const pass = await this.ctx.db.transaction(async (manager) => {
      const locked = await lockCases(
        manager,
        jobs.map((j) => j.caseId),
      );
      const decided = this.decide(jobs, events, new Map(locked.map((row) => [row.id, row])), composed);
      await decided.writes.flush(this.ctx, manager);
      return decided;
    });
    return this.done(pass, jobs);
  }

  /** Decides every step against `rows`, changing them, and records the writes (nothing is written yet). */
  private decide(
    jobs: StepJob[],
    events: Map<StepJob, CaseEvent>,
    rows: Map<string, CaseEntity>,
    composed: Map<string, Composed>,
  ): Pass {
    const now = this.ctx.clock();
    const pass: Pass = { writes: new TransitionWrites(), sends: [], notes: [] };
    const { writes } = pass;
    for (const job of jobs) {
      const row = rows.get(job.caseId);
      // A missing case has nothing to change; the claim still marks the step done.
      writes.claim(job.key, row ? row.id : null);
      if (!row) continue;
      const composedFor = composed.get(job.caseId);
      const ahead = composedFor?.seenVersion === row.version ? composedFor : null;
      const sentNow: Composed[] = [];
      const takeSend = (send: SendJob): boolean => {
        if (!ahead || !sameSend(ahead, send)) return false;
        writes.recordMessage(ahead.sent ? asSent(ahead.message, ahead.sent, now) : ahead.message);
        if (!ahead.sent) return false; // queued as well: the send runs after the write, its job standing by
        sentNow.push(ahead);
        return true;
      };
      const from = row.status;
      const step = recordTransition(this.ctx, writes, row, events.get(job)!, job.key, now, undefined, takeSend);
      pass.notes.push(noteOf(row, from, step));
      pass.sends.push(...step.sends);
      for (const mail of sentNow) {
        if (!row.threadRef && mail.sent?.threadId) row.threadRef = mail.sent.threadId;
        const before = row.status;
        const sent = recordTransition(this.ctx, writes, row, sentEvent(mail), mail.message.sendKey!, now);
        pass.notes.push(noteOf(row, before, sent), { caseId: row.id, mailSent: true });
        pass.sends.push(...sent.sends);
      }
    }
    return pass;
  }

  /** Reports a pass that was written and wakes the feed. */
  private done(pass: Pass, jobs: StepJob[]): QueuedSend[] {
    for (const note of pass.notes) {
      if ('mailSent' in note) this.observer.mailSent?.(this.transport.name);
      else if ('refused' in note) {
        this.observer.refused?.(note.caseId, note.refused);
        const jobKey = jobs.find((j) => j.caseId === note.caseId)?.key;
        this.ctx.logger.info({ caseId: note.caseId, jobKey, reason: note.refused }, 'event refused');
      } else this.observer.transition?.(note.caseId, note.from, note.to, note.type);
    }
    this.ctx.changes.changed();
    return pass.sends;
  }

  private async events(jobs: StepJob[]): Promise<Map<StepJob, CaseEvent>> {
    const dueIds = jobs.filter((j) => j.type === 'FOLLOW_UP_DUE').map((j) => j.caseId);
    const pending = dueIds.length ? await this.repliesPending(dueIds) : new Set<string>();
    return new Map(jobs.map((job) => [job, eventOf(job, pending.has(job.caseId))]));
  }

  /**
   * Cases with a stored inbound message whose REPLY_RECEIVED job has not been applied yet (it may be queued behind
   * the follow-up). The key is the one inbound.service.ts gives that job.
   */
  private async repliesPending(caseIds: string[]): Promise<Set<string>> {
    const rows: { case_id: string }[] = await this.ctx.db.query(
      `SELECT DISTINCT m.case_id FROM messages m WHERE m.case_id = ANY($1::uuid[]) AND m.direction = 'inbound'
          AND NOT EXISTS (SELECT 1 FROM processed_jobs p WHERE p.key = m.case_id::text || ':reply:' || m.id::text)`,
      [caseIds],
    );
    return new Set(rows.map((r) => r.case_id));
  }

  /** The cases and their threads, read side by side (the threads serve the steps that turn out to ask for mail). */
  private async read(caseIds: string[]) {
    const [rows, messages] = await Promise.all([
      this.ctx.db.getRepository(CaseEntity).findBy({ id: In(caseIds) }),
      this.ctx.db.getRepository(MessageEntity).find({ where: { caseId: In(caseIds) }, order: { createdAt: 'ASC' } }),
    ]);
    const threads = new Map<string, MessageEntity[]>();
    for (const m of messages) threads.set(m.caseId, [...(threads.get(m.caseId) ?? []), m]);
    return { rows: new Map(rows.map((row) => [row.id, row])), threads };
  }

  /** Composes the mail each step asks for, given its case as read. */
  private async composeAhead(
    jobs: StepJob[],
    events: Map<StepJob, CaseEvent>,
    rows: Map<string, CaseEntity>,
    threads: Map<string, MessageEntity[]>,
  ): Promise<Map<string, Composed>> {
    const now = this.ctx.clock();
    const context = { now, timeScale: this.ctx.config.OFFLOAD_TIME_SCALE, newId: randomUUID };
    const composed = await Promise.all(
      jobs.map(async (job): Promise<[string, Composed] | null> => {
        const row = rows.get(job.caseId);
        const decided = row && decide(toState(row), events.get(job)!, context);
        const send = decided?.ok ? decided.effects.find((e) => e.type === 'SEND_MESSAGE') : undefined;
        if (!row || !decided?.ok || !send) return null;
        const thread = threads.get(row.id) ?? [];
        const { purpose, replyBody } = send;
        const mail = await this.agent.compose({ purpose, context: buildAgentContext(row, thread), replyBody });
        const seq = decided.next.attemptCount + 1;
        // The key recordEffects gives this send (see case-effects.ts).
        const sendKey = `${job.key}:send:${seq}`;
        const domain = this.ctx.config.MAIL_DOMAIN;
        const message = pendingMessage({ row, thread, sendKey, purpose, composed: mail, domain, now });
        // Only computes ids: nothing leaves a transport that only records.
        const sent = this.transport.recordsOnly
          ? await this.transport.send(toOutboundMail(row, message, thread))
          : null;
        return [row.id, { seenVersion: row.version, seq, purpose, replyBody: replyBody ?? null, message, sent }];
      }),
    );
    return new Map(composed.filter((entry) => entry !== null));
  }
}

export function eventOf(job: StepJob, replyPending: boolean): CaseEvent {
  switch (job.type) {
    case 'CASE_CREATED':
      return { type: 'CASE_CREATED' };
    case 'FOLLOW_UP_DUE':
      return { type: 'FOLLOW_UP_DUE', scheduledFor: new Date(job.scheduledFor), replyPending };
    case 'REPLY_RECEIVED':
      return { type: 'REPLY_RECEIVED', messageId: job.messageId };
    case 'INPUT_PROVIDED':
      return { type: 'INPUT_PROVIDED', inputRequestId: job.inputRequestId };
    case 'DELIVERY_FAILED':
      return { type: 'DELIVERY_FAILED', kind: job.kind, reason: job.reason };
    default: {
      const unreachable: never = job;
      throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
    }
  }
}

const copy = (row: CaseEntity): CaseEntity => Object.assign(new CaseEntity(), row);

const sentEvent = (mail: Composed): CaseEvent => ({ type: 'MESSAGE_SENT', purpose: mail.purpose });

const noteOf = (row: CaseEntity, from: string, step: AppliedTransition): Note =>
  step.ok
    ? { caseId: row.id, from, to: row.status, type: step.timelineType }
    : { caseId: row.id, refused: step.reason };

const sameSend = (ahead: Composed, send: SendJob): boolean =>
  ahead.seq === send.seq && ahead.purpose === send.purpose && ahead.replyBody === (send.replyBody ?? null);

const asSent = (message: MessageEntity, sent: SendResult, at: Date): MessageEntity =>
  Object.assign(new MessageEntity(), message, {
    status: 'sent',
    sendAttempts: 1,
    sentAt: at,
    providerMessageId: sent.providerMessageId,
    providerThreadId: sent.threadId ?? null,
  });
