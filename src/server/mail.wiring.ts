// Chooses the mail transport from MAIL_TRANSPORT and mounts its inbound routes.
import type { Express } from 'express';
import type { Config } from '../config/env.config';
import { createAgentmailClient, type AgentmailClient } from '../mail/agentmail.client';
import { withFullBody } from '../mail/agentmail-message.client';
import { agentmailWebhookRouter } from '../mail/agentmail.routes';
import { createAgentmailTransport, type AgentmailTransport } from '../mail/agentmail.transport';
import type { AgentmailEvent } from '../mail/agentmail-webhook.guard';
import { createLocalTransport } from '../mail/local.transport';
import type { MailTransport } from '../mail/mail.types';
import { createMailAuthenticator, type DNSResolver } from '../mail/mail-auth.guard';
import { createSmtpInbound } from '../mail/smtp-inbound.server';
import { createSmtpTransport } from '../mail/smtp.transport';
import { createTwilioSmsTransport } from '../mail/twilio-sms.transport';
import { twilioWebhookRouter } from '../mail/twilio.routes';
import type { ProviderLinkFn } from '../services/attachments/attachment.service';
import type { InboundService } from '../services/inbound/inbound.service';
import type { Services } from '../services/service.registry';
import type { Logger } from '../observability/logger.factory';
import { withMailRate } from '../services/limits/mail-gate.service';
import type { SharedLimiter } from '../services/limits/shared-limiter.service';

/** `dnsResolver` replaces the system's DNS for SPF/DKIM/DMARC lookups (tests run offline with fixed records). */
export function createMailTransport(config: Config, logger: Logger, dnsResolver?: DNSResolver): MailTransport {
  switch (config.MAIL_TRANSPORT) {
    case 'local':
      return createLocalTransport();
    case 'smtp':
      return createSmtpTransport({
        smtpUrl: required(config.SMTP_URL, 'SMTP_URL'),
        inbound: createSmtpInbound({
          port: config.INBOUND_SMTP_PORT,
          host: config.INBOUND_SMTP_HOST,
          maxBytes: config.INBOUND_SMTP_MAX_BYTES,
          maxAttachments: config.INBOUND_MAX_ATTACHMENTS,
          domain: config.MAIL_DOMAIN,
          logger: logger.child({ component: 'smtp-inbound' }),
          ...(config.INBOUND_SMTP_VERIFY_SENDER ? { authenticate: createMailAuthenticator(dnsResolver) } : {}),
        }),
      });
    case 'agentmail':
      return createAgentmailTransport({
        apiKey: required(config.AGENTMAIL_API_KEY, 'AGENTMAIL_API_KEY'),
        baseUrl: config.AGENTMAIL_BASE_URL,
        inboxId: required(config.AGENTMAIL_INBOX_ID, 'AGENTMAIL_INBOX_ID'),
      });
    default: {
      const unknown: never = config.MAIL_TRANSPORT;
      throw new Error(`MAIL_TRANSPORT=${String(unknown)} is not a known transport`);
    }
  }
}

/** With MAIL_RATE_PER_MINUTE, sends wait for a slot per sending domain shared by every worker (none is dropped). */
export function applyMailRate(
  transport: MailTransport,
  config: Config,
  limiter: SharedLimiter,
  signal: AbortSignal,
): MailTransport {
  return config.MAIL_RATE_PER_MINUTE
    ? withMailRate(transport, limiter, config.MAIL_RATE_PER_MINUTE, signal)
    : transport;
}

/** SMS_TRANSPORT: texts through Twilio, or (local) only onto the case's thread. */
export function createSmsTransport(config: Config): MailTransport {
  if (config.SMS_TRANSPORT === 'local') return createLocalTransport();
  return createTwilioSmsTransport({
    accountSid: requiredFor(config.TWILIO_ACCOUNT_SID, 'TWILIO_ACCOUNT_SID', 'SMS_TRANSPORT'),
    authToken: requiredFor(config.TWILIO_AUTH_TOKEN, 'TWILIO_AUTH_TOKEN', 'SMS_TRANSPORT'),
    from: requiredFor(config.TWILIO_FROM, 'TWILIO_FROM', 'SMS_TRANSPORT'),
    baseUrl: config.TWILIO_BASE_URL,
    statusCallbackUrl: `${config.publicUrl}${TWILIO_STATUS_PATH}`,
  });
}

