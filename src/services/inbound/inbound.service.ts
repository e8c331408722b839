// Mail and provider events coming in, from any transport: find the case, store what came, queue the event.
// Nothing that arrives is dropped: a reply to a finished case is still stored on its thread.
import { createHash, randomUUID } from 'node:crypto';
import { caseIdFromAddress } from '../../mail/case-address.mapper';
import { safeContentType } from '../../mail/content-type.policy';
import { InboundMatcher } from './inbound-match.service';
import type { DeliveryFailure, EventProvider, InboundMail, InboundSink } from '../../mail/mail.types';
import { isTerminal } from '../../domain/case.model';
import { insertAttachment } from '../../persistence/attachments.repository';
import { findCase } from '../../persistence/cases.repository';
import type { CaseEntity, MessageEntity } from '../../persistence/entities';
import { insertSuppression } from '../../persistence/suppressions.repository';
import { normalizeAddress } from '../suppression/suppression.service';
import { insertInbound, markDelivered, setDeliveryStatus } from '../../persistence/messages.repository';
import { claimProviderEvent } from '../../persistence/provider-events.repository';
import type { Tx } from '../../persistence/transaction.types';
import { caseJobs, enqueueCaseJob, type CaseJob } from '../../jobs/job.catalog';
import { evaluatesQuarantined } from '../../mail/quarantine.policy';
import { insertTimelineNote } from '../../persistence/case-events.repository';
import type { ServiceContext } from '../service.context';
import { readReturnDate } from './out-of-office.parser';
import { recordInboundMail } from './inbound-verdict.service';

/** Told once per message stored (every face stores through store(), so each mail is counted once). */
export interface InboundObserver {
  stored?(): void;
}

