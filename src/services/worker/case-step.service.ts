// The worker's plain steps (a case was created, a follow-up fell due, a reply or an answer arrived, a delivery
// failed) for several cases at once: one read, one transaction and one statement per table for the whole batch, so
// the fixed costs of a statement (round trip, parse and plan, commit) are paid once per batch instead of per case.
//
// A step that asks for a mail gets it composed before its transaction, from an unlocked read (a model call must
// never run under a case's lock). Under the lock the step is decided again; if it asks for the same mail of a case
// in the same state, the composed message is recorded in the step's own transaction. A transport that only
// records mail (MAIL_TRANSPORT=local) has then sent it, and the case moves on in that same transaction; any other
// transport sends it right after the commit, its queued job standing by as the safety net. A step whose case
// changed in between queues its send as before, and the send composes then.
import { randomUUID } from 'node:crypto';
import type { Agent, ComposedMessage } from '../../agent/agent.types';
import type { CaseEvent } from '../../domain/case-event.types';
import { decide } from '../../domain/case.machine';
import { caseJobs, REPLY_KEY_PATTERN, type CaseJob, type SendJob } from '../../jobs/job.catalog';
import type { MailTransport, SendResult } from '../../mail/mail.types';
import { MessageEntity, type CaseEntity } from '../../persistence/entities';
import { findCases, lockCases } from '../../persistence/cases.repository';
import { loadThreads } from '../../persistence/messages.repository';
import { casesWithUnappliedReplies } from '../../persistence/processed-jobs.repository';
import { suppressedAmong } from '../../persistence/suppressions.repository';
import { buildAgentContext } from './agent-context.mapper';
import { DuplicateSteps, TransitionWrites, type QueuedSend } from '../transitions/transition.writer';
import { toState } from '../transitions/case-state.mapper';
import { recordTransition, type AppliedTransition } from '../transitions/transition.service';
import { composeOnce, pendingMessage, toOutboundMail, type WorkerContext } from './mail-outbox.service';
import { deleteDrafts } from '../../persistence/composed-drafts.repository';
import { smsSender } from '../../config/env.config';
import type { WorkerObserver } from './worker-observer.types';

export type StepJob = Exclude<CaseJob, { type: 'SEND_MESSAGE' | 'EVALUATE_REPLY' }>;

export const isStepJob = (job: CaseJob): job is StepJob => job.type !== 'SEND_MESSAGE' && job.type !== 'EVALUATE_REPLY';

/** A mail composed ahead of a step, for the case as it was read. */
interface Composed {
  seenAt: CaseEntity;
  seq: number;
  purpose: SendJob['purpose'];
  replyBody: string | null;
  message: MessageEntity;
  /** Set when the transport only records mail: the "send" is done, its ids are these. */
  sent: SendResult | null;
}

type Note = { caseId: string; from: string; to: string; type: string | null } | { caseId: string; refused: string };

export class CaseSteps {
  constructor(
    private readonly ctx: WorkerContext,
    private readonly agent: Agent,
    private readonly transport: MailTransport,
    private readonly observer: WorkerObserver = {},
    /** Keep a draft of each composed mail against a retry (not for an agent that costs nothing). */
    private readonly drafts = true,
  ) {}

  /** Applies the steps (of distinct cases) in one transaction; returns the sends left to run after it. */
  async apply(jobs: StepJob[]): Promise<QueuedSend[]> {
    const events = await this.events(jobs);
    const composed = await this.composeAhead(jobs, events);
    try {
      return await this.applyComposed(jobs, events, composed);
    } catch (error) {
      if (!(error instanceof DuplicateSteps)) throw error;
      // Redeliveries of steps already applied: they are done; the others go again without them.
      const rest = jobs.filter((job) => !error.keys.includes(job.key));
      return rest.length ? await this.applyComposed(rest, events, composed) : [];
    }
  }

