// Mail and provider events coming in, from any transport: find the case, store what came, queue the event.
// Nothing that arrives is dropped: a reply to a finished case is still stored on its thread.
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { caseIdFromAddress } from '../mail/case-address';
import type { DeliveryFailure, InboundMail, InboundSink } from '../mail/mail.types';
import { isTerminal } from '../domain/case.model';
import { AttachmentEntity, CaseEntity, MessageEntity } from '../persistence/entities';
import { enqueueCaseJob } from './case-effects';
import type { ServiceContext } from './service-context';

export class InboundService implements InboundSink {
  constructor(private readonly ctx: ServiceContext) {}

  async isKnownRecipient(address: string): Promise<boolean> {
    const caseId = caseIdFromAddress(address, this.ctx.config.MAIL_DOMAIN);
    return caseId !== null && (await this.ctx.db.getRepository(CaseEntity).existsBy({ id: caseId }));
  }

  async receive(mail: InboundMail): Promise<void> {
    const row = await this.findCase(mail);
    if (!row) {
      this.ctx.logger.warn({ recipients: mail.recipients, messageId: mail.messageId }, 'inbound mail matches no case');
      return;
    }
    await this.store(row, mail);
  }

  /** Stores an inbound message on a known case; returns the stored message id (or null for a duplicate). */
  async store(row: CaseEntity, mail: InboundMail): Promise<string | null> {
    const stored = await this.ctx.db.transaction(async (manager) => {
      const messageId = await this.insertMessage(manager, row, mail);
      if (!messageId) return null;
      await this.insertAttachments(manager, row, messageId, mail);
      if (!isTerminal(row.status))
        await enqueueCaseJob(this.ctx, manager, {
          type: 'REPLY_RECEIVED',
          caseId: row.id,
          key: `${row.id}:reply:${messageId}`,
          messageId,
        });
      return messageId;
    });
    return stored;
  }

  async deliveryFailed(failure: DeliveryFailure): Promise<void> {
    const message = await this.findOutbound(failure);
    if (!message) {
      this.ctx.logger.warn({ failure }, 'delivery failure matches no message we sent');
      return;
    }
    await this.ctx.db.transaction(async (manager) => {
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

  async delivered(providerMessageId: string): Promise<void> {
    await this.ctx.db
      .getRepository(MessageEntity)
      .update({ providerMessageId, direction: 'outbound' }, { deliveryStatus: 'delivered' });
  }

  /**
   * The recipient address names the case. Without one, threading headers may, but only for a case whose
   * counterparty sent the mail: a forged In-Reply-To cannot attach mail to another tenant's case.
   */
  private async findCase(mail: InboundMail): Promise<CaseEntity | null> {
    const repo = this.ctx.db.getRepository(CaseEntity);
    for (const address of mail.recipients) {
      const caseId = caseIdFromAddress(address, this.ctx.config.MAIL_DOMAIN);
      if (caseId) {
        const row = await repo.findOneBy({ id: caseId });
        if (row) return row;
      }
    }
    const refs = [mail.inReplyTo, ...mail.references].filter((r): r is string => Boolean(r));
    const threadIds = [mail.providerThreadId].filter((r): r is string => Boolean(r));
    if (!refs.length && !threadIds.length) return null;
    const query = this.ctx.db
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.direction = :out', { out: 'outbound' });
    if (refs.length && threadIds.length)
      query.andWhere('(m.rfc_message_id IN (:...refs) OR m.provider_thread_id IN (:...threadIds))', {
        refs,
        threadIds,
      });
    else if (refs.length) query.andWhere('m.rfc_message_id IN (:...refs)', { refs });
    else query.andWhere('m.provider_thread_id IN (:...threadIds)', { threadIds });
    const matched = await query.orderBy('m.created_at', 'DESC').getOne();
    if (!matched) return null;
    const row = await repo.findOneBy({ id: matched.caseId });
    return row && row.counterparty.address.toLowerCase() === mail.from.address.toLowerCase() ? row : null;
  }

  private async findOutbound(failure: DeliveryFailure): Promise<MessageEntity | null> {
    const repo = this.ctx.db.getRepository(MessageEntity);
    if (failure.messageId) {
      const found = await repo.findOneBy({ rfcMessageId: failure.messageId, direction: 'outbound' });
      if (found) return found;
    }
    if (failure.providerMessageId)
      return repo.findOneBy({ providerMessageId: failure.providerMessageId, direction: 'outbound' });
    return null;
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
    for (const a of mail.attachments) {
      await manager.insert(AttachmentEntity, {
        id: randomUUID(),
        caseId: row.id,
        accountId: row.accountId,
        messageId,
        name: a.name,
        size: a.content?.length ?? a.size,
        contentType: a.contentType,
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
