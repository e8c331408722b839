// SMS_TRANSPORT=twilio: texts leave through the official SDK (Messages API), each with a status callback that
// reports delivery failures back to us (twilio.routes.ts). TWILIO_BASE_URL moves every API call elsewhere (a test's
// fake, a proxy): the SDK's own HTTP client runs unchanged, only the origin of its URLs is replaced.
import type twilio from 'twilio';
import { twilioSdk } from './twilio-sdk.client';
import { TerminalSendError, type MailTransport, type OutboundMail, type SendResult } from './mail.types';
import { twilioErrorVerdict } from './twilio-error.policy';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  /** An E.164 number, or a Messaging Service SID (MG...). */
  from: string;
  /** https://api.twilio.com unless overridden. */
  baseUrl: string;
  /** PUBLIC_URL + /webhooks/twilio/status. */
  statusCallbackUrl: string;
  timeoutMs?: number;
}

const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/** The SDK's request client with the API origin replaced: everything else (auth, form encoding, errors) is the SDK's. */
function baseUrlRequestClient(origin: string, timeoutMs: number): twilio.RequestClient {
  const client = new (twilioSdk().RequestClient)({ timeout: timeoutMs, keepAlive: true });
  const request = client.request.bind(client);
  client.request = ((opts) => {
    const uri = opts.uri.startsWith(TWILIO_API_ORIGIN) ? origin + opts.uri.slice(TWILIO_API_ORIGIN.length) : opts.uri;
    return request({ ...opts, uri });
  }) as typeof client.request;
  return client;
}

export function createTwilioSmsTransport(options: TwilioSmsOptions): MailTransport {
  const origin = options.baseUrl.replace(/\/+$/, '');
  const httpClient =
    origin === TWILIO_API_ORIGIN ? undefined : baseUrlRequestClient(origin, options.timeoutMs ?? 30_000);
  const client = twilioSdk()(options.accountSid, options.authToken, {
    ...(httpClient ? { httpClient } : {}),
    timeout: options.timeoutMs ?? 30_000,
  });
  const sender = options.from.startsWith('MG') ? { messagingServiceSid: options.from } : { from: options.from };
  return {
    name: 'twilio',
    async send(mail: OutboundMail): Promise<SendResult> {
      try {
        const sent = await client.messages.create({
          ...sender,
          to: mail.to.address,
          body: mail.text,
          statusCallback: options.statusCallbackUrl,
        });
        return { providerMessageId: sent.sid };
      } catch (error) {
        throw asSendError(error);
      }
    },
  };
}

/**
 * A 4xx from the API is Twilio's verdict on this message (a bad number, an unsubscribed recipient): terminal. 401 and
 * 403 are our credentials, 429 is a rate limit, 5xx and network errors are Twilio's trouble: pg-boss retries those.
 */
function asSendError(error: unknown): unknown {
  if (!(error instanceof twilioSdk().RestException)) return error;
  const { status } = error;
  if (status < 400 || status >= 500 || status === 401 || status === 403 || status === 429) return error;
  const verdict = twilioErrorVerdict(error.code ?? null, error.message);
  return new TerminalSendError(verdict.reason, { cause: error, outcome: verdict.outcome });
}