  private async applyComposed(
    jobs: StepJob[],
    events: Map<StepJob, CaseEvent>,
    composed: Map<string, Composed>,
  ): Promise<QueuedSend[]> {
    const notes: Note[] = [];
    const recorded: string[] = [];
    const sends = await this.ctx.db.transaction(async (manager) => {
      recorded.length = 0;
      const now = this.ctx.clock();
      const locked = await lockCases(
        manager,
        jobs.map((j) => j.caseId),
      );
      const rows = new Map(locked.map((row) => [row.id, row]));
      // A mail composed ahead to an address that is now suppressed is not taken: its send runs as a job, and the
      // send path ends the case instead of sending.
      const suppressed = await suppressedAmong(
        manager,
        locked.map((row) => ({ accountId: row.accountId, address: row.counterparty.address })),
      );
      const writes = new TransitionWrites();
      const queued: QueuedSend[] = [];
      for (const job of jobs) {
        const row = rows.get(job.caseId);
        writes.claim(job.key, row ? row.id : null);
        if (!row) continue;
        const composedFor = composed.get(job.caseId);
        const ahead = composedFor && sameCase(composedFor.seenAt, row) ? composedFor : null;
        const sentNow: Composed[] = [];
        const takeSend = (send: SendJob): boolean => {
          if (!ahead || !sameSend(ahead, send)) return false;
          if (suppressed.has(`${row.accountId} ${row.counterparty.address.toLowerCase()}`)) return false;
          writes.recordMessage(ahead.sent ? asSent(ahead.message, ahead.sent, now) : ahead.message);
          recorded.push(ahead.message.sendKey!);
          if (!ahead.sent) return false; // queued as well: the send runs after the commit, its job standing by
          sentNow.push(ahead);
          return true;
        };
        const from = row.status;
        const step = recordTransition(this.ctx, writes, row, events.get(job)!, job.key, now, undefined, takeSend);
        notes.push(noteOf(row, from, step));
        queued.push(...step.sends);
        for (const mail of sentNow) queued.push(...this.messageSent(writes, row, mail, now, notes));
      }
      await writes.flush(this.ctx, manager);
      return queued;
    });
    // The mails recorded in that transaction no longer need their drafts; one left behind goes with the sweep.
    if (this.drafts) await deleteDrafts(this.ctx.db.manager, recorded).catch(() => {});
    this.report(notes, jobs);
    this.ctx.changes.changed();
    return sends;
  }

  /** The mail a recording-only transport "sent" inside the step moves the case on in the same transaction. */
  private messageSent(
    writes: TransitionWrites,
    row: CaseEntity,
    mail: Composed,
    now: Date,
    notes: Note[],
  ): QueuedSend[] {
    this.observer.mailSent?.(this.transport.name);
    if (!row.threadRef && mail.sent?.threadId) row.threadRef = mail.sent.threadId;
    const from = row.status;
    const event: CaseEvent = { type: 'MESSAGE_SENT', purpose: mail.purpose };
    const sent = recordTransition(this.ctx, writes, row, event, mail.message.sendKey!, now);
    notes.push(noteOf(row, from, sent));
    return sent.sends;
  }

  private report(notes: Note[], jobs: StepJob[]): void {
    for (const note of notes) {
      if ('refused' in note) {
        this.observer.refused?.(note.caseId, note.refused);
        const jobKey = jobs.find((j) => j.caseId === note.caseId)?.key;
        this.ctx.logger.info({ caseId: note.caseId, jobKey, reason: note.refused }, 'event refused');
      } else this.observer.transition?.(note.caseId, note.from, note.to, note.type);
    }
  }

  private async events(jobs: StepJob[]): Promise<Map<StepJob, CaseEvent>> {
    const dueIds = jobs.filter((j) => j.type === 'FOLLOW_UP_DUE').map((j) => j.caseId);
    const pending = dueIds.length ? await this.repliesPending(dueIds) : new Set<string>();
    return new Map(jobs.map((job) => [job, eventOf(job, pending.has(job.caseId))]));
  }

