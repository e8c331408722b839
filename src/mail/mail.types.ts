// One interface for every outbound transport: mail (local, smtp, agentmail) and SMS (local, twilio).

export interface MailAddress {
  name?: string | null;
  address: string;
}

export interface OutboundMail {
  caseId: string;
  /** SMS goes to the SMS transport (to.address is an E.164 number; no subject, headers or threading); absent: EMAIL. */
  channel?: Channel;
  from: MailAddress;
  to: MailAddress;
  subject: string;
  text: string;
  /** RFC 5322 Message-ID we assign before sending (with angle brackets), so a resend is recognisable. */
  messageId: string;
  /** Threading: the Message-ID of the mail this one answers, and the whole chain. */
  inReplyTo?: string | null;
  references?: string[];
  /** Provider handles of the mail this one answers (AgentMail replies by message id within an inbox). */
  replyToProviderMessageId?: string | null;
  inboxId?: string | null;
  /** RFC 8058 one-click unsubscribe: sent as List-Unsubscribe and List-Unsubscribe-Post. */
  listUnsubscribe?: ListUnsubscribe | null;
}

/** Where the recipient opts out: an https URL that takes the one-click POST, and a mailto. */
export interface ListUnsubscribe {
  url: string;
  mailto: string;
}

/** The headers RFC 8058 asks of a mail that offers one-click unsubscribe. */
export function listUnsubscribeHeaders(list: ListUnsubscribe | null | undefined): Record<string, string> {
  if (!list) return {};
  return {
    'List-Unsubscribe': `<${list.url}>, <${list.mailto}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

export interface SendResult {
  providerMessageId: string;
  threadId?: string | null;
}

/**
 * The provider refused the message for good (SMTP 5xx, AgentMail 4xx, Twilio 4xx): the case fails with REJECTED, or
 * BOUNCED when the provider says the address cannot be reached, or opted_out when the recipient unsubscribed from us
 * at the provider (Twilio 21610).
 */
export class TerminalSendError extends Error {
  override readonly name = 'TerminalSendError';
  constructor(message: string, options?: ErrorOptions & { outcome?: TerminalSendOutcome }) {
    super(message, options);
    this.outcome = options?.outcome ?? 'rejected';
  }
  readonly outcome: TerminalSendOutcome;
}

export type TerminalSendOutcome = 'rejected' | 'bounced' | 'opted_out';

export interface InboundAttachment {
  name: string | null;
  contentType: string | null;
  size: number;
  /** Present when the transport carried the bytes (smtp, local); agentmail keeps them at the provider. */
  content?: Buffer;
  providerAttachmentId?: string | null;
}

export interface InboundMail {
  /** Every recipient address (To, Cc, envelope RCPT) in lower case. */
  recipients: string[];
  from: MailAddress;
  subject: string | null;
  /** Full text as received. */
  text: string;
  /** Text with quoted history and signatures stripped: what the agent evaluates. */
  newText: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  attachments: InboundAttachment[];
  providerMessageId?: string | null;
  providerThreadId?: string | null;
  inboxId?: string | null;
  /** Provider labels (AgentMail); ours are `case:<caseId>`. */
  labels?: string[];
  /** The provider event that carried this mail: the same event delivered twice has one effect. */
  eventId?: string | null;
  /** Whose event id it is (AgentMail's unless said). */
  eventProvider?: EventProvider;
  receivedAt: Date;
  /** The provider held this mail back (AgentMail spam/blocked/unauthenticated); kept, shown, evaluated with care. */
  quarantine?: QuarantineLabel | null;
  /** SMTP only: the MAIL FROM address, lower-cased ('' for the null sender); absent where there is no envelope. */
  envelopeFrom?: string;
  /** SMTP only: the SPF/DKIM/DMARC verdict; absent when nothing was verified (other transports, DNS errors). */
  auth?: MailAuthVerdict | null;
  /** An auto-reply (auto-reply.parser.ts): stored, never answered. */
  autoReply?: { signal: string } | null;
}

/** What mailauth concluded about one message, as stored on it. */
export interface MailAuthVerdict {
  spf: string;
  dkim: string;
  dmarc: string;
  /** The policy DMARC applied (none, quarantine, reject), when there was a record. */
  dmarcPolicy: string | null;
  /** DMARC failed for a domain that asks receivers to reject or quarantine such mail: it never drives a case. */
  dmarcRejects: boolean;
}

/** Providers whose events carry ids we keep (provider_events). */
export type EventProvider = 'agentmail' | 'twilio';

export const QUARANTINE_LABELS = ['spam', 'blocked', 'unauthenticated'] as const;
export type QuarantineLabel = (typeof QUARANTINE_LABELS)[number];

import type { Channel } from '../domain/case.model';
export type { DeliveryFailureKind } from '../domain/delivery.types';
import type { DeliveryFailureKind } from '../domain/delivery.types';

export interface DeliveryFailure {
  kind: DeliveryFailureKind;
  reason: string;
  /** How to find the case: our Message-ID of the failed mail, or the provider's message id. */
  messageId?: string | null;
  providerMessageId?: string | null;
  recipients?: string[];
  /** Provider's event id, for processing each event once. */
  eventId?: string | null;
  eventProvider?: EventProvider;
}

/** What a transport calls when mail or a provider event arrives. Implemented by the service layer. */
export interface InboundSink {
  isKnownRecipient(address: string): Promise<boolean>;
  receive(mail: InboundMail): Promise<void>;
  deliveryFailed(failure: DeliveryFailure): Promise<void>;
}

export interface MailTransport {
  readonly name: 'local' | 'smtp' | 'agentmail' | 'twilio';
  /**
   * True when sending is nothing but our own record (the local transport): the worker then sends inside the
   * transaction that records the send (for a plain step's mail, the step's own transaction), so a crash leaves
   * nothing in doubt.
   */
  readonly recordsOnly?: boolean;
  send(mail: OutboundMail): Promise<SendResult>;
  /** Starts listeners (the SMTP server); the HTTP-based inbound routes are mounted by the server. */
  start?(sink: InboundSink): Promise<void>;
  stop?(): Promise<void>;
  /** Where the SMTP listener is bound, once started (INBOUND_SMTP_PORT=0 picks a free port). */
  inboundAddress?(): { host: string; port: number } | null;
}

/** Where a provider keeps an attachment's bytes (AgentMail); null fields: the bytes are ours or unknown. */
export interface ProviderAttachmentRef {
  inboxId: string | null;
  providerMessageId: string | null;
  providerAttachmentId: string | null;
}

/** Bytes of a provider-held attachment, at most `maxBytes`; 'too_large' past it; null when unavailable now. */
export type ProviderBytes = (file: ProviderAttachmentRef, maxBytes: number) => Promise<Buffer | 'too_large' | null>;
