// The SEND_MESSAGE job: compose once, record the message before it leaves and after, and send it at most once per
// attempt. Two guards make "a duplicate never sends a second email" hold:
// - the case lock: a send the case no longer wants (cancelled, answered, rescheduled, its place taken) sends nothing;
// - a session advisory lock per send key held from "attempt recorded" to "outcome recorded": a copy of the job that
//   runs at the same time (a redelivery while a slow first run is still going) waits, then finds the message sent.
//   The lock dies with its connection, so a killed worker leaves nothing held.
// What remains is a crash between the transport accepting the mail and our record of it: the retry sees an attempt
// already begun and reports a possible duplicate (send_attempts > 1) instead of passing silently.
import type { Agent } from '../../agent/agent.types';
import { smsSender } from '../../config/env.config';
import type { CaseEvent } from '../../domain/case-event.types';
import { sendUnwantedReason } from '../../domain/case.machine';
import type { CaseJob, SendJob } from '../../jobs/job.catalog';
import { TerminalSendError, type MailTransport, type SendResult } from '../../mail/mail.types';
import type { CaseEntity, MessageEntity } from '../../persistence/entities';
import { findCase, lockCase } from '../../persistence/cases.repository';
import {
  countSendAttempt,
  findMessage,
  getMessage,
  loadThread,
  markFailed,
  markSent,
} from '../../persistence/messages.repository';
import { claimJobKey } from '../../persistence/processed-jobs.repository';
import { deleteDrafts } from '../../persistence/composed-drafts.repository';
import { holdingSendLock } from '../../persistence/send-lock.repository';
import { insertSuppression, isSuppressed } from '../../persistence/suppressions.repository';
import type { Tx } from '../../persistence/transaction.types';
import { buildAgentContext } from './agent-context.mapper';
import { dropQueuedSend } from '../transitions/transition.writer';
import { toState } from '../transitions/case-state.mapper';
import {
  composeOnce,
  markSentIfPending,
  recordPending,
  toOutboundMail,
  type WorkerContext,
} from './mail-outbox.service';
import type { SendObserver } from './worker-observer.types';

/**
 * Runs in the event's transaction with the case locked, before the event; false stops there (and commits), an
 * event is applied instead of the one asked for.
 */
export type BeforeEvent = (manager: Tx, row: CaseEntity) => Promise<void | false | CaseEvent>;

/** What a send that finds its address on the suppression list applies instead: the case ends, nothing leaves. */
const SUPPRESSED: CaseEvent = {
  type: 'SUPPRESSED',
  resultStatus: 'suppressed',
  reason: "The counterparty's address is on the account's suppression list",
};

/** Applies one event to the case in a transaction on `base` (the worker's apply). */
export type ApplyEvent = (job: CaseJob, event: CaseEvent, before: BeforeEvent, base: Tx) => Promise<unknown>;

/** A send run by the step that queued it: its queued job goes with the transaction that claims the key. */
export interface InlineSend {
  queuedJobId: string | null;
  /** The case as the committed step left it, which spares reloading it for the early look. */
  row?: CaseEntity;
}

export class CaseSender {
  constructor(
    private readonly ctx: WorkerContext,
    private readonly agent: Agent,
    private readonly transport: MailTransport,
    private readonly apply: ApplyEvent,
    private readonly observer: SendObserver = {},
    /** Keep a draft of each composed mail against a retry (not for an agent that costs nothing). */
    private readonly drafts = true,
  ) {}

  async send(job: SendJob, inline: InlineSend = { queuedJobId: null }): Promise<void> {
    const db = this.ctx.db.manager;
    const row = inline.row ?? (await findCase(db, job.caseId));
    const thread = row ? await loadThread(db, job.caseId) : [];
    // The thread holds this send's message if an earlier attempt recorded it.
    let message = thread.find((m) => m.sendKey === job.key) ?? null;
    // Checked again under the lock before sending; this early look saves composing a mail nobody wants.
    const unwanted = row ? sendUnwantedReason(toState(row), job.purpose, job.seq, this.ctx.clock()) : 'case gone';
    if (!row || unwanted !== null) return this.withCase(job, (manager) => this.drop(manager, job, message, inline));
    // Checked again under the lock right before the send; this look saves composing a mail that cannot go.
    if (await isSuppressed(db, row.accountId, row.counterparty.address))
      return this.stopSuppressed(db, job, message, inline);
    if (!message) {
      const composed = await composeOnce(db, job.key, row.id, this.drafts, () =>
        this.agent.compose({ purpose: job.purpose, context: buildAgentContext(row, thread), replyBody: job.replyBody }),
      );
      const { MAIL_DOMAIN } = this.ctx.config;
      message = await recordPending(db, {
        row,
        thread,
        sendKey: job.key,
        purpose: job.purpose,
        composed,
        domain: MAIL_DOMAIN,
        smsFrom: smsSender(this.ctx.config),
        now: this.ctx.clock(),
      });
      // The message row holds the mail now; a draft left behind goes with the sweep.
      if (this.drafts) await deleteDrafts(db, [job.key]).catch(() => {});
    }
    const recorded = message;
    // The local transport sends inside one transaction under the case lock, which already keeps copies apart.
    if (this.transport.recordsOnly) return this.deliverInOneTransaction(db, job, row, recorded, thread, inline);
    await holdingSendLock(this.ctx.db, job.key, (manager) => this.deliver(manager, job, row, recorded, thread, inline));
  }

