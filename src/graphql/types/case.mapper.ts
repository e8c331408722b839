import type { AttachmentEntity, CaseEntity, CaseEventEntity, MessageEntity } from '../../persistence/entities';
import { inputRequestOf } from '../../services/transitions/case-state.mapper';
import { Attachment, Case, CaseEvent, Message } from './case.types';
import { nextOpenSlot } from '../../domain/send-window.policy';

export function toCase(row: CaseEntity): Case {
  return Object.assign(new Case(), {
    id: row.id,
    clientReferenceId: row.clientReferenceId,
    channel: row.channel,
    status: row.status,
    goal: row.goal,
    counterparty: row.counterparty,
    senderPersona: row.senderPersona,
    constraints: row.constraints ?? null,
    resultSchema: row.resultSchema,
    metadata: row.metadata,
    clientWebhookUrl: row.clientWebhookUrl,
    attemptCount: row.attemptCount,
    maxAttempts: row.maxAttempts,
    followUpDelayHours: row.followUpDelayHours,
    followUpCount: row.followUpCount,
    maxReplies: row.maxReplies,
    startAt: row.startAt,
    // The next opening is shown from the wall clock: a display value, not a decision.
    sendWindow: row.sendWindow ? { ...row.sendWindow, nextOpenAt: nextOpenSlot(new Date(), row.sendWindow) } : null,
    nextActionAt: row.nextActionAt,
    resultStatus: row.resultStatus,
    result: row.result ?? null,
    failureReason: row.failureReason,
    inputRequest: inputRequestOf(row),
    inputRequestId: row.inputRequestId,
    inputRequestStatus: row.inputRequestStatus,
    inputRequestedAt: row.inputRequestedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });
}

export const toMessage = (m: MessageEntity): Message =>
  Object.assign(new Message(), {
    id: m.id,
    direction: m.direction,
    from: m.fromName ? `${m.fromName} <${m.fromAddress}>` : m.fromAddress,
    to: m.toAddresses,
    subject: m.subject,
    text: m.text,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    deliveryStatus: m.deliveryStatus,
    verified: m.direction === 'inbound' ? m.senderVerified : null,
    authResults: m.authResults,
    autoReply: m.autoReply,
  });

export const toCaseEvent = (e: CaseEventEntity): CaseEvent =>
  Object.assign(new CaseEvent(), {
    id: e.id,
    type: e.type,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    occurredAt: e.occurredAt,
    data: e.data,
  });

export const toAttachment = (a: AttachmentEntity): Attachment =>
  Object.assign(new Attachment(), {
    id: a.id,
    name: a.name,
    size: a.size,
    type: a.contentType,
    messageId: a.providerMessageId ?? a.messageId,
    receivedAt: a.receivedAt,
    caseId: a.caseId,
  });
