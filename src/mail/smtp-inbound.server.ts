// The built-in SMTP listener: counterparties reply to a case's own address, and the MX for MAIL_DOMAIN hands the
// message here. Every refusal happens in the SMTP dialogue (RCPT for strangers, DATA for oversized or unreadable mail)
// so the sending MTA, not us, owns the retry or the bounce; a failure on our side answers 4xx and nothing is lost.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { parseRawMail, type ParsedInbound } from './inbound-mail.parser';
import type { MailAuthenticator } from './mail-auth.guard';
import { describeError, silentLogger, type MailLogger } from './mail-logger.types';
import type { InboundSink } from './mail.types';

export interface SmtpInboundOptions {
  port: number;
  host: string;
  /** Largest message accepted, advertised with SIZE and enforced on the byte stream. */
  maxBytes: number;
  /** Most attachments one message may carry; more is refused with 552, as an oversized message is. */
  maxAttachments?: number;
  /** MAIL_DOMAIN: only its addresses are accepted, so the listener is never an open relay. */
  domain: string;
  logger?: MailLogger;
  /** How long stop() lets a message in flight finish before closing its connection. */
  closeTimeoutMs?: number;
  /** SPF/DKIM/DMARC verification (mail-auth.guard.ts); without it no verdict is recorded. */
  authenticate?: MailAuthenticator;
}

export interface SmtpInbound {
  start(sink: InboundSink): Promise<void>;
  stop(): Promise<void>;
  /** Where the listener is bound (port 0 in the options picks a free port). */
  address(): { host: string; port: number };
}

/** An error smtp-server turns into the SMTP reply `${responseCode} ${message}`. */
class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

const TEMPORARY = () => new SmtpReply(451, '4.3.0 Temporary failure, please try again later');

