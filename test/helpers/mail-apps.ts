// Offload started with a real mail transport, and the counterparty's side of it:
// - smtp: our outbound goes to a test relay (the SMTP sink), replies are sent with a real SMTP client to our listener;
// - agentmail: the AgentMail HTTP fake, inbound events posted to /webhooks/agentmail with real Svix signatures.
import { randomUUID } from 'node:crypto';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import { caseAddress } from '../../src/mail/case-address.mapper';
import {
  newWebhookSecret,
  signAgentmailWebhook,
  startAgentmailFake,
  type AgentmailFake,
  type FakeAttachment,
} from '../fakes/agentmail-fake';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../fakes/smtp-sink';
import { startTestApp, type TestApp, type TestAppOptions } from './offload';
import { VENDOR } from './reply.helper';

export const MAIL_DOMAIN = 'offload.test';
export const AGENTMAIL_INBOX = 'cases@offload.test';

/** The rules agent, and an hour of case time per second: what the mail tests run with unless they say otherwise. */
const DEFAULTS = { AGENT: 'rules', OFFLOAD_TIME_SCALE: '3600' };

export interface SmtpApp {
  app: TestApp;
  /** The relay our outbound mail goes to. */
  sink: SmtpSink;
  /** An SMTP client connected to Offload's inbound listener. */
  client: Transporter;
  listener: { host: string; port: number };
  /** The case's reply address. */
  address(caseId: string): string;
  /** Mail the relay received from the case, oldest first. */
  mailsOf(caseId: string): SinkMessage[];
  /** A plain reply from the counterparty to the case's address; `extra` adds or overrides fields. */
  reply(caseId: string, text: string, extra?: SendMailOptions): Promise<void>;
  /** A delivery status notification (a bounce: 550 5.1.1 User unknown) of our mail `messageId`, sent to the case. */
  bounce(caseId: string, messageId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtpApp(
  label: string,
  env: Record<string, string> = {},
  options: Omit<TestAppOptions, 'env'> = {},
): Promise<SmtpApp> {
  const sink = await startSmtpSink();
  const app = await startTestApp(label, {
    ...options,
    env: {
      ...DEFAULTS,
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: sink.url,
      MAIL_DOMAIN,
      INBOUND_SMTP_PORT: '0',
      ...env,
    },
  }).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  const listener = app.offload.mail.inboundAddress?.();
  if (!listener) throw new Error('the SMTP listener is not running');
  const client = createTransport({ host: listener.host, port: listener.port, secure: false, ignoreTLS: true });
  const address = (caseId: string) => caseAddress(caseId, MAIL_DOMAIN);
  return {
    app,
    sink,
    client,
    listener,
    address,
    mailsOf: (caseId) => sink.messages.filter((m) => m.envelope.from === address(caseId)),
    reply: async (caseId, text, extra = {}) => {
      await client.sendMail({
        from: `Vera Vendor <${VENDOR}>`,
        to: address(caseId),
        subject: 'Re: W-9',
        text,
        ...extra,
      });
    },
    bounce: async (caseId, messageId) => {
      await client.sendMail({
        envelope: { from: '', to: [address(caseId)] },
        raw: bounceReport(address(caseId), messageId),
      });
    },
    stop: async () => {
      client.close();
      await app.stop();
      await sink.close();
    },
  };
}

/** What the counterparty answers: our mail as AgentMail knows it. */
export interface AgentmailSent {
  providerMessageId: string;
  threadId: string;
}

export interface AgentmailApp {
  app: TestApp;
  fake: AgentmailFake;
  /** The endpoint secret Offload verifies webhooks with. */
  secret: string;
  /** Signs `payload` with the secret and posts it to /webhooks/agentmail. */
  deliver(payload: object | string, options?: Parameters<typeof signAgentmailWebhook>[2]): Promise<Response>;
  /**
   * A message.received event from the counterparty answering `sent`; the fake learns the message so it can be
   * replied to and its attachments fetched.
   */
  replyEvent(
    sent: AgentmailSent,
    text: string,
    over?: Record<string, unknown>,
    attachments?: FakeAttachment[],
  ): AgentmailReplyEvent;
  stop(): Promise<void>;
}

export interface AgentmailReplyEvent {
  type: 'event';
  event_type: 'message.received';
  event_id: string;
  message: { message_id: string; thread_id: string; [field: string]: unknown };
}

export async function startAgentmailApp(
  label: string,
  env: Record<string, string> = {},
  options: Omit<TestAppOptions, 'env'> = {},
): Promise<AgentmailApp> {
  const fake = await startAgentmailFake();
  const secret = newWebhookSecret();
  const app = await startTestApp(label, {
    ...options,
    env: {
      ...DEFAULTS,
      MAIL_TRANSPORT: 'agentmail',
      AGENTMAIL_API_KEY: fake.apiKey,
      AGENTMAIL_BASE_URL: fake.baseUrl,
      AGENTMAIL_INBOX_ID: AGENTMAIL_INBOX,
      AGENTMAIL_WEBHOOK_SECRET: secret,
      ...env,
    },
  }).catch(async (error: unknown) => {
    await fake.close();
    throw error;
  });
  return {
    app,
    fake,
    secret,
    deliver: (payload, signing = {}) => {
      const { body, headers } = signAgentmailWebhook(secret, payload, signing);
      return fetch(`${app.url}/webhooks/agentmail`, { method: 'POST', body, headers });
    },
    replyEvent: (sent, text, over = {}, attachments = []) => {
      const message = {
        inbox_id: AGENTMAIL_INBOX,
        thread_id: sent.threadId,
        message_id: `<${randomUUID()}@example.com>`,
        labels: ['received'],
        timestamp: new Date().toISOString(),
        from: `Vera Vendor <${VENDOR}>`,
        to: [`Sam Sender <${AGENTMAIL_INBOX}>`],
        subject: 'Re: W-9',
        text,
        in_reply_to: sent.providerMessageId,
        references: [sent.providerMessageId],
        attachments: attachments.map(({ content: _bytes, ...metadata }) => metadata),
        ...over,
      };
      fake.addMessage(AGENTMAIL_INBOX, message.message_id, sent.threadId, attachments);
      return { type: 'event', event_type: 'message.received', event_id: `evt_${randomUUID()}`, message };
    },
    stop: async () => {
      await app.stop();
      await fake.close();
    },
  };
}

function bounceReport(caseAddr: string, messageId: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
    `To: ${caseAddr}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${randomUUID()}@mx.example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"',
    '',
    '--BOUNDARY',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Your message could not be delivered to ${VENDOR}.`,
    '',
    '--BOUNDARY',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    '',
    `Final-Recipient: rfc822; ${VENDOR}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${VENDOR}>: Recipient address rejected: User unknown`,
    '',
    '--BOUNDARY',
    'Content-Type: text/rfc822-headers',
    '',
    `From: Sam Sender <${caseAddr}>`,
    `To: ${VENDOR}`,
    'Subject: Acme: Collect a signed W-9 from the vendor',
    `Message-ID: ${messageId}`,
    '',
    '--BOUNDARY--',
    '',
  ].join('\r\n');
}
