// One delivery attempt: sign, POST through the SSRF-safe client, and describe what happened. Failures are results,
// not exceptions, because every attempt is recorded and the retry policy decides what happens next.
import { performance } from 'node:perf_hooks';
import { parseRetryAfterMs } from './retry.policy';
import { safePost, SafeHttpError, type HostResolver, type SafeHttpResponse } from './safe-http.client';
import type { DeliveryError, WebhookDeliveryResult } from './webhook-delivery.types';
import { signWebhook } from './webhook.signer';

export const WEBHOOK_USER_AGENT = 'Offload-Webhooks/1';

export interface WebhookDeliveryRequest {
  url: string;
  secret: string;
  /** Same on every attempt of one event (the envelope's event_id). */
  webhookId: string;
  /** The attempt's time; defaults to now. Receivers refuse signatures more than five minutes off. */
  timestamp?: Date;
  /** The exact bytes to send and sign. */
  body: string;
  /** WEBHOOK_TIMEOUT_MS: the configuration is the one place that says how long an attempt may take. */
  timeoutMs: number;
  allowPrivate?: boolean;
  resolver?: HostResolver;
}

export async function deliverWebhook(req: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> {
  const started = performance.now();
  const finish = (outcome: Omit<WebhookDeliveryResult, 'durationMs'>): WebhookDeliveryResult => ({
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  });
  let headers: Record<string, string>;
  try {
    headers = requestHeaders(req);
  } catch (err) {
    return finish(noAnswer({ code: 'SIGNING', message: `cannot sign with this secret: ${messageOf(err)}` }));
  }
  try {
    const options = { allowPrivate: req.allowPrivate, resolver: req.resolver };
    const response = await safePost(req.url, { headers, body: req.body, timeoutMs: req.timeoutMs }, options);
    return finish(judgeResponse(response, new Date()));
  } catch (err) {
    const code = err instanceof SafeHttpError ? err.code : 'NETWORK';
    return finish(noAnswer({ code, message: messageOf(err) }));
  }
}

function requestHeaders(req: WebhookDeliveryRequest): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    ...signWebhook(req.secret, req.webhookId, req.timestamp ?? new Date(), req.body),
  };
}

function judgeResponse(response: SafeHttpResponse, receivedAt: Date): Omit<WebhookDeliveryResult, 'durationMs'> {
  const { statusCode, bodySnippet } = response;
  const answered = { statusCode, responseSnippet: bodySnippet };
  if (statusCode >= 200 && statusCode < 300) return { ok: true, error: null, retryAfterMs: null, ...answered };
  const retryAfterMs = parseRetryAfterMs(firstHeader(response, 'retry-after'), receivedAt);
  return { ok: false, error: statusError(response), retryAfterMs, ...answered };
}

function statusError(response: SafeHttpResponse): DeliveryError {
  const { statusCode } = response;
  if (statusCode >= 300 && statusCode < 400) {
    const location = firstHeader(response, 'location');
    const target = location ? ` to ${location.slice(0, 200)}` : '';
    return { code: 'REDIRECT', message: `receiver answered ${statusCode}${target}; redirects are not followed` };
  }
  return { code: 'HTTP_STATUS', message: `receiver answered ${statusCode}` };
}

function firstHeader(response: SafeHttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function noAnswer(error: DeliveryError): Omit<WebhookDeliveryResult, 'durationMs'> {
  return { ok: false, statusCode: null, error, retryAfterMs: null, responseSnippet: null };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
