// Cases in the reference REST shape: Unix milliseconds, the nextActionAt sentinel, attachment metadata, and the
// fields the reference leaves out of GET /cases/{id} (metadata, failureReason, clientWebhookUrl) left out.
import type { AttachmentEntity, CaseEntity } from '../persistence/entities';
import type { AttachmentLink } from '../services/attachments/attachment-link.signer';
import type { CaseBatchResult } from '../services/cases/case-batch.service';
import { ERROR_CODES, type ErrorCode } from '../domain/app.errors';
import { REST_ERRORS } from './rest.errors';
import { toState } from '../services/transitions/case-state.mapper';
import { toAttachmentMeta } from '../services/webhooks/webhook-snapshot.mapper';
import { nextOpenSlot } from '../domain/send-window.policy';

/** What the reference answers for "nothing scheduled": 9999-12-31T23:59:59.999Z. */
export const NEXT_ACTION_NONE = 253402300799999;

export interface RestCaseOptions {
  attachments: AttachmentEntity[];
  /** Present only when the caller asked for includeTranscript=true. */
  conversationThread?: string | null;
}

export function toRestCase(row: CaseEntity, options: RestCaseOptions): Record<string, unknown> {
  const inputRequest = toState(row).inputRequest;
  return {
    caseId: row.id,
    ...present('clientReferenceId', row.clientReferenceId),
    status: row.status,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    nextActionAt: row.nextActionAt?.getTime() ?? NEXT_ACTION_NONE,
    attemptCount: row.attemptCount,
    maxAttempts: row.maxAttempts,
    channel: row.channel,
    counterparty: row.counterparty,
    attachments: options.attachments.map(toAttachmentMeta),
    resultStatus: row.resultStatus,
    ...present('result', row.result),
    goal: row.goal,
    ...present('resultSchema', row.resultSchema),
    senderPersona: row.senderPersona,
    ...present('constraints', row.constraints),
    inputRequest: inputRequest && {
      id: inputRequest.id,
      question: inputRequest.question,
      status: inputRequest.status,
      requestedAt: inputRequest.requestedAt.getTime(),
    },
    ...(options.conversationThread !== undefined ? { conversationThread: options.conversationThread } : {}),
    // Ours, not the reference's: present only when the case was created with them, so reference shapes stay as is.
    ...present('startAt', row.startAt?.getTime()),
    ...present(
      'sendWindow',
      row.sendWindow && { ...row.sendWindow, nextOpenAt: nextOpenSlot(new Date(), row.sendWindow).getTime() },
    ),
  };
}

/** GET /cases/{id}/attachments/{attachmentId}: the metadata plus a fresh link; expiresAt is ISO 8601 there. */
export function toRestAttachment(a: AttachmentEntity, link: AttachmentLink): Record<string, unknown> {
  return { ...toAttachmentMeta(a), downloadUrl: link.url, expiresAt: link.expiresAt.toISOString() };
}

// The reference stores items without absent attributes, so "present when provided" fields are left out, not null.
function present(key: string, value: unknown): Record<string, unknown> {
  return value === null || value === undefined ? {} : { [key]: value };
}

/** One input's outcome of POST /cases/batch: the case in the GET /cases/{id} shape, or the error in REST's words. */
export function toRestBatchResult(result: CaseBatchResult): Record<string, unknown> {
  if (result.case) return { index: result.index, case: toRestCase(result.case, { attachments: [] }) };
  const error = result.error!;
  const code = (ERROR_CODES as readonly string[]).includes(error.code)
    ? REST_ERRORS[error.code as ErrorCode].code
    : error.code;
  return { index: result.index, error: { code, message: error.message, fields: error.fields } };
}
