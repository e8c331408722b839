// AgentMail delivers events through Svix. The signature covers the exact bytes sent, so verification must see the raw
// body before any JSON parser touches it; svix also refuses timestamps more than 5 minutes off, which bounds replays.
import { Webhook, WebhookVerificationError } from 'svix';
import { z } from 'zod';
import { toAgentmailEvent, type AgentmailEvent } from './agentmail-event.schema';

export type { AgentmailEvent } from './agentmail-event.schema';

export type AgentmailWebhookErrorCode = 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_PAYLOAD_INVALID';

/** A request that is not a valid AgentMail event: answered 401 (signature) or 400 (payload), never retried by us. */
export class AgentmailWebhookError extends Error {
  override readonly name = 'AgentmailWebhookError';
  constructor(
    readonly code: AgentmailWebhookErrorCode,
    message: string,
  ) {
    super(message);
  }

  get httpStatus(): 401 | 400 {
    return this.code === 'WEBHOOK_SIGNATURE_INVALID' ? 401 : 400;
  }
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

const SIGNATURE_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature'] as const;

/**
 * Verifies the Svix signature of `rawBody` and maps the event. `secret` is the endpoint's `whsec_...` secret, or a
 * Webhook built from it once (a malformed secret is a configuration error and throws a plain Error).
 */
export async function parseAgentmailWebhook(
  rawBody: Buffer | string,
  headers: WebhookHeaders,
  secret: string | Webhook,
): Promise<AgentmailEvent> {
  const verifier = typeof secret === 'string' ? new Webhook(secret) : secret;
  const payload = verify(verifier, rawBody, headers);
  try {
    return await toAgentmailEvent(payload);
  } catch (err) {
    if (err instanceof z.ZodError) {
      throw new AgentmailWebhookError('WEBHOOK_PAYLOAD_INVALID', `invalid AgentMail event: ${z.prettifyError(err)}`);
    }
    throw err;
  }
}

function verify(verifier: Webhook, rawBody: Buffer | string, headers: WebhookHeaders): unknown {
  try {
    return verifier.verify(rawBody, signatureHeaders(headers));
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      throw new AgentmailWebhookError('WEBHOOK_SIGNATURE_INVALID', err.message);
    }
    // A correctly signed body that is not JSON.
    if (err instanceof SyntaxError) throw new AgentmailWebhookError('WEBHOOK_PAYLOAD_INVALID', 'body is not JSON');
    throw err;
  }
}

function signatureHeaders(headers: WebhookHeaders): Record<string, string> {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
  const picked: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = lower.get(name);
    if (!value) throw new AgentmailWebhookError('WEBHOOK_SIGNATURE_INVALID', `missing ${name} header`);
    picked[name] = value;
  }
  return picked;
}
