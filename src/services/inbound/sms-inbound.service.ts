// Texts and status callbacks from the SMS transport. A text belongs to the one open SMS case of its number (SPEC §13:
// a conversation is the pair (our number, their number), and the database keeps one open case per pair); a text from
// a number with no open case is logged and dropped. STOP words end the case (FAILED, opted_out) and suppress the
// number; START lifts that. Every event is applied once per Twilio id (provider_events), whatever Twilio redelivers.
import { randomUUID } from 'node:crypto';
import type { CaseEvent } from '../../domain/case-event.types';
import { isTerminal } from '../../domain/case.model';
import { unsubscribeKey } from '../../jobs/job.catalog';
import type { InboundMail } from '../../mail/mail.types';
import { twilioErrorVerdict } from '../../mail/twilio-error.policy';
import { accountsTextingNumber, findOpenSmsCase, lockCase } from '../../persistence/cases.repository';
import type { CaseEntity } from '../../persistence/entities';
import { findOutbound, insertInbound, setDeliveryStatus } from '../../persistence/messages.repository';
import { claimProviderEvent } from '../../persistence/provider-events.repository';
import { deleteSmsStops, insertSuppression } from '../../persistence/suppressions.repository';
import type { Tx } from '../../persistence/transaction.types';
import { applyTransition, DuplicateStep, type TransitionContext } from '../transitions/transition.service';
import type { ServiceContext } from '../service.context';
import type { InboundService } from './inbound.service';
import { smsKeyword } from './sms-keyword.policy';

/** A text someone sent to our number. */
export interface SmsText {
  /** Twilio's MessageSid: the text's identity, for processing it once. */
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
}

/** One status callback of a message we sent. */
export interface SmsStatusUpdate {
  providerMessageId: string;
  status: string;
  errorCode: number | null;
  errorMessage: string | null;
}

export type SmsTextOutcome = 'stored' | 'duplicate' | 'dropped' | 'opted_out' | 'opted_in';

