// The webhook body, byte-compatible with the reference service's events (REFERENCE.md, "Webhooks"), so that a
// receiver written for the reference works against us unchanged. Pure: same snapshot in, same JSON out, which is
// what lets a retried delivery carry exactly the body (and signature input) of the first attempt.
import type { WebhookEventType } from '../domain/case-event.types';
import type { CaseStatus, Channel, InputRequestState } from '../domain/case.model';

/** Attachment metadata as webhooks carry it: the case's attachment minus downloadUrl/expiresAt. */
export interface WebhookAttachment {
  attachmentId: string;
  /** Null when the sender gave none: we do not invent names or types. */
  name: string | null;
  size: number;
  type: string | null;
  messageId: string;
  /** The mailbox it arrived in: the AgentMail inbox, or the case's own address for local and SMTP mail. */
  inboxId: string | null;
  /** Unix milliseconds. */
  receivedAt: number;
}

/** What the builder needs to know about a case, as plain data (no entity, no framework types). */
export interface WebhookCaseSnapshot {
  caseId: string;
  status: CaseStatus;
  channel: Channel;
  attemptCount: number;
  attachments: readonly WebhookAttachment[];
  clientReferenceId: string | null;
  metadata: unknown;
  result: unknown;
  resultStatus: string | null;
  failureReason: string | null;
  inputRequest: InputRequestState | null;
  updatedAt: Date;
}

interface WebhookEventData {
  caseId: string;
  status: CaseStatus;
  channel: Channel;
  attemptCount: number;
  attachments: WebhookAttachment[];
  clientReferenceId?: string;
  metadata?: unknown;
  result?: unknown;
  resultStatus?: string | null;
  failureReason?: string;
  /** The question itself: the reference flattens the input request into four fields. */
  inputRequest?: string;
  inputRequestId?: string;
  inputRequestStatus?: 'PENDING';
  inputRequestedAt?: number;
}

export interface WebhookEnvelope {
  event_id: string;
  event_type: WebhookEventType;
  /** Unix milliseconds. */
  timestamp: number;
  data: WebhookEventData;
}

/** The event a case in `status` announces, or null for statuses that send none (the reference has no such events). */
export function webhookEventTypeFor(status: CaseStatus): WebhookEventType | null {
  switch (status) {
    case 'COMPLETED':
      return 'case.completed';
    case 'FAILED':
      return 'case.failed';
    case 'INPUT_NEEDED':
      return 'case.input_needed';
    case 'CREATED':
    case 'RUNNING':
      return null;
    default:
      return unreachable(status);
  }
}

/**
 * `evt_<caseId>_<event type with _ for .>_<updatedAt ms>`, the reference's scheme. It is stable for one state of the
 * case, so it doubles as the Standard Webhooks webhook-id that receivers deduplicate on.
 */
function webhookEventId(eventType: WebhookEventType, caseId: string, updatedAt: Date): string {
  return `evt_${caseId}_${eventType.replace('.', '_')}_${updatedAt.getTime()}`;
}

/**
 * The envelope for `eventType`. The timestamp is the case's updatedAt rather than the send time, so that building
 * the event twice (say, after a crash) yields the same bytes.
 */
export function buildWebhookEnvelope(eventType: WebhookEventType, snapshot: WebhookCaseSnapshot): WebhookEnvelope {
  return {
    event_id: webhookEventId(eventType, snapshot.caseId, snapshot.updatedAt),
    event_type: eventType,
    timestamp: snapshot.updatedAt.getTime(),
    data: buildEventData(eventType, snapshot),
  };
}

function buildEventData(eventType: WebhookEventType, s: WebhookCaseSnapshot): WebhookEventData {
  const data: WebhookEventData = {
    caseId: s.caseId,
    status: s.status,
    channel: s.channel,
    attemptCount: s.attemptCount,
    attachments: s.attachments.map(copyAttachment),
  };
  if (s.clientReferenceId !== null) data.clientReferenceId = s.clientReferenceId;
  if (s.metadata !== null && s.metadata !== undefined) data.metadata = s.metadata;
  switch (eventType) {
    case 'case.completed':
      return { ...data, result: s.result ?? null, resultStatus: s.resultStatus };
    case 'case.failed':
      return withFailureReason({ ...data, resultStatus: s.resultStatus }, s.failureReason);
    case 'case.input_needed':
      return { ...data, ...inputRequestFields(s) };
    default:
      return unreachable(eventType);
  }
}

function withFailureReason(data: WebhookEventData, failureReason: string | null): WebhookEventData {
  return failureReason === null ? data : { ...data, failureReason };
}

function inputRequestFields(s: WebhookCaseSnapshot): Partial<WebhookEventData> {
  // A case.input_needed without a question would be a bug upstream; a receiver could not answer it.
  if (!s.inputRequest) throw new Error(`case ${s.caseId}: case.input_needed without an input request`);
  return {
    inputRequest: s.inputRequest.question,
    inputRequestId: s.inputRequest.id,
    // The event announces a question that is waiting; by definition it is still PENDING.
    inputRequestStatus: 'PENDING',
    inputRequestedAt: s.inputRequest.requestedAt.getTime(),
  };
}

// Copying field by field keeps anything else on the caller's objects (a download URL, say) out of the body.
function copyAttachment(a: WebhookAttachment): WebhookAttachment {
  return {
    attachmentId: a.attachmentId,
    name: a.name,
    size: a.size,
    type: a.type,
    messageId: a.messageId,
    inboxId: a.inboxId,
    receivedAt: a.receivedAt,
  };
}

function unreachable(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