  private async deliver(
    base: Tx,
    job: SendJob,
    row: CaseEntity,
    message: MessageEntity,
    thread: MessageEntity[],
    inline: InlineSend,
  ): Promise<void> {
    const begun = await this.beginAttempt(base, job, message.id, inline);
    if (begun === 'suppressed') return this.stopSuppressed(base, job, message, inline);
    if (!begun) return;
    let sent: SendResult;
    try {
      sent = await this.transport.send(toOutboundMail(row, message, thread, this.ctx.unsubscribeLinks));
    } catch (error) {
      if (!(error instanceof TerminalSendError)) throw error; // transient: pg-boss retries with backoff
      const failed = refusedSendEvent(error);
      await this.apply(
        job,
        failed,
        async (m, locked) => {
          await markFailed(m, message.id, error.outcome);
          if (error.outcome === 'opted_out') await suppressOptedOut(m, locked, error.message, this.ctx.clock());
          await dropQueuedSend(this.ctx, m, inline.queuedJobId);
        },
        base,
      );
      return;
    }
    this.observer.mailSent?.(this.transport.name);
    const record = this.recordSent(message.id, sent);
    const sentEvent = { type: 'MESSAGE_SENT' as const, purpose: job.purpose };
    await this.apply(
      job,
      sentEvent,
      async (m, locked) => {
        await record(m, locked);
        await dropQueuedSend(this.ctx, m, inline.queuedJobId);
      },
      base,
    );
  }

  /**
   * A transport whose "sending" is only our own record (MAIL_TRANSPORT=local) sends inside the transaction that
   * records it: a crash undoes both, so there is nothing in doubt and nothing to resend twice.
   */
  private async deliverInOneTransaction(
    base: Tx,
    job: SendJob,
    row: CaseEntity,
    message: MessageEntity,
    thread: MessageEntity[],
    inline: InlineSend,
  ): Promise<void> {
    const event = { type: 'MESSAGE_SENT' as const, purpose: job.purpose };
    await this.apply(
      job,
      event,
      async (manager, locked) => {
        const unwanted = sendUnwantedReason(toState(locked), job.purpose, job.seq, this.ctx.clock());
        if (unwanted !== null) {
          const current = await getMessage(manager, message.id);
          if (current.status !== 'pending') return false;
          await this.supersede(manager, job, current, unwanted, inline);
          return false;
        }
        if (await isSuppressed(manager, locked.accountId, locked.counterparty.address)) {
          await markUnsent(manager, message.id);
          await dropQueuedSend(this.ctx, manager, inline.queuedJobId);
          return SUPPRESSED;
        }
        // This "send" only computes its ids; the record below is the send, and it happens once: a copy that got
        // here first left the message no longer pending.
        const sent = await this.transport.send(toOutboundMail(row, message, thread, this.ctx.unsubscribeLinks));
        if (!(await markSentIfPending(manager, message.id, sent, this.ctx.clock()))) return false;
        this.observer.mailSent?.(this.transport.name);
        if (!locked.threadRef && sent.threadId) locked.threadRef = sent.threadId;
        await dropQueuedSend(this.ctx, manager, inline.queuedJobId);
      },
      base,
    );
  }

  private recordSent(messageId: string, sent: SendResult) {
    return async (manager: Tx, locked: CaseEntity): Promise<void> => {
      await markSent(manager, messageId, this.ctx.clock(), {
        providerMessageId: sent.providerMessageId,
        providerThreadId: sent.threadId ?? null,
      });
      if (!locked.threadRef && sent.threadId) locked.threadRef = sent.threadId;
    };
  }

  /**
   * Ends the case (resultStatus `suppressed`) instead of sending: the send's key goes with that transition, its
   * recorded message (if any) is marked not sent.
   */
  private async stopSuppressed(base: Tx, job: SendJob, message: MessageEntity | null, inline: InlineSend) {
    this.observer.refused?.(job.caseId, `SEND_MESSAGE(${job.purpose}) ${job.seq}: address suppressed`);
    await this.apply(
      job,
      SUPPRESSED,
      async (manager) => {
        if (message) await markUnsent(manager, message.id);
        await dropQueuedSend(this.ctx, manager, inline.queuedJobId);
      },
      base,
    );
  }

