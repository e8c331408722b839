// Standard Webhooks signatures (standardwebhooks.com): receivers verify us with any Standard Webhooks or Svix
// library instead of code of ours. The signing itself is the package's, so we cannot drift from the spec.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** 256 bits: the HMAC-SHA256 key size, and what Svix issues. */
const SECRET_BYTES = 32;
/** Standard Webhooks accepts keys from 24 bytes (192 bits) up; shorter ones are guessable. */
const MIN_SECRET_BYTES = 24;

export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** Whether `secret` is a usable `whsec_<base64>` secret, for validating configuration and input. */
export function isValidWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return false;
  return Buffer.from(encoded, 'base64').length >= MIN_SECRET_BYTES;
}

/**
 * The three headers for one delivery attempt. `webhookId` stays the same on every retry (receivers deduplicate on
 * it); `timestamp` should be the attempt's own time, because receivers reject signatures older than five minutes.
 * `body` must be the exact bytes sent: the signature covers them, not their JSON meaning.
 */
export function signWebhook(secret: string, webhookId: string, timestamp: Date, body: string): WebhookSignatureHeaders {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(webhookId, timestamp, body),
  };
}