export class InboundService implements InboundSink {
  private readonly matcher: InboundMatcher;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly observer: InboundObserver = {},
  ) {
    this.matcher = new InboundMatcher(ctx.db.manager, ctx.config.MAIL_DOMAIN);
  }

  async isKnownRecipient(address: string): Promise<boolean> {
    const caseId = caseIdFromAddress(address, this.ctx.config.MAIL_DOMAIN);
    return caseId !== null && (await findCase(this.ctx.db.manager, caseId)) !== null;
  }

  async receive(mail: InboundMail): Promise<void> {
    const row = await this.matcher.findCase(mail);
    if (!row) {
      this.ctx.logger.warn({ recipients: mail.recipients, messageId: mail.messageId }, 'inbound mail matches no case');
      return;
    }
    // A mail without any id would be stored again on every redelivery: its content stands in for the id.
    const messageId = mail.messageId ?? (mail.providerMessageId ? null : contentId(mail, this.ctx.config.MAIL_DOMAIN));
    await this.store(row, { ...mail, messageId });
  }

  /** Stores an inbound message on a known case; returns the stored message id (or null for a duplicate). */
  async store(row: CaseEntity, received: InboundMail): Promise<string | null> {
    const mail = withoutNul(received);
    const stored = await this.ctx.db.transaction(async (manager) => {
      if (!(await claimEvent(manager, mail.eventId, mail.eventProvider))) return null;
      const messageId = await this.insertMessage(manager, row, mail);
      if (!messageId) return null;
      await this.insertAttachments(manager, row, messageId, mail);
      await this.suppressIfUnsubscribing(manager, row, mail);
      const evaluate = evaluatesQuarantined(mail, row.counterparty.address);
      if (mail.quarantine)
        await insertTimelineNote(manager, {
          caseId: row.id,
          accountId: row.accountId,
          type: 'reply.quarantined',
          data: { label: mail.quarantine, messageId, from: mail.from.address.toLowerCase(), evaluated: evaluate },
          occurredAt: this.ctx.clock(),
        });
      // Only the counterparty's own mail drives the case; its auto-replies are noted and never answered.
      const verdict = await recordInboundMail(manager, row, messageId, mail, this.ctx.clock());
      if (!isTerminal(row.status) && evaluate && verdict !== 'unverified')
        await enqueueCaseJob(this.ctx, manager, inboundJob(row, messageId, mail));
      return messageId;
    });
    if (stored) {
      this.observer.stored?.();
      // The timeline rows written with it (quarantine, message.unverified, auto_reply.received) go to subscribers.
      this.ctx.changes.changed();
    }
    return stored;
  }

  async deliveryFailed(report: DeliveryFailure): Promise<void> {
    // A NUL in the report's diagnostic would fail its insert into jsonb on every redelivery (see withoutNul).
    const failure = { ...report, reason: report.reason.replaceAll('\u0000', '') };
    const message = await this.matcher.findOutbound(failure);
    if (!message) {
      this.ctx.logger.warn({ failure }, 'delivery failure matches no message we sent');
      return;
    }
    await this.ctx.db.transaction(async (manager) => {
      if (!(await claimEvent(manager, failure.eventId, failure.eventProvider))) return;
      await setDeliveryStatus(manager, message.id, failure.kind.toLowerCase());
      await this.suppressAfter(manager, message, failure);
      await enqueueCaseJob(this.ctx, manager, caseJobs.deliveryFailed(message.caseId, message.id, failure));
    });
  }

  /**
   * The mailto of our List-Unsubscribe header: a mail from the counterparty's own address with the subject
   * "unsubscribe". The address goes on the account's list at once; the mail is still stored and evaluated as a reply
   * (a refusal), and any send the case still wanted finds the address suppressed.
   */
  private async suppressIfUnsubscribing(manager: Tx, row: CaseEntity, mail: InboundMail): Promise<void> {
    if (mail.subject?.trim().toLowerCase() !== 'unsubscribe') return;
    const from = normalizeAddress(mail.from.address);
    if (from !== normalizeAddress(row.counterparty.address)) return;
    await insertSuppression(manager, {
      accountId: row.accountId,
      address: from,
      source: 'unsubscribe',
      reason: 'unsubscribe by mail (List-Unsubscribe mailto)',
      caseId: row.id,
      createdAt: this.ctx.clock(),
    });
  }

  /**
   * A hard bounce or a complaint puts the address on the account's list, so no other case mails it again. A bounce
   * the provider calls transient (AgentMail's bounce.type) fails this case, as before, but suppresses nothing.
   */
  private async suppressAfter(manager: Tx, message: MessageEntity, failure: DeliveryFailure): Promise<void> {
    if (failure.kind === 'REJECTED' || (failure.kind === 'BOUNCED' && /^transient\b/i.test(failure.reason))) return;
    const source = failure.kind === 'COMPLAINED' ? 'complaint' : 'hard_bounce';
    for (const address of message.toAddresses)
      await insertSuppression(manager, {
        accountId: message.accountId,
        address: normalizeAddress(address),
        source,
        reason: failure.reason.slice(0, 1000),
        caseId: message.caseId,
        createdAt: this.ctx.clock(),
      });
  }

  /** Events arrive in any order: a late "delivered" must not hide a bounce or complaint already recorded. */
  async delivered(providerMessageId: string): Promise<void> {
    await markDelivered(this.ctx.db.manager, providerMessageId);
  }

  private async insertMessage(manager: Tx, row: CaseEntity, mail: InboundMail): Promise<string | null> {
    const id = randomUUID();
    const inserted = await insertInbound(manager, {
      id,
      caseId: row.id,
      accountId: row.accountId,
      fromAddress: mail.from.address.toLowerCase(),
      fromName: mail.from.name ?? null,
      toAddresses: mail.recipients,
      subject: mail.subject,
      text: mail.text,
      newText: mail.newText,
      rfcMessageId: mail.messageId ?? (mail.providerMessageId ? `<${mail.providerMessageId}>` : null),
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      providerMessageId: mail.providerMessageId ?? null,
      providerThreadId: mail.providerThreadId ?? null,
      inboxId: mail.inboxId ?? null,
      receivedAt: mail.receivedAt,
      createdAt: this.ctx.clock(),
      providerLabel: mail.quarantine ?? null,
      autoReply: Boolean(mail.autoReply),
    });
    return inserted ? id : null;
  }

  private async insertAttachments(manager: Tx, row: CaseEntity, messageId: string, mail: InboundMail) {
    // The SMTP listener refuses such mail outright; a provider that has already accepted it leaves only trimming.
    const max = this.ctx.config.INBOUND_MAX_ATTACHMENTS;
    if (mail.attachments.length > max)
      this.ctx.logger.warn(
        { caseId: row.id, messageId, attachments: mail.attachments.length, kept: max },
        'inbound mail has more attachments than INBOUND_MAX_ATTACHMENTS; the rest were not kept',
      );
    for (const a of mail.attachments.slice(0, max)) {
      await insertAttachment(manager, {
        id: randomUUID(),
        caseId: row.id,
        accountId: row.accountId,
        messageId,
        name: a.name,
        size: a.content?.length ?? a.size,
        contentType: safeContentType(a.contentType),
        sha256: a.content ? createHash('sha256').update(a.content).digest('hex') : null,
        content: a.content ?? null,
        providerAttachmentId: a.providerAttachmentId ?? null,
        providerMessageId: mail.providerMessageId ?? null,
        inboxId: mail.inboxId ?? null,
        receivedAt: mail.receivedAt,
      });
    }
  }
}

