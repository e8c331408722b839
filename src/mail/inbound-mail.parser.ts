// Raw RFC 5322 bytes -> InboundMail, shared by every transport that receives MIME (the SMTP listener, and the local
// inbound endpoint when it is handed a raw message). Delivery reports are split off before anything reaches the agent.
import { parseAddressHeader, simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import { detectAutoReply } from './auto-reply.parser';
import { safeContentType } from './content-type.policy';
import { readDeliveryReport, type DeliveryReport } from './delivery-report.parser';
import type { InboundAttachment, InboundMail, MailAddress } from './mail.types';
import { stripQuotedText } from './quoted-text.parser';

/** A report also carries the message as mail: a report that does not qualify as one is handled as what it is. */
export type ParsedInbound = { kind: 'mail'; mail: InboundMail } | (DeliveryReport & { mail: InboundMail });

export interface ParseRawMailOptions {
  /** RCPT TO addresses of the SMTP envelope: a Bcc'd case address appears nowhere else. */
  envelopeRecipients?: string[];
  receivedAt?: Date;
}

const PARSER_OPTIONS = {
  keepCidLinks: true,
  skipTextToHtml: true,
  keepDeliveryStatus: true,
  checksumAlgo: false,
  // html-to-text on a pathological multi-megabyte HTML body would stall the listener.
  maxHtmlLengthToParse: 2_000_000,
} as const;

export async function parseRawMail(raw: Buffer | string, options: ParseRawMailOptions = {}): Promise<ParsedInbound> {
  const parsed = await simpleParser(raw, PARSER_OPTIONS);
  const envelope = (options.envelopeRecipients ?? []).map((a) => a.toLowerCase());
  const mail = toInboundMail(parsed, envelope, options.receivedAt ?? new Date());
  const report = readDeliveryReport(parsed, envelope);
  return report ? { ...report, mail } : { kind: 'mail', mail };
}

export function toInboundMail(parsed: ParsedMail, envelopeRecipients: string[], receivedAt: Date): InboundMail {
  const text = parsed.text ?? '';
  return {
    recipients: unique([...envelopeRecipients, ...addresses(parsed.to), ...addresses(parsed.cc)]),
    from: sender(parsed.from),
    subject: parsed.subject ?? null,
    text,
    newText: stripQuotedText(text),
    messageId: parsed.messageId ?? null,
    inReplyTo: firstMessageId(parsed.inReplyTo),
    references: messageIds(parsed.references),
    attachments: parsed.attachments.map(toAttachment),
    receivedAt,
    autoReply: autoReplyOf(parsed),
  };
}

function autoReplyOf(parsed: ParsedMail): { signal: string } | null {
  const verdict = detectAutoReply((name) => headerText(parsed.headers.get(name)), parsed.subject);
  return verdict.autoReply ? { signal: verdict.signal ?? 'unknown' } : null;
}

/** mailparser keeps some headers structured ({ value, params }) and others as strings. */
function headerText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return headerText(value[0]);
  if (value && typeof value === 'object' && 'value' in value) return headerText((value as { value: unknown }).value);
  return null;
}

/** Plain text of an HTML body, through the same converter mailparser applies to HTML-only mail. */
export async function htmlToText(html: string): Promise<string> {
  const mime = `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(html).toString('base64')}`;
  return (await simpleParser(mime, PARSER_OPTIONS)).text ?? '';
}

/** Address strings as AgentMail sends them ("Name <a@b>" or "a@b", one per entry) -> lower-cased addresses. */
export function parseAddressList(values: string[]): string[] {
  return addresses(parseAddressHeader(values, { flatten: true }));
}

export function parseSender(value: string): MailAddress {
  return sender(parseAddressHeader(value, { flatten: true }));
}

/** Every Message-ID in a header value such as References ("<a@x> <b@y>"), in order. */
export function messageIds(value: string | string[] | undefined | null): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const ids = joined.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  // A bare id without brackets is still worth matching on.
  return joined.split(/\s+/).filter(Boolean);
}

function firstMessageId(value: string | undefined): string | null {
  return messageIds(value)[0] ?? null;
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = Array.isArray(header) ? header : header ? [header] : [];
  return objects
    .flatMap((o) => o.value)
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => a.address?.toLowerCase() ?? '')
    .filter(Boolean);
}

function sender(from: AddressObject | undefined): MailAddress {
  const first = from?.value[0];
  return { name: first?.name || null, address: first?.address?.toLowerCase() ?? '' };
}

function toAttachment(a: Attachment): InboundAttachment {
  const contentType = safeContentType(a.contentType);
  return { name: a.filename ?? null, contentType, size: a.content.length, content: a.content };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
