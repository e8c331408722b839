// The case as a webhook (and the REST API) describes it: plain data taken from the rows, no framework types.
import { attachmentsOfCase } from '../../persistence/attachments.repository';
import type { AttachmentEntity, CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import type { WebhookAttachment, WebhookCaseSnapshot } from '../../webhooks/webhook-payload.mapper';
import { toState } from '../transitions/case-state.mapper';

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
export async function caseSnapshot(manager: Tx, row: CaseEntity): Promise<WebhookCaseSnapshot> {
  const attachments = await attachmentsOfCase(manager, row.id);
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