const TWILIO_STATUS_PATH = '/webhooks/twilio/status';

/** POST /webhooks/twilio and /webhooks/twilio/status, signed with the auth token over PUBLIC_URL + the path. */
export function mountSmsRoutes(app: Express, config: Config, services: Services, logger: Logger): void {
  if (config.SMS_TRANSPORT !== 'twilio') return;
  app.use(
    twilioWebhookRouter({
      authToken: requiredFor(config.TWILIO_AUTH_TOKEN, 'TWILIO_AUTH_TOKEN', 'SMS_TRANSPORT'),
      publicUrl: config.publicUrl,
      onText: async (text) => {
        await services.sms.receiveText({
          providerMessageId: text.messageSid,
          from: text.from,
          to: text.to,
          body: text.body,
        });
      },
      onStatus: (status) =>
        services.sms.statusUpdate({
          providerMessageId: status.messageSid,
          status: status.status,
          errorCode: status.errorCode,
          errorMessage: status.errorMessage,
        }),
      logger: logger.child({ component: 'twilio-webhook' }),
    }),
  );
}

/** Attachments AgentMail keeps are downloaded through a fresh provider link; other transports keep the bytes. */
export function providerAttachmentLinks(transport: MailTransport | null): ProviderLinkFn | null {
  if (transport?.name !== 'agentmail') return null;
  const agentmail = transport as AgentmailTransport;
  return async (attachment) => {
    const { inboxId, providerMessageId, providerAttachmentId } = attachment;
    if (!inboxId || !providerMessageId || !providerAttachmentId)
      throw new Error(`attachment ${attachment.id} lacks inboxId, providerMessageId or providerAttachmentId`);
    return agentmail.getAttachmentLink(inboxId, providerMessageId, providerAttachmentId);
  };
}

/** Inbound provider routes (e.g. /webhooks/agentmail); mounted before any JSON body parser. */
export function mountMailRoutes(app: Express, config: Config, services: Services, logger: Logger): void {
  if (config.MAIL_TRANSPORT !== 'agentmail') return;
  const log = logger.child({ component: 'agentmail-webhook' });
  const client = createAgentmailClient({
    apiKey: required(config.AGENTMAIL_API_KEY, 'AGENTMAIL_API_KEY'),
    baseUrl: config.AGENTMAIL_BASE_URL,
  });
  app.use(
    '/webhooks/agentmail',
    agentmailWebhookRouter({
      secret: required(config.AGENTMAIL_WEBHOOK_SECRET, 'AGENTMAIL_WEBHOOK_SECRET'),
      onEvent: (event) => handleAgentmailEvent(services.inbound, event, log, client),
      logger: log,
    }),
  );
}

/** Every branch is idempotent per event id (see InboundService), because Svix delivers at least once. */
export async function handleAgentmailEvent(
  inbound: InboundService,
  event: AgentmailEvent,
  logger: Logger,
  client: Pick<AgentmailClient, 'getMessage'> | null = null,
) {
  switch (event.kind) {
    case 'received': {
      const full = client ? await withFullBody(event, client) : event;
      return inbound.receive({ ...full.mail, labels: full.labels, eventId: full.eventId });
    }
    case 'failure':
      return inbound.deliveryFailed(event.failure);
    case 'delivered':
      return inbound.delivered(event.providerMessageId);
    case 'sent':
      return;
    case 'ignored':
      logger.info({ eventId: event.eventId, eventType: event.eventType }, 'agentmail event ignored');
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unknown agentmail event ${JSON.stringify(unknown)}`);
    }
  }
}

function required(value: string | undefined, name: string): string {
  return requiredFor(value, name, 'MAIL_TRANSPORT');
}

function requiredFor(value: string | undefined, name: string, setting: string): string {
  if (!value) throw new Error(`${name} is required for ${setting}`);
  return value;
}
