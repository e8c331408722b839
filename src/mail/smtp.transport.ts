// Outgoing mail through any SMTP relay (SMTP_URL). Each case mails from its own address so that a reply finds the case
// by recipient alone; our own Message-ID goes on the wire so a retried send is recognisable in the thread.
// Errors are split by who can fix them: a 5xx refusal of this message is final (the case fails REJECTED), anything
// else - 4xx, a dropped connection, bad relay credentials - is thrown as a plain Error for the job layer to retry.
import { OUTBOUND_HEADERS } from './outbound-headers.policy';
import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { MailAddress, MailTransport, OutboundMail, SendResult } from './mail.types';
import { listUnsubscribeHeaders, TerminalSendError } from './mail.types';
import type { SmtpInbound } from './smtp-inbound.server';

export interface SmtpTransportOptions {
  /** e.g. smtp://user:pass@relay.example.org:587 or smtps://...; query options such as ?requireTLS=true apply. */
  smtpUrl: string;
  /** The listener for replies; start()/stop() run it alongside the sender. */
  inbound?: SmtpInbound;
  /** Connection and greeting timeout; a socket idle for twice this long is dropped too. */
  timeoutMs?: number;
}

export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const timeout = options.timeoutMs ?? 30_000;
  const transporter = createTransport({
    url: options.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    // Message fields come from the agent and the counterparty: never let them name a local file or a URL to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    name: 'smtp',
    async send(mail) {
      try {
        await transporter.sendMail(toMessage(mail));
      } catch (err) {
        throw mapSendError(err);
      }
      return { providerMessageId: mail.messageId } satisfies SendResult;
    },
    async start(sink) {
      await options.inbound?.start(sink);
    },
    async stop() {
      transporter.close();
      await options.inbound?.stop();
    },
    inboundAddress() {
      try {
        return options.inbound?.address() ?? null;
      } catch {
        return null; // not listening (a worker-only process)
      }
    },
  };
}

function toMessage(mail: OutboundMail) {
  return {
    from: address(mail.from),
    to: address(mail.to),
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo ?? undefined,
    references: mail.references?.length ? mail.references : undefined,
    headers: { ...OUTBOUND_HEADERS, ...listUnsubscribeHeaders(mail.listUnsubscribe) },
  };
}

function address(a: MailAddress): { name: string; address: string } | string {
  return a.name ? { name: a.name, address: a.address } : a.address;
}

/** Bad relay credentials are our configuration problem: retried until an operator fixes them, never a case failure. */
const CONFIGURATION_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'ETLS', 'EREQUIRETLS']);

export function mapSendError(err: unknown): Error {
  const e = err as NodemailerError;
  const code = e.responseCode;
  // 503 is "bad sequence of commands": the session was confused, the message was not refused.
  const permanent = code !== undefined && code >= 500 && code !== 503;
  if (permanent && !CONFIGURATION_CODES.has(e.code ?? '')) {
    return new TerminalSendError(e.response ?? e.message, { cause: err });
  }
  const detail = code ? `${code} ${e.response ?? e.message}` : `${e.code ?? 'error'}: ${e.message}`;
  return new Error(`SMTP send failed (will retry): ${detail}`, { cause: err });
}