/**
 * PostgreSQL text cannot hold U+0000, and a mail carrying one (a raw NUL byte, or an escaped one in a provider's
 * JSON) would fail every redelivery with a database error; the character carries no meaning in mail text.
 */
function withoutNul(mail: InboundMail): InboundMail {
  const clean = <T extends string | null | undefined>(value: T): T =>
    (typeof value === 'string' ? value.replaceAll('\u0000', '') : value) as T;
  return {
    ...mail,
    recipients: mail.recipients.map(clean),
    from: { address: clean(mail.from.address), name: clean(mail.from.name) },
    subject: clean(mail.subject),
    text: clean(mail.text),
    newText: clean(mail.newText),
    messageId: clean(mail.messageId),
    inReplyTo: clean(mail.inReplyTo),
    references: mail.references.map(clean),
    providerMessageId: clean(mail.providerMessageId),
    providerThreadId: clean(mail.providerThreadId),
    inboxId: clean(mail.inboxId),
    eventId: clean(mail.eventId),
    attachments: mail.attachments.map((a) => ({ ...a, name: clean(a.name), contentType: clean(a.contentType) })),
  };
}

/** What a stored inbound message asks of its case: a reply to evaluate, or an automatic answer to note. */
function inboundJob(row: CaseEntity, messageId: string, mail: InboundMail): CaseJob {
  if (!mail.autoReply) return caseJobs.replyReceived(row.id, messageId);
  const returnDate = readReturnDate(mail.newText || mail.text, mail.receivedAt, row.counterparty.timezone ?? null);
  return caseJobs.autoReplyReceived(row.id, messageId, returnDate);
}

/** Claims a provider event id in the transaction that applies it; false when it was applied before. */
async function claimEvent(manager: Tx, eventId: string | null | undefined, provider?: EventProvider): Promise<boolean> {
  // Only AgentMail's and Twilio's events carry an id; local and SMTP mail have nothing to claim here.
  return !eventId || claimProviderEvent(manager, provider ?? 'agentmail', eventId);
}

/** A stable Message-ID for a mail that came without one: the same sender and content give the same id. */
function contentId(mail: InboundMail, domain: string): string {
  const hash = createHash('sha256');
  for (const part of [mail.from.address.toLowerCase(), mail.subject ?? '', mail.text]) hash.update(part).update('\0');
  for (const a of mail.attachments) hash.update(a.content ?? a.providerAttachmentId ?? '').update('\0');
  return `<content-${hash.digest('hex').slice(0, 40)}@${domain}>`;
}