export function createSmtpInbound(options: SmtpInboundOptions): SmtpInbound {
  const logger = options.logger ?? silentLogger;
  const domain = options.domain.toLowerCase();
  let sink: InboundSink | null = null;

  const server = new SMTPServer({
    name: domain,
    banner: 'Offload inbound',
    size: options.maxBytes,
    rejectOversized: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: options.closeTimeoutMs ?? 10_000,
    onRcptTo: (address, _session, callback) => {
      checkRecipient(address, domain, sink).then(
        () => callback(),
        (err: unknown) => callback(asReply(err, logger)),
      );
    },
    onData: (stream, session, callback) => {
      receiveData(stream, session, options, sink, logger).then(
        () => callback(),
        (err: unknown) => callback(asReply(err, logger)),
      );
    },
  });
  // Socket-level errors of one client must never take the process down.
  server.on('error', (err: Error) => logger.warn(describeError(err), 'smtp inbound: connection error'));

  return {
    async start(target) {
      sink = target;
      await listen(server, options.port, options.host);
    },
    async stop() {
      if (!server.server.listening) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    address() {
      const bound = server.server.address() as AddressInfo | null;
      if (!bound) throw new Error('smtp inbound is not listening');
      return { host: bound.address, port: bound.port };
    },
  };
}

function listen(server: SMTPServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
}

async function checkRecipient(address: SMTPServerAddress, domain: string, sink: InboundSink | null): Promise<void> {
  const rcpt = address.address.toLowerCase();
  if (!rcpt.endsWith(`@${domain}`)) throw new SmtpReply(550, '5.7.1 Relaying denied');
  if (!sink) throw TEMPORARY();
  if (!(await sink.isKnownRecipient(rcpt))) throw new SmtpReply(550, `5.1.1 <${rcpt}>: no such recipient`);
}

async function receiveData(
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  limits: Pick<SmtpInboundOptions, 'maxBytes' | 'maxAttachments' | 'authenticate' | 'domain'>,
  sink: InboundSink | null,
  logger: MailLogger,
): Promise<void> {
  const raw = await readCapped(stream, limits.maxBytes);
  if (!sink) throw TEMPORARY();
  const parsed = await parseOrReject(
    raw,
    session.envelope.rcptTo.map((r) => r.address),
  );
  const count = parsed.mail.attachments.length;
  if (limits.maxAttachments !== undefined && count > limits.maxAttachments) {
    logger.warn({ attachments: count, max: limits.maxAttachments }, 'smtp inbound: too many attachments, refused');
    throw new SmtpReply(552, `5.3.4 Too many attachments: ${count}, at most ${limits.maxAttachments} per message`);
  }
  const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
  parsed.mail.envelopeFrom = envelopeFrom;
  parsed.mail.auth = await verify(raw, session, envelopeFrom, limits, logger);
  await deliver(realReport(parsed, envelopeFrom, logger), sink, logger);
}

/** The SPF/DKIM/DMARC verdict, or null when there is none to give (no verifier, or it failed outright). */
async function verify(
  raw: Buffer,
  session: SMTPServerSession,
  sender: string,
  options: Pick<SmtpInboundOptions, 'authenticate' | 'domain'>,
  logger: MailLogger,
) {
  if (!options.authenticate) return null;
  try {
    return await options.authenticate({
      raw,
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs || session.clientHostname,
      sender,
      mta: options.domain,
    });
  } catch (err) {
    logger.warn(describeError(err), 'smtp inbound: sender authentication failed to run; no verdict');
    return null;
  }
}

/**
 * A bounce counts only as a real DSN: a multipart/report that came with the null envelope sender (RFC 5321 §4.5.5:
 * every DSN does). Anyone can write one with any other sender, so such a report is handled as the mail it is.
 */
function realReport(parsed: ParsedInbound, envelopeFrom: string, logger: MailLogger): ParsedInbound {
  if (parsed.kind !== 'failure' || parsed.failure.kind !== 'BOUNCED') return parsed;
  if (parsed.multipart && envelopeFrom === '') return parsed;
  logger.warn({ envelopeFrom, multipart: parsed.multipart }, 'smtp inbound: report is not a real DSN, kept as mail');
  return { kind: 'mail', mail: parsed.mail };
}

/** Buffers at most maxBytes: an oversized message is drained, never held in memory. */
function readCapped(stream: SMTPServerDataStream, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => {
      if (stream.sizeExceeded || total > maxBytes) {
        reject(new SmtpReply(552, `5.3.4 Message exceeds the maximum size of ${maxBytes} bytes`));
      } else {
        resolve(Buffer.concat(chunks, total));
      }
    });
  });
}

async function parseOrReject(raw: Buffer, envelopeRecipients: string[]): Promise<ParsedInbound> {
  let parsed: ParsedInbound;
  try {
    parsed = await parseRawMail(raw, { envelopeRecipients });
  } catch {
    // Resending the same bytes cannot help, so this is permanent.
    throw new SmtpReply(554, '5.6.0 Message could not be parsed');
  }
  if (parsed.kind === 'mail' && !parsed.mail.from.address) {
    throw new SmtpReply(550, '5.6.0 Message has no valid From address');
  }
  return parsed;
}

async function deliver(parsed: ParsedInbound, sink: InboundSink, logger: MailLogger): Promise<void> {
  try {
    switch (parsed.kind) {
      case 'mail':
        return await sink.receive(parsed.mail);
      case 'failure':
        return await sink.deliveryFailed(parsed.failure);
      case 'ignored':
        logger.warn({ reason: parsed.reason }, 'smtp inbound: report ignored');
        return;
      default:
        return unreachable(parsed);
    }
  } catch (err) {
    logger.error(describeError(err), 'smtp inbound: sink failed, answering 451');
    throw TEMPORARY();
  }
}

/** The client sees a fixed SMTP reply, never our error text or stack. */
function asReply(err: unknown, logger: MailLogger): SmtpReply {
  if (err instanceof SmtpReply) return err;
  logger.error(describeError(err), 'smtp inbound: unexpected error');
  return TEMPORARY();
}

function unreachable(value: never): never {
  throw new Error(`unexpected inbound kind ${JSON.stringify(value)}`);
}
