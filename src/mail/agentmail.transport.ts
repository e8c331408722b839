// Mail through AgentMail. One inbox serves the whole deployment (AGENTMAIL_INBOX_ID, an address such as
// cases@offload.example): an inbox per case would cost an API call, an inbox and a slot of the plan's inbox quota for
// every case, and leave inboxes to clean up. So AgentMail replies do not find their case by recipient as SMTP replies
// do; the service matches them by thread_id, In-Reply-To (AgentMail's message_id, returned here as providerMessageId)
// and the `case:<caseId>` label put on every message we send. The persona's display name is the inbox's, set once
// when the inbox is created: AgentMail takes no per-message From.
// Each send carries an Idempotency-Key derived from our Message-ID, so a retried job never mails twice.
import { OUTBOUND_HEADERS } from './outbound-headers.policy';
import {
  AgentmailApiError,
  createAgentmailClient,
  type AgentmailClient,
  type AgentmailClientOptions,
  type AgentmailSendBody,
} from './agentmail.client';
import type { MailAddress, MailTransport, OutboundMail, SendResult } from './mail.types';
import { listUnsubscribeHeaders, TerminalSendError } from './mail.types';

export interface AgentmailTransportOptions extends AgentmailClientOptions {
  /** The deployment's inbox (its id is its address); OutboundMail.inboxId overrides it per message. */
  inboxId: string;
}

export interface AgentmailTransport extends MailTransport {
  readonly name: 'agentmail';
  /** The attachment service's AttachmentLink, spelled out: adapters do not import the application. */
  getAttachmentLink(
    inboxId: string,
    messageId: string,
    attachmentId: string,
  ): Promise<{ url: string; expiresAt: Date }>;
}

export function createAgentmailTransport(options: AgentmailTransportOptions): AgentmailTransport {
  const client = createAgentmailClient(options);
  return {
    name: 'agentmail',
    send: (mail) => sendMail(client, mail.inboxId ?? options.inboxId, mail),
    getAttachmentLink: (inboxId, messageId, attachmentId) =>
      getAgentmailAttachmentLink(client, inboxId, messageId, attachmentId),
  };
}

async function sendMail(client: AgentmailClient, inboxId: string, mail: OutboundMail): Promise<SendResult> {
  const key = idempotencyKey(mail.messageId);
  const headers = listUnsubscribeHeaders(mail.listUnsubscribe);
  const body: AgentmailSendBody = {
    to: [formatAddress(mail.to)],
    text: mail.text,
    labels: [`case:${mail.caseId}`],
    headers: { ...OUTBOUND_HEADERS, ...headers },
  };
  try {
    // A reply keeps the provider's thread and threading headers; the subject follows the original ("Re: ...").
    const sent = mail.replyToProviderMessageId
      ? await client.reply(inboxId, mail.replyToProviderMessageId, body, key)
      : await client.send(inboxId, { ...body, subject: mail.subject }, key);
    return { providerMessageId: sent.message_id, threadId: sent.thread_id };
  } catch (err) {
    throw mapAgentmailError(err);
  }
}

/** A download link minted by AgentMail; it expires, so mint one per download rather than storing it. */
export async function getAgentmailAttachmentLink(
  client: AgentmailClient,
  inboxId: string,
  messageId: string,
  attachmentId: string,
): Promise<{ url: string; expiresAt: Date }> {
  const attachment = await client.getAttachment(inboxId, messageId, attachmentId);
  return { url: attachment.download_url, expiresAt: new Date(attachment.expires_at) };
}

/**
 * 4xx (bad address, rejected content, unknown message...) will not change on retry; 408/429/5xx/network may.
 * 401 is a wrong AGENTMAIL_API_KEY: our configuration, so it is retried until fixed instead of failing every case.
 */
export function mapAgentmailError(err: unknown): Error {
  if (err instanceof AgentmailApiError && !err.retryable && err.status !== 401) {
    return new TerminalSendError(err.message, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`AgentMail send failed (will retry): ${message}`, { cause: err });
}

/** AgentMail keys allow 1-256 of [A-Za-z0-9-._~]; a Message-ID is unique, so its mapping is too in practice. */
export function idempotencyKey(messageId: string): string {
  return messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._~-]/g, '_')
    .slice(0, 256);
}

function formatAddress(a: MailAddress): string {
  const name = a.name?.replace(/["\\\r\n]/g, '').trim();
  return name ? `"${name}" <${a.address}>` : a.address;
}
