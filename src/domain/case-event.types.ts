// What can happen to a case: worker events (CASE_CREATED ... CANCEL_REQUESTED) and the results of the worker's
// own I/O (MESSAGE_SENT, SEND_FAILED, REPLY_EVALUATED), all fed through the same decide().
import type { Evaluation, SendPurpose } from './evaluation.types';
import type { DeliveryFailureKind } from './delivery.types';

export type CaseEvent =
  | { type: 'CASE_CREATED' }
  /** replyPending: an inbound message is stored whose REPLY_RECEIVED has not been applied yet (it is queued). */
  | { type: 'FOLLOW_UP_DUE'; scheduledFor: Date; replyPending?: boolean }
  | { type: 'REPLY_RECEIVED'; messageId: string }
  /** An automatic answer (out of office, RFC 3834): never answered; returnDate is read from its text when it says. */
  | { type: 'AUTO_REPLY_RECEIVED'; messageId: string; returnDate: Date | null }
  | { type: 'INPUT_PROVIDED'; inputRequestId: string }
  | { type: 'CANCEL_REQUESTED'; reason: string | null }
  | { type: 'DELIVERY_FAILED'; kind: DeliveryFailureKind; reason: string }
  | { type: 'MESSAGE_SENT'; purpose: SendPurpose }
  | { type: 'SEND_FAILED'; reason: string }
  | { type: 'REPLY_EVALUATED'; evaluation: Evaluation }
  /** The counterparty's address is on the account's suppression list (or was just put there by an unsubscribe). */
  | { type: 'SUPPRESSED'; resultStatus: SuppressedResultStatus; reason: string };

/**
 * `unsubscribed`: the counterparty opted out of this case; `optedOut`: they texted STOP (SMS); `suppressed`: the
 * address was suppressed otherwise.
 */
export type SuppressedResultStatus = 'suppressed' | 'unsubscribed' | 'optedOut';

export type CaseEventType = CaseEvent['type'];

export const CASE_EVENT_TYPES = [
  'CASE_CREATED',
  'FOLLOW_UP_DUE',
  'REPLY_RECEIVED',
  'AUTO_REPLY_RECEIVED',
  'INPUT_PROVIDED',
  'CANCEL_REQUESTED',
  'DELIVERY_FAILED',
  'MESSAGE_SENT',
  'SEND_FAILED',
  'REPLY_EVALUATED',
  'SUPPRESSED',
] as const satisfies readonly CaseEventType[];

/** Every event an account's webhook endpoints can subscribe to (SPEC §11). */
export const WEBHOOK_EVENT_TYPES = [
  'case.created',
  'case.running',
  'case.input_needed',
  'case.completed',
  'case.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The seed's three: all a case's own clientWebhookUrl receives, as the reference sends no created/running events. */
export const CASE_URL_EVENT_TYPES: readonly WebhookEventType[] = ['case.completed', 'case.failed', 'case.input_needed'];

/** Work the decision asks for; the service turns each into a job written in the same transaction. */
export type Effect =
  | { type: 'SEND_MESSAGE'; purpose: SendPurpose; replyBody: string | null }
  | { type: 'EVALUATE_REPLY' }
  | { type: 'SCHEDULE_FOLLOW_UP'; at: Date }
  | { type: 'EMIT_WEBHOOK'; eventType: WebhookEventType };
