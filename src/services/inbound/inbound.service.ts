// Mail and provider events coming in, from any transport: find the case, store what came, queue the event.
// Nothing that arrives is dropped: a reply to a finished case is still stored on its thread.
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { caseIdFromAddress } from '../../mail/case-address';
import { safeContentType } from '../../mail/content-type.policy';
import { InboundMatcher } from './inbound-match.service';
import type { DeliveryFailure, InboundMail, InboundSink } from '../../mail/mail.types';
import { isTerminal } from '../../domain/case.model';
import { AttachmentEntity, CaseEntity, MessageEntity } from '../../persistence/entities';
import { enqueueCaseJob } from '../transitions/transition.writer';
import type { ServiceContext } from '../service.context';
import { recordInboundMail } from './inbound-verdict.service';

export class InboundService implements InboundSink {
  private readonly matcher: InboundMatcher;

  constructor(private readonly ctx: ServiceContext) {
    this.matcher = new InboundMatcher(ctx.db, ctx.config.MAIL_DOMAIN);
  }

  async isKnownRecipient(address: string): Promise<boolean> {
    const caseId = caseIdFromAddress(address, this.ctx.config.MAIL_DOMAIN);
    return caseId !== null && (await this.ctx.db.getRepository(CaseEntity).existsBy({ id: caseId }));
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
      if (!(await claimProviderEvent(manager, mail.eventId))) return null;
      const messageId = await this.insertMessage(manager, row, mail);
      if (!messageId) return null;
      await this.insertAttachments(manager, row, messageId, mail);
      // Only the counterparty's own mail, and no auto-reply, is evaluated (and so ever answered).
      const drives = await recordInboundMail(manager, row, messageId, mail, this.ctx.clock());
      if (drives && !isTerminal(row.status))
        await enqueueCaseJob(this.ctx, manager, {
          type: 'REPLY_RECEIVED',
          caseId: row.id,
          key: `${row.id}:reply:${messageId}`,
          messageId,
        });
      return messageId;
    });
    if (stored) this.ctx.changes.changed();
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
      if (!(await claimProviderEvent(manager, failure.eventId))) return;
      await manager.update(MessageEntity, { id: message.id }, { deliveryStatus: failure.kind.toLowerCase() });
      await enqueueCaseJob(this.ctx, manager, {
        type: 'DELIVERY_FAILED',
        caseId: message.caseId,
        key: `${message.caseId}:delivery:${failure.eventId ?? `${message.id}:${failure.kind}`}`,
        kind: failure.kind,
        reason: failure.reason,
      });
    });
  }

  /** Events arrive in any order: a late "delivered" must not hide a bounce or complaint already recorded. */
  async delivered(providerMessageId: string): Promise<void> {
    await this.ctx.db.query(
      `UPDATE messages SET delivery_status = 'delivered'
        WHERE provider_message_id = $1 AND direction = 'outbound'
          AND (delivery_status IS NULL OR delivery_status NOT IN ('bounced', 'complained', 'rejected'))`,
      [providerMessageId],
    );
  }

  private async insertMessage(manager: EntityManager, row: CaseEntity, mail: InboundMail): Promise<string | null> {
    const id = randomUUID();
    const rows: unknown[] = await manager.query(
      `INSERT INTO messages (id, case_id, account_id, direction, status, send_attempts, from_address, from_name,
                             to_addresses, subject, text, new_text, rfc_message_id, in_reply_to, "references",
                             provider_message_id, provider_thread_id, inbox_id, received_at, created_at)
       VALUES ($1, $2, $3, 'inbound', 'received', 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        id,
        row.id,
        row.accountId,
        mail.from.address.toLowerCase(),
        mail.from.name ?? null,
        mail.recipients,
        mail.subject,
        mail.text,
        mail.newText,
        mail.messageId ?? (mail.providerMessageId ? `<${mail.providerMessageId}>` : null),
        mail.inReplyTo,
        mail.references,
        mail.providerMessageId ?? null,
        mail.providerThreadId ?? null,
        mail.inboxId ?? null,
        mail.receivedAt,
        this.ctx.clock(),
      ],
    );
    return rows.length ? id : null;
  }

  private async insertAttachments(manager: EntityManager, row: CaseEntity, messageId: string, mail: InboundMail) {
    // The SMTP listener refuses such mail outright; a provider that has already accepted it leaves only trimming.
    const max = this.ctx.config.INBOUND_MAX_ATTACHMENTS;
    if (mail.attachments.length > max)
      this.ctx.logger.warn(
        { caseId: row.id, messageId, attachments: mail.attachments.length, kept: max },
        'inbound mail has more attachments than INBOUND_MAX_ATTACHMENTS; the rest were not kept',
      );
    for (const a of mail.attachments.slice(0, max)) {
      await manager.insert(AttachmentEntity, {
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

/** Claims a provider event id in the transaction that applies it; false when it was applied before. */
async function claimProviderEvent(manager: EntityManager, eventId: string | null | undefined): Promise<boolean> {
  if (!eventId) return true;
  const rows: unknown[] = await manager.query(
    `INSERT INTO provider_events (provider, event_id) VALUES ('agentmail', $1) ON CONFLICT DO NOTHING RETURNING 1`,
    [eventId],
  );
  return rows.length > 0;
}

/** A stable Message-ID for a mail that came without one: the same sender and content give the same id. */
function contentId(mail: InboundMail, domain: string): string {
  const hash = createHash('sha256');
  for (const part of [mail.from.address.toLowerCase(), mail.subject ?? '', mail.text]) hash.update(part).update('\0');
  for (const a of mail.attachments) hash.update(a.content ?? a.providerAttachmentId ?? '').update('\0');
  return `<content-${hash.digest('hex').slice(0, 40)}@${domain}>`;
}
