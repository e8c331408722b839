// Outbound mail is written down before it is sent and marked after, so a crash between the two is visible (the
// retry counts a possible duplicate) rather than silent, and a composed message is never composed twice.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { SendPurpose } from '../domain/evaluation';
import type { ComposedMessage } from '../agent/agent.types';
import type { OutboundMail, SendResult } from '../mail/mail.types';
import { caseAddress } from '../mail/case-address';
import { MessageEntity, type CaseEntity } from '../persistence/entities';

/** Records the composed message as pending; if another attempt already recorded it, that record wins. */
export async function recordPending(
  manager: EntityManager,
  row: CaseEntity,
  thread: MessageEntity[],
  sendKey: string,
  purpose: SendPurpose,
  composed: ComposedMessage,
  domain: string,
  now: Date,
): Promise<MessageEntity> {
  const firstOutbound = thread.find((m) => m.direction === 'outbound' && m.status === 'sent');
  const threaded = thread.filter((m) => m.rfcMessageId && (m.direction === 'inbound' || m.status === 'sent'));
  const last = threaded.at(-1);
  // The parent's References plus the parent; a parent without References (some clients, the local transport)
  // gets the chain as we know it, so our mail still threads under the first message.
  const chain = last?.references?.length
    ? [...last.references, last.rfcMessageId!]
    : threaded.map((m) => m.rfcMessageId!);
  const references = chain.slice(-20);
  // Mail clients thread on headers, but some also need the subject to stay the same.
  const subject = firstOutbound?.subject ? reSubject(firstOutbound.subject) : composed.subject;
  const message: QueryDeepPartialEntity<MessageEntity> = {
    id: randomUUID(),
    caseId: row.id,
    accountId: row.accountId,
    direction: 'outbound',
    status: 'pending',
    purpose,
    sendKey,
    sendAttempts: 0,
    fromAddress: caseAddress(row.id, domain),
    fromName: row.senderPersona.name,
    toAddresses: [row.counterparty.address],
    subject,
    text: composed.body,
    newText: null,
    rfcMessageId: `<${randomUUID()}@${domain}>`,
    inReplyTo: last?.rfcMessageId ?? null,
    references,
    providerMessageId: null,
    providerThreadId: null,
    inboxId: null,
    deliveryStatus: null,
    sentAt: null,
    receivedAt: null,
    createdAt: now,
  };
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(MessageEntity)
    .values(message)
    .orIgnore()
    .returning('id')
    .execute();
  // What we inserted is what the row holds; only a lost race needs to read the winner's record.
  if ((inserted.raw as unknown[]).length > 0) return Object.assign(new MessageEntity(), message);
  return manager.getRepository(MessageEntity).findOneByOrFail({ sendKey });
}

/** Records a send's outcome if no copy of it has yet; false when the message was no longer pending. */
export async function markSentIfPending(
  manager: EntityManager,
  messageId: string,
  sent: SendResult,
  now: Date,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `UPDATE messages SET status = 'sent', send_attempts = send_attempts + 1, sent_at = $2,
            provider_message_id = $3, provider_thread_id = $4
      WHERE id = $1 AND status = 'pending' RETURNING id`,
    [messageId, now, sent.providerMessageId, sent.threadId ?? null],
  );
  return rows.length > 0;
}

export function toOutboundMail(row: CaseEntity, message: MessageEntity, thread: MessageEntity[]): OutboundMail {
  const lastInbound = [...thread].reverse().find((m) => m.direction === 'inbound' && m.providerMessageId);
  const lastProvider = [...thread].reverse().find((m) => m.providerMessageId && m.id !== message.id);
  return {
    caseId: row.id,
    from: { name: message.fromName, address: message.fromAddress },
    to: { name: row.counterparty.name, address: message.toAddresses[0]! },
    subject: message.subject ?? '',
    text: message.text ?? '',
    messageId: message.rfcMessageId!,
    inReplyTo: message.inReplyTo,
    references: message.references,
    replyToProviderMessageId: (lastInbound ?? lastProvider)?.providerMessageId ?? null,
    inboxId: lastProvider?.inboxId ?? null,
  };
}

const reSubject = (subject: string): string => (/^re:/i.test(subject) ? subject : `Re: ${subject}`);
