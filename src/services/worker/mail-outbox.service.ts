// Outbound mail is written down before it is sent and marked after, so a crash between the two is visible (the
// retry counts a possible duplicate) rather than silent, and a composed message is never composed twice.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SendPurpose } from '../../domain/evaluation';
import type { ComposedMessage } from '../../agent/agent.types';
import type { OutboundMail, SendResult } from '../../mail/mail.types';
import { caseAddress } from '../../mail/case-address';
import { MessageEntity, type CaseEntity } from '../../persistence/entities';

/** A composed mail of a case, and what its record is built from. */
export interface ComposedMail {
  row: CaseEntity;
  thread: MessageEntity[];
  sendKey: string;
  purpose: SendPurpose;
  composed: ComposedMessage;
  domain: string;
  now: Date;
}

/** Records the composed message as pending; if another attempt already recorded it, that record wins. */
export async function recordPending(manager: EntityManager, mail: ComposedMail): Promise<MessageEntity> {
  const message = pendingMessage(mail);
  const { sendKey } = mail;
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(MessageEntity)
    .values(message)
    .orIgnore()
    .returning('id')
    .execute();
  // What we inserted is what the row holds; only a lost race needs to read the winner's record.
  if ((inserted.raw as unknown[]).length > 0) return message;
  return manager.getRepository(MessageEntity).findOneByOrFail({ sendKey });
}

/** The pending record of a composed message, threaded under what the case's thread already holds. */
export function pendingMessage({ row, thread, sendKey, purpose, composed, domain, now }: ComposedMail): MessageEntity {
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
  return Object.assign(new MessageEntity(), {
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
  } satisfies Partial<MessageEntity>);
}

/** Message rows for INSERT_MESSAGES. */
export function messageRecords(messages: MessageEntity[]) {
  return messages.map((m) => ({
    id: m.id,
    case_id: m.caseId,
    account_id: m.accountId,
    direction: m.direction,
    status: m.status,
    purpose: m.purpose,
    send_key: m.sendKey,
    send_attempts: m.sendAttempts,
    from_address: m.fromAddress,
    from_name: m.fromName,
    to_addresses: m.toAddresses,
    subject: m.subject,
    text: m.text,
    new_text: m.newText,
    rfc_message_id: m.rfcMessageId,
    in_reply_to: m.inReplyTo,
    references: m.references,
    provider_message_id: m.providerMessageId,
    provider_thread_id: m.providerThreadId,
    inbox_id: m.inboxId,
    delivery_status: m.deliveryStatus,
    sent_at: m.sentAt,
    received_at: m.receivedAt,
    created_at: m.createdAt,
  }));
}

/** Outbound messages from JSON parameter $N (see messageRecords). */
export const INSERT_MESSAGES = `INSERT INTO messages (id, case_id, account_id, direction, status, purpose, send_key, send_attempts,
            from_address, from_name, to_addresses, subject, text, new_text, rfc_message_id, in_reply_to, "references",
            provider_message_id, provider_thread_id, inbox_id, delivery_status, sent_at, received_at, created_at)
     SELECT * FROM json_to_recordset($N::json) AS v(id uuid, case_id uuid, account_id uuid, direction text,
            status text, purpose text, send_key text, send_attempts int, from_address text, from_name text,
            to_addresses text[], subject text, text text, new_text text, rfc_message_id text, in_reply_to text,
            "references" text[], provider_message_id text, provider_thread_id text, inbox_id text,
            delivery_status text, sent_at timestamptz, received_at timestamptz, created_at timestamptz)`;

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
