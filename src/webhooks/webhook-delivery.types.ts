// What one delivery attempt found: made by webhook.sender.ts, judged by retry.policy.ts, recorded by the service.
import type { SafeHttpErrorCode } from './safe-http.client';

type DeliveryErrorCode = SafeHttpErrorCode | 'REDIRECT' | 'HTTP_STATUS' | 'SIGNING';

export interface DeliveryError {
  code: DeliveryErrorCode;
  message: string;
}

export interface WebhookDeliveryResult {
  /** A 2xx answer; nothing else counts. */
  ok: boolean;
  /** Null when no HTTP answer was obtained. */
  statusCode: number | null;
  error: DeliveryError | null;
  durationMs: number;
  /** The receiver's Retry-After on a non-2xx answer, in milliseconds from when the answer arrived. */
  retryAfterMs: number | null;
  responseSnippet: string | null;
}