  /** Cases with a stored inbound message whose REPLY_RECEIVED job has not been applied yet (see the repository). */
  private repliesPending(caseIds: string[]): Promise<Set<string>> {
    return casesWithUnappliedReplies(this.ctx.db.manager, caseIds, REPLY_KEY_PATTERN);
  }

  /** Composes, outside any transaction, the mail each step would ask for if its case stays as read now. */
  private async composeAhead(jobs: StepJob[], events: Map<StepJob, CaseEvent>): Promise<Map<string, Composed>> {
    const caseIds = jobs.map((j) => j.caseId);
    // Read side by side: the threads are only needed for the steps that turn out to ask for a mail.
    const [rows, threads] = await Promise.all([
      findCases(this.ctx.db.manager, caseIds),
      loadThreads(this.ctx.db.manager, caseIds).then(conversations),
    ]);
    const now = this.ctx.clock();
    const wanted = rows.flatMap((row) => {
      const job = jobs.find((j) => j.caseId === row.id)!;
      const decided = decide(toState(row), events.get(job)!, {
        now,
        timeScale: this.ctx.config.OFFLOAD_TIME_SCALE,
        newId: randomUUID,
      });
      if (!decided.ok) return [];
      const send = decided.effects.find((e) => e.type === 'SEND_MESSAGE');
      return send
        ? [{ row, job, seq: decided.next.attemptCount + 1, purpose: send.purpose, replyBody: send.replyBody }]
        : [];
    });
    if (!wanted.length) return new Map();
    const composed = await Promise.all(
      wanted.map(async ({ row, job, seq, purpose, replyBody }): Promise<[string, Composed]> => {
        const thread = threads.get(row.id) ?? [];
        // The key recordEffects gives this send.
        const sendKey = caseJobs.send(job.key, { caseId: row.id, seq, purpose, replyBody: replyBody ?? null }).key;
        const mail: ComposedMessage = await composeOnce(this.ctx.db.manager, sendKey, row.id, this.drafts, () =>
          this.agent.compose({ purpose, context: buildAgentContext(row, thread), replyBody }),
        );
        const from = { domain: this.ctx.config.MAIL_DOMAIN, smsFrom: smsSender(this.ctx.config) };
        const message = pendingMessage({ row, thread, sendKey, purpose, composed: mail, ...from, now });
        // Only computes ids: nothing leaves a transport that only records.
        const sent = this.transport.recordsOnly
          ? await this.transport.send(toOutboundMail(row, message, thread, this.ctx.unsubscribeLinks))
          : null;
        return [row.id, { seenAt: row, seq, purpose, replyBody: replyBody ?? null, message, sent }];
      }),
    );
    return new Map(composed);
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
    case 'AUTO_REPLY_RECEIVED':
      return {
        type: 'AUTO_REPLY_RECEIVED',
        messageId: job.messageId,
        returnDate: job.returnDate ? new Date(job.returnDate) : null,
      };
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

/** What a transition of `row` (from `from`) is reported as once its transaction commits. */
const noteOf = (row: CaseEntity, from: string, transition: AppliedTransition): Note =>
  transition.ok
    ? { caseId: row.id, from, to: row.status, type: transition.timelineType }
    : { caseId: row.id, refused: transition.reason };

/** Nothing changed the case between the read the mail was composed from and the lock. */
const sameCase = (seen: CaseEntity, locked: CaseEntity): boolean =>
  seen.updatedAt.getTime() === locked.updatedAt.getTime() &&
  seen.status === locked.status &&
  seen.attemptCount === locked.attemptCount;

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

/**
 * The threads as conversations with the counterparty: a stranger's mail is no part of one, so it is never read by
 * the agent, replied to or threaded under (sender.policy.ts).
 */
function conversations(threads: Map<string, MessageEntity[]>): Map<string, MessageEntity[]> {
  for (const [caseId, thread] of threads)
    threads.set(
      caseId,
      thread.filter((m) => m.direction !== 'inbound' || m.senderVerified !== false),
    );
  return threads;
}