export class SmsInboundService {
  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    private readonly inbound: InboundService,
  ) {}

  async receiveText(text: SmsText): Promise<SmsTextOutcome> {
    const number = text.from.trim();
    const keyword = smsKeyword(text.body);
    if (keyword === 'start') return this.optIn(text, number);
    const open = await findOpenSmsCase(this.ctx.db.manager, number);
    if (keyword === 'stop') return this.optOut(text, number, open);
    if (!open) {
      this.ctx.logger.warn(
        { providerMessageId: text.providerMessageId, to: text.to },
        'text from a number with no open SMS case: dropped',
      );
      return 'dropped';
    }
    const stored = await this.inbound.store(open, this.asMail(text, number));
    return stored ? 'stored' : 'duplicate';
  }

  /** delivered marks the message; failed and undelivered end the case (BOUNCED, REJECTED or opted_out). */
  async statusUpdate(update: SmsStatusUpdate): Promise<void> {
    const { providerMessageId, status } = update;
    if (status === 'delivered') return this.inbound.delivered(providerMessageId);
    if (status !== 'failed' && status !== 'undelivered') return;
    const verdict = twilioErrorVerdict(update.errorCode, update.errorMessage);
    const eventId = `${providerMessageId}:${status}`;
    if (verdict.outcome !== 'opted_out')
      return this.inbound.deliveryFailed({
        kind: verdict.outcome === 'bounced' ? 'BOUNCED' : 'REJECTED',
        reason: verdict.reason,
        providerMessageId,
        eventId,
        eventProvider: 'twilio',
      });
    const message = await findOutbound(this.ctx.db.manager, { providerMessageId });
    if (!message) {
      this.ctx.logger.warn({ providerMessageId, status }, 'status callback matches no message we sent');
      return;
    }
    await this.once(eventId, async (manager) => {
      await setDeliveryStatus(manager, message.id, 'opted_out');
      const row = await lockCase(manager, message.caseId);
      if (row) await this.endOptedOut(manager, row, verdict.reason);
    });
  }

  private async optOut(text: SmsText, number: string, open: CaseEntity | null): Promise<SmsTextOutcome> {
    const reason = `The counterparty texted ${text.body.trim().toUpperCase()}`;
    const applied = await this.once(text.providerMessageId, async (manager) => {
      const row = open && (await lockCase(manager, open.id));
      if (row) {
        await this.storeKeyword(manager, row, text, number);
        await this.endOptedOut(manager, row, reason);
        return;
      }
      // Nothing open: the number still asked us to stop, so every account that texted it stops too.
      for (const accountId of await accountsTextingNumber(manager, number))
        await this.suppress(manager, accountId, number, reason, null);
      this.ctx.logger.info({ providerMessageId: text.providerMessageId }, 'SMS STOP from a number with no open case');
    });
    return applied ? 'opted_out' : 'duplicate';
  }

  private async optIn(text: SmsText, number: string): Promise<SmsTextOutcome> {
    const applied = await this.once(text.providerMessageId, async (manager) => {
      const lifted = await deleteSmsStops(manager, number);
      this.ctx.logger.info({ providerMessageId: text.providerMessageId, lifted }, 'SMS START: opt-out lifted');
      const open = await findOpenSmsCase(manager, number);
      if (open) await this.storeKeyword(manager, open, text, number);
    });
    return applied ? 'opted_in' : 'duplicate';
  }

  /** Suppresses the number for the case's account and ends the case, unless it has ended already. */
  private async endOptedOut(manager: Tx, row: CaseEntity, reason: string): Promise<void> {
    await this.suppress(manager, row.accountId, row.counterparty.address, reason, row.id);
    if (isTerminal(row.status)) return;
    const event: CaseEvent = { type: 'SUPPRESSED', resultStatus: 'optedOut', reason };
    await applyTransition(this.ctx, manager, row, event, unsubscribeKey(row.id), this.ctx.clock());
  }

  private async suppress(manager: Tx, accountId: string, number: string, reason: string, caseId: string | null) {
    await insertSuppression(manager, {
      accountId,
      address: number.toLowerCase(),
      source: 'sms_stop',
      reason,
      caseId,
      createdAt: this.ctx.clock(),
    });
  }

  /** A keyword is kept on the thread (the transcript shows why the case ended) and never evaluated. */
  private async storeKeyword(manager: Tx, row: CaseEntity, text: SmsText, number: string): Promise<void> {
    const mail = this.asMail(text, number);
    await insertInbound(manager, {
      id: randomUUID(),
      caseId: row.id,
      accountId: row.accountId,
      fromAddress: number,
      fromName: null,
      toAddresses: mail.recipients,
      subject: null,
      text: mail.text,
      newText: mail.newText,
      rfcMessageId: `<${text.providerMessageId}>`,
      inReplyTo: null,
      references: [],
      providerMessageId: text.providerMessageId,
      providerThreadId: null,
      inboxId: null,
      receivedAt: mail.receivedAt,
      createdAt: this.ctx.clock(),
    });
  }

  /** Runs `work` in a transaction that claims the Twilio event id; false when it was applied before. */
  private async once(eventId: string, work: (manager: Tx) => Promise<void>): Promise<boolean> {
    try {
      return await this.ctx.db.transaction(async (manager) => {
        if (!(await claimProviderEvent(manager, 'twilio', eventId))) return false;
        await work(manager);
        return true;
      });
    } catch (error) {
      // The case ended the same way a moment ago (a STOP and a 21610 callback racing): nothing more to do.
      if (error instanceof DuplicateStep) return false;
      throw error;
    } finally {
      this.ctx.changes.changed();
    }
  }

  private asMail(text: SmsText, number: string): InboundMail {
    // PostgreSQL text cannot hold NUL; a text has no use for it.
    const body = text.body.replaceAll('\u0000', '');
    return {
      recipients: [text.to.trim().toLowerCase()],
      from: { address: number, name: null },
      subject: null,
      text: body,
      newText: body,
      messageId: null,
      inReplyTo: null,
      references: [],
      attachments: [],
      providerMessageId: text.providerMessageId,
      eventId: text.providerMessageId,
      eventProvider: 'twilio',
      receivedAt: this.ctx.clock(),
    };
  }
}
