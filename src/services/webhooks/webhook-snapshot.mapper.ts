// The case as a webhook (and the REST API) describes it: plain data taken from the rows, no framework types.
import type { EntityManager } from 'typeorm';
import { AttachmentEntity, type CaseEntity } from '../../persistence/entities';
import type { WebhookAttachment, WebhookCaseSnapshot } from '../../webhooks/webhook.payload';
import { toState } from '../transitions/case.store';

/** Attachment metadata as the reference shows it on cases and in webhooks (no download link). */
export function toAttachmentMeta(a: AttachmentEntity): WebhookAttachment {
  return {
    attachmentId: a.id,
    name: a.name,
    size: a.size,
    type: a.contentType,
    messageId: a.providerMessageId ?? a.messageId,
    inboxId: a.inboxId,
    receivedAt: a.receivedAt.getTime(),
  };
}

/** Reads the case's attachments in `manager`'s transaction, so the snapshot is the state being committed. */
export async function caseSnapshot(manager: EntityManager, row: CaseEntity): Promise<WebhookCaseSnapshot> {
  const attachments = await manager
    .getRepository(AttachmentEntity)
    .find({ where: { caseId: row.id }, order: { receivedAt: 'ASC' } });
  return {
    caseId: row.id,
    status: row.status,
    channel: row.channel,
    attemptCount: row.attemptCount,
    attachments: attachments.map(toAttachmentMeta),
    clientReferenceId: row.clientReferenceId,
    metadata: row.metadata,
    result: row.result ?? null,
    resultStatus: row.resultStatus,
    failureReason: row.failureReason,
    inputRequest: toState(row).inputRequest,
    updatedAt: row.updatedAt,
  };
}
