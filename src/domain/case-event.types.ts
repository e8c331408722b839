// What can happen to a case: worker events (CASE_CREATED ... CANCEL_REQUESTED) and the results of the worker's
// own I/O (MESSAGE_SENT, SEND_FAILED, REPLY_EVALUATED), all fed through the same decide().
import type { Evaluation, SendPurpose } from './evaluation.types';
import type { DeliveryFailureKind } from './delivery.types';

export type CaseEvent =
  | { type: 'CASE_CREATED' }
  /** replyPending: an inbound message is stored whose REPLY_RECEIVED has not been applied yet (it is queued). */
  | { type: 'FOLLOW_UP_DUE'; scheduledFor: Date; replyPending?: boolean }
  | { type: 'REPLY_RECEIVED'; messageId: string }
  | { type: 'INPUT_PROVIDED'; inputRequestId: string }
  | { type: 'CANCEL_REQUESTED'; reason: string | null }
  | { type: 'DELIVERY_FAILED'; kind: DeliveryFailureKind; reason: string }
  | { type: 'MESSAGE_SENT'; purpose: SendPurpose }
  | { type: 'SEND_FAILED'; reason: string }
  | { type: 'REPLY_EVALUATED'; evaluation: Evaluation };

export type CaseEventType = CaseEvent['type'];

export const CASE_EVENT_TYPES = [
  'CASE_CREATED',
  'FOLLOW_UP_DUE',
  'REPLY_RECEIVED',
  'INPUT_PROVIDED',
  'CANCEL_REQUESTED',
  'DELIVERY_FAILED',
  'MESSAGE_SENT',
  'SEND_FAILED',
  'REPLY_EVALUATED',
] as const satisfies readonly CaseEventType[];

export const WEBHOOK_EVENT_TYPES = ['case.completed', 'case.failed', 'case.input_needed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Work the decision asks for; the service turns each into a job written in the same transaction. */
export type Effect =
  | { type: 'SEND_MESSAGE'; purpose: SendPurpose; replyBody: string | null }
  | { type: 'EVALUATE_REPLY' }
  | { type: 'SCHEDULE_FOLLOW_UP'; at: Date }
  | { type: 'EMIT_WEBHOOK'; eventType: WebhookEventType };
