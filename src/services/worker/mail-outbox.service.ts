// Outbound mail is written down before it is sent and marked after, so a crash between the two is visible (the
// retry counts a possible duplicate) rather than silent, and a composed message is never composed twice.
import { randomUUID } from 'node:crypto';
import type { SendPurpose } from '../../domain/evaluation.types';
import type { ComposedMessage } from '../../agent/agent.types';
import type { OutboundMail, SendResult } from '../../mail/mail.types';
import { caseAddress } from '../../mail/case-address.mapper';
import { smsSender } from '../../config/env.config';
import { MessageEntity, type CaseEntity } from '../../persistence/entities';
import * as messages from '../../persistence/messages.repository';
import { findDraft, saveDraft } from '../../persistence/composed-drafts.repository';
import type { Tx } from '../../persistence/transaction.types';
import type { UnsubscribeLinks } from '../suppression/unsubscribe-link.signer';
import type { TransitionContext } from '../transitions/transition.service';
import type { ServiceContext } from '../service.context';

/** What the worker's send paths need: the services' context, the transition outbox and the unsubscribe links. */
export type WorkerContext = ServiceContext &
  TransitionContext & {
    /** Every outbound mail carries a one-click unsubscribe link when set (always, in the composition root). */
    unsubscribeLinks?: UnsubscribeLinks;
  };

/** A composed mail of a case, and what its record is built from. */
export interface ComposedMail {
  row: CaseEntity;
  thread: MessageEntity[];
  sendKey: string;
  purpose: SendPurpose;
  composed: ComposedMessage;
  domain: string;
  now: Date;
  /** SMS: our number (smsSender), the message's From; absent: the local sender's name. */
  smsFrom?: string;
}

/**
 * Composes the mail of one send at most once: a draft stored by an earlier attempt is reused, and a new one is stored
 * the moment the model answers, before anything else can fail (compose calls = sends, SPEC §12).
 */
export async function composeOnce(
  db: Tx,
  sendKey: string,
  caseId: string,
  keep: boolean,
  compose: () => Promise<ComposedMessage>,
): Promise<ComposedMessage> {
  if (!keep) return compose();
  const stored = await findDraft(db, sendKey);
  if (stored) return stored;
  return saveDraft(db, sendKey, caseId, await compose());
}

/** Records the composed message as pending; if another attempt already recorded it, that record wins. */
export function recordPending(manager: Tx, mail: ComposedMail): Promise<MessageEntity> {
  return messages.insertPending(manager, pendingMessage(mail), mail.sendKey);
}

/** The pending record of a composed message, threaded under what the case's thread already holds. */
export function pendingMessage(mail: ComposedMail): MessageEntity {
  const message = emailMessage(mail);
  // A text has no subject; it leaves from our number, not a case address.
  if (mail.row.channel === 'SMS')
    Object.assign(message, { subject: null, fromAddress: mail.smsFrom ?? smsSender({}), fromName: null });
  return message;
}

function emailMessage({ row, thread, sendKey, purpose, composed, domain, now }: ComposedMail): MessageEntity {
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

/** Records a send's outcome if no copy of it has yet; false when the message was no longer pending. */
export function markSentIfPending(manager: Tx, messageId: string, sent: SendResult, now: Date): Promise<boolean> {
  return messages.markSentIfPending(manager, messageId, now, {
    providerMessageId: sent.providerMessageId,
    providerThreadId: sent.threadId ?? null,
  });
}

export function toOutboundMail(
  row: CaseEntity,
  message: MessageEntity,
  thread: MessageEntity[],
  links?: UnsubscribeLinks,
): OutboundMail {
  const lastInbound = [...thread].reverse().find((m) => m.direction === 'inbound' && m.providerMessageId);
  const lastProvider = [...thread].reverse().find((m) => m.providerMessageId && m.id !== message.id);
  return {
    caseId: row.id,
    channel: row.channel,
    from: { name: message.fromName, address: message.fromAddress },
    to: { name: row.counterparty.name, address: message.toAddresses[0]! },
    subject: message.subject ?? '',
    text: message.text ?? '',
    messageId: message.rfcMessageId!,
    inReplyTo: message.inReplyTo,
    references: message.references,
    replyToProviderMessageId: (lastInbound ?? lastProvider)?.providerMessageId ?? null,
    inboxId: lastProvider?.inboxId ?? null,
    listUnsubscribe: links?.forMail({ accountId: row.accountId, caseId: row.id, address: message.toAddresses[0]! }),
  };
}

const reSubject = (subject: string): string => (/^re:/i.test(subject) ? subject : `Re: ${subject}`);