  /**
   * Records the attempt under the case lock, or gives the send up if the case no longer wants it; 'suppressed'
   * when the address is on the suppression list (the caller ends the case instead).
   */
  private async beginAttempt(
    base: Tx,
    job: SendJob,
    messageId: string,
    inline: InlineSend,
  ): Promise<boolean | 'suppressed'> {
    const begun = await base.transaction(async (manager) => {
      const message = await getMessage(manager, messageId);
      // A copy of this job finished while we waited for the send lock: its outcome is recorded, nothing to do.
      if (message.status !== 'pending') return false;
      const row = await lockCase(manager, job.caseId);
      const unwanted = row ? sendUnwantedReason(toState(row), job.purpose, job.seq, this.ctx.clock()) : 'case gone';
      if (unwanted !== null) {
        await this.supersede(manager, job, message, unwanted, inline);
        return false;
      }
      if (await isSuppressed(manager, row!.accountId, row!.counterparty.address)) return 'suppressed' as const;
      await countSendAttempt(manager, message.id);
      if (message.sendAttempts > 0)
        this.reportDoubt(job, 'resending a message whose earlier attempt may have gone out');
      return true;
    });
    if (begun === false) this.ctx.changes.changed();
    return begun;
  }

  private async drop(manager: Tx, job: SendJob, message: MessageEntity | null, inline: InlineSend): Promise<void> {
    const row = await lockCase(manager, job.caseId);
    const unwanted = row ? sendUnwantedReason(toState(row), job.purpose, job.seq, this.ctx.clock()) : 'case gone';
    // Nothing makes a stale send wanted again; if it ever did, the retry sends it.
    if (unwanted === null) throw new Error(`send ${job.key} became wanted again; retrying`);
    const current = message && (await findMessage(manager, message.id));
    await this.supersede(manager, job, current ?? null, unwanted, inline);
  }

  /** Gives up a send: its recorded message (if any) is marked with why, and the job's key is claimed. */
  private async supersede(manager: Tx, job: SendJob, message: MessageEntity | null, why: string, inline: InlineSend) {
    if (message?.status === 'pending') {
      // An attempt that began but never recorded its outcome may have gone out: say so rather than guess.
      const inDoubt = message.sendAttempts > 0;
      const status = inDoubt ? `not resent (may have been sent): ${why}` : `not sent: ${why}`;
      await markFailed(manager, message.id, status);
      if (inDoubt) this.reportDoubt(job, 'a send in doubt is no longer wanted');
    }
    this.observer.refused?.(job.caseId, `SEND_MESSAGE(${job.purpose}) ${job.seq}: ${why}`);
    this.ctx.logger.info({ caseId: job.caseId, sendKey: job.key, why }, 'send no longer wanted');
    if (await claimJobKey(manager, job.key, job.caseId)) await dropQueuedSend(this.ctx, manager, inline.queuedJobId);
  }

  private reportDoubt(job: SendJob, what: string): void {
    this.observer.possibleDuplicateSend?.(job.caseId, job.key);
    this.ctx.logger.warn({ caseId: job.caseId, sendKey: job.key }, what);
  }

  private async withCase(job: SendJob, work: (manager: Tx) => Promise<void>): Promise<void> {
    await this.ctx.db.transaction(work);
    this.ctx.changes.changed();
  }
}

/** The provider's refusal as the case sees it: REJECTED, BOUNCED, or (Twilio 21610) FAILED opted_out. */
function refusedSendEvent(error: TerminalSendError): CaseEvent {
  if (error.outcome === 'bounced') return { type: 'DELIVERY_FAILED', kind: 'BOUNCED', reason: error.message };
  if (error.outcome === 'opted_out') return { type: 'SUPPRESSED', resultStatus: 'optedOut', reason: error.message };
  return { type: 'SEND_FAILED', reason: error.message };
}

/** The recipient unsubscribed from our number at the provider: no other case of the account texts them either. */
async function suppressOptedOut(manager: Tx, row: CaseEntity, reason: string, now: Date): Promise<void> {
  await insertSuppression(manager, {
    accountId: row.accountId,
    address: row.counterparty.address.toLowerCase(),
    source: 'sms_stop',
    reason,
    caseId: row.id,
    createdAt: now,
  });
}

/** A pending message that will not go (its address is suppressed) says so; one already sent keeps its record. */
async function markUnsent(manager: Tx, messageId: string): Promise<void> {
  const current = await findMessage(manager, messageId);
  if (current?.status === 'pending') await markFailed(manager, messageId, 'not sent: address suppressed');
}
