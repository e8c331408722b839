// Bounces come back as mail to the case address (our envelope sender). Handing one to the agent as a "reply" would
// have it argue with a mailer daemon, so reports are recognised here and turned into delivery failures instead.
// RFC 3464 (delivery-status) and RFC 5965 (feedback-report, i.e. a complaint) are the two formats that matter.
import type { ParsedMail, StructuredHeader } from 'mailparser';
import type { DeliveryFailure } from './mail.types';

/**
 * `multipart`: the report is a multipart/report (RFC 6522), the only form a real DSN or ARF report takes; a
 * plain-text notice from a "mailer-daemon" address is recognised (so it never reaches the agent) but proves nothing.
 */
export type DeliveryReport =
  { kind: 'failure'; failure: DeliveryFailure; multipart: boolean } | { kind: 'ignored'; reason: string };

type Fields = Map<string, string>;

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);
const DAEMON = /^(mailer-daemon|postmaster)@/i;
const STATUS_FIELDS = /^(Reporting-MTA|Final-Recipient|Action|Status):/im;

/** The report this message carries, or null when it is ordinary mail. */
export function readDeliveryReport(parsed: ParsedMail, envelopeRecipients: string[]): DeliveryReport | null {
  const reportType = multipartReportType(parsed);
  if (reportType === 'feedback-report') return complaint(parsed, envelopeRecipients);
  if (reportType !== null && !reportType.endsWith('delivery-status')) {
    return { kind: 'ignored', reason: `${reportType} report` };
  }
  const statusText = deliveryStatusText(parsed);
  const fromDaemon = DAEMON.test(parsed.from?.value[0]?.address ?? '');
  if (reportType === null && !(fromDaemon && statusText !== null)) return null;
  return bounce(parsed, statusText ?? '', envelopeRecipients, reportType !== null);
}

function bounce(
  parsed: ParsedMail,
  statusText: string,
  envelopeRecipients: string[],
  multipart: boolean,
): DeliveryReport {
  const recipientBlocks = fieldBlocks(statusText).filter((f) => f.has('final-recipient') || f.has('status'));
  const failed = recipientBlocks.filter(isFailedRecipient);
  // Delay warnings ("Action: delayed") are reports too, but the mail may still arrive: nothing has failed yet.
  if (recipientBlocks.length > 0 && failed.length === 0) return { kind: 'ignored', reason: 'delivery delayed' };
  const first = failed[0];
  const reason = diagnostic(first) ?? statusReason(first) ?? parsed.subject ?? 'delivery failed';
  return {
    kind: 'failure',
    multipart,
    failure: {
      kind: 'BOUNCED',
      reason,
      messageId: returnedMessageId(parsed),
      recipients: mergeRecipients(
        failed.map((f) => addressOf(f.get('final-recipient'))),
        envelopeRecipients,
      ),
    },
  };
}

function complaint(parsed: ParsedMail, envelopeRecipients: string[]): DeliveryReport {
  const fields = fieldBlocks(partText(parsed, 'message/feedback-report') ?? '')[0];
  return {
    kind: 'failure',
    multipart: true,
    failure: {
      kind: 'COMPLAINED',
      reason: fields?.get('feedback-type') ?? 'abuse',
      messageId: returnedMessageId(parsed),
      recipients: mergeRecipients([], envelopeRecipients),
    },
  };
}

function multipartReportType(parsed: ParsedMail): string | null {
  const header = parsed.headers.get('content-type') as StructuredHeader | undefined;
  if (header?.value?.toLowerCase() !== 'multipart/report') return null;
  return (header.params['report-type'] ?? 'delivery-status').toLowerCase();
}

/** mailparser leaves the status part inline in `text` or lists it as an attachment, depending on the layout. */
function deliveryStatusText(parsed: ParsedMail): string | null {
  for (const type of STATUS_TYPES) {
    const text = partText(parsed, type);
    if (text !== null) return text;
  }
  return parsed.text && STATUS_FIELDS.test(parsed.text) ? parsed.text : null;
}

function partText(parsed: ParsedMail, contentType: string): string | null {
  const part = parsed.attachments.find((a) => a.contentType.toLowerCase() === contentType);
  return part ? part.content.toString('utf8') : null;
}

/** RFC 822-style header blocks separated by blank lines, with folded lines joined and names lower-cased. */
function fieldBlocks(text: string): Fields[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => {
      const fields: Fields = new Map();
      for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
        const match = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
        if (match?.[1] && !fields.has(match[1].toLowerCase())) fields.set(match[1].toLowerCase(), match[2]!.trim());
      }
      return fields;
    })
    .filter((fields) => fields.size > 0);
}

function isFailedRecipient(fields: Fields): boolean {
  const action = fields.get('action')?.toLowerCase();
  if (action) return action === 'failed';
  return fields.get('status')?.startsWith('5') ?? false;
}

/** "smtp; 550 5.1.1 User unknown" -> "550 5.1.1 User unknown" */
function diagnostic(fields: Fields | undefined): string | null {
  const code = fields?.get('diagnostic-code');
  return code ? code.replace(/^[\w-]+;\s*/, '') : null;
}

function statusReason(fields: Fields | undefined): string | null {
  const status = fields?.get('status');
  return status ? `status ${status}` : null;
}

/** "rfc822; user@example.org" -> "user@example.org" */
function addressOf(value: string | undefined): string {
  return (value ?? '')
    .replace(/^[^;]*;\s*/, '')
    .replace(/^<|>$/g, '')
    .trim()
    .toLowerCase();
}

function mergeRecipients(failed: string[], envelopeRecipients: string[]): string[] {
  return [...new Set([...failed, ...envelopeRecipients.map((a) => a.toLowerCase())].filter(Boolean))];
}

/** Our Message-ID of the mail that failed, read from the returned copy (or its headers) inside the report. */
function returnedMessageId(parsed: ParsedMail): string | null {
  for (const part of parsed.attachments) {
    if (!RETURNED_TYPES.has(part.contentType.toLowerCase())) continue;
    const id = messageIdIn(headerSection(part.content.toString('utf8')));
    if (id) return id;
  }
  // Some MTAs put text/rfc822-headers inline; the report's own headers never appear in `text`.
  return parsed.text ? messageIdIn(parsed.text) : null;
}

function headerSection(message: string): string {
  const end = message.search(/\r?\n\r?\n/);
  return end < 0 ? message : message.slice(0, end);
}

function messageIdIn(text: string): string | null {
  return /^Message-ID:\s*(<[^>\s]+>)/im.exec(text)?.[1] ?? null;
}
