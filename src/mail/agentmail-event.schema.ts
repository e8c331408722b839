// AgentMail webhook payloads (`{"type":"event","event_type":...,"event_id":...,<object>}`) mapped onto the transport
// contract. Schemas accept unknown fields and missing optional ones: AgentMail adds fields over time, and a payload we
// can still act on must not be refused for a field we do not read.
import { z } from 'zod';
import { detectAutoReply } from './auto-reply.parser';
import { safeContentType } from './content-type.policy';
import { htmlToText, messageIds, parseAddressList, parseSender } from './inbound-mail.parser';
import type { DeliveryFailure, InboundAttachment, InboundMail, QuarantineLabel } from './mail.types';
import { stripQuotedText } from './quoted-text.parser';

export type AgentmailEvent =
  | {
      kind: 'received';
      eventId: string;
      mail: InboundMail;
      labels: string[];
      /**
       * The payload came without `text` and `html` (AgentMail leaves them out of payloads over 1 MB): the mail must
       * be fetched whole (agentmail.message-fetch.ts) before it is judged, or it would read as an empty reply.
       */
      bodyMissing: boolean;
    }
  | { kind: 'failure'; eventId: string; failure: DeliveryFailure }
  | {
      kind: 'delivered' | 'sent';
      eventId: string;
      providerMessageId: string;
      providerThreadId: string | null;
      inboxId: string | null;
    }
  | { kind: 'ignored'; eventId: string; eventType: string };

const optionalText = z.string().nullish();
const addressList = z.array(z.string()).nullish();

const AttachmentSchema = z
  .object({ attachment_id: z.string(), filename: optionalText, size: z.number(), content_type: optionalText })
  .loose();

const MessageSchema = z
  .object({
    inbox_id: z.string(),
    thread_id: z.string(),
    message_id: z.string(),
    labels: z.array(z.string()).nullish(),
    timestamp: optionalText,
    from: z.string(),
    to: addressList,
    cc: addressList,
    bcc: addressList,
    subject: optionalText,
    text: optionalText,
    html: optionalText,
    extracted_text: optionalText,
    attachments: z.array(AttachmentSchema).nullish(),
    /** Present in newer payloads: the message's headers, for recognising auto-replies. */
    headers: z.record(z.string(), z.unknown()).nullish(),
    in_reply_to: optionalText,
    references: z.array(z.string()).nullish(),
  })
  .loose();
type AgentmailMessage = z.infer<typeof MessageSchema>;

/** The shared core of send, delivery, bounce, complaint and reject objects. */
const MessageRef = { message_id: z.string(), thread_id: optionalText, inbox_id: optionalText };

const BounceSchema = z
  .object({
    ...MessageRef,
    type: optionalText,
    sub_type: optionalText,
    recipients: z.array(z.object({ address: z.string(), status: optionalText }).loose()).nullish(),
  })
  .loose();
const ComplaintSchema = z
  .object({ ...MessageRef, type: optionalText, sub_type: optionalText, recipients: addressList })
  .loose();
const RejectSchema = z.object({ ...MessageRef, reason: optionalText }).loose();
const NoticeSchema = z.object(MessageRef).loose();

export const EnvelopeSchema = z
  .object({ type: z.literal('event').optional(), event_type: z.string().min(1), event_id: z.string().min(1) })
  .loose();

/** Maps a verified payload; throws a ZodError when it does not have the shape its event_type promises. */
export async function toAgentmailEvent(payload: unknown): Promise<AgentmailEvent> {
  const envelope = EnvelopeSchema.parse(payload);
  const eventId = envelope.event_id;
  switch (envelope.event_type) {
    case 'message.received':
      return received(eventId, z.object({ message: MessageSchema }).parse(payload).message);
    // AgentMail's classifications of a received message; same payload as message.received. A real reply can land
    // here (a strict DMARC policy, an over-eager filter), so it is stored and shown, never dropped.
    case 'message.received.spam':
    case 'message.received.blocked':
    case 'message.received.unauthenticated': {
      const label = envelope.event_type.slice('message.received.'.length) as QuarantineLabel;
      return received(eventId, z.object({ message: MessageSchema }).parse(payload).message, label);
    }
    case 'message.bounced': {
      const bounce = z.object({ bounce: BounceSchema }).parse(payload).bounce;
      const reason = [bounce.type, bounce.sub_type].filter(Boolean).join('/') || 'bounced';
      const recipients = (bounce.recipients ?? []).map((r) => r.address);
      return failure(eventId, 'BOUNCED', reason, bounce.message_id, recipients);
    }
    case 'message.complained': {
      const complaint = z.object({ complaint: ComplaintSchema }).parse(payload).complaint;
      const reason = [complaint.type, complaint.sub_type].filter(Boolean).join('/') || 'complaint';
      return failure(eventId, 'COMPLAINED', reason, complaint.message_id, complaint.recipients ?? []);
    }
    case 'message.rejected': {
      const reject = z.object({ reject: RejectSchema }).parse(payload).reject;
      return failure(eventId, 'REJECTED', reject.reason || 'rejected', reject.message_id, []);
    }
    case 'message.delivered':
      return notice('delivered', eventId, z.object({ delivery: NoticeSchema }).parse(payload).delivery);
    case 'message.sent':
      return notice('sent', eventId, z.object({ send: NoticeSchema }).parse(payload).send);
    default:
      return { kind: 'ignored', eventId, eventType: envelope.event_type };
  }
}

/** A full message as GET /inboxes/{inbox}/messages/{id} returns it, mapped like a received event's. */
export async function receivedFromMessage(
  eventId: string,
  message: unknown,
  quarantine: QuarantineLabel | null,
): Promise<AgentmailEvent> {
  return received(eventId, MessageSchema.parse(message), quarantine);
}

async function received(
  eventId: string,
  message: AgentmailMessage,
  quarantine: QuarantineLabel | null = null,
): Promise<AgentmailEvent> {
  const text = message.text ?? (message.html ? await htmlToText(message.html) : '');
  const mail: InboundMail = {
    recipients: recipientsOf(message),
    from: parseSender(message.from),
    subject: message.subject ?? null,
    text,
    // AgentMail's own extraction sees the HTML structure too; ours is the fallback for older or partial payloads.
    newText: message.extracted_text?.trim() ? message.extracted_text.trim() : stripQuotedText(text),
    messageId: message.message_id,
    inReplyTo: message.in_reply_to ?? null,
    references: messageIds(message.references),
    attachments: (message.attachments ?? []).map((a): InboundAttachment => ({
      name: a.filename ?? null,
      contentType: safeContentType(a.content_type),
      size: a.size,
      providerAttachmentId: a.attachment_id,
    })),
    providerMessageId: message.message_id,
    providerThreadId: message.thread_id,
    inboxId: message.inbox_id,
    receivedAt: validDate(message.timestamp) ?? new Date(),
    quarantine,
    autoReply: autoReplyOf(message),
  };
  const bodyMissing = message.text == null && message.html == null;
  return { kind: 'received', eventId, mail, labels: message.labels ?? [], bodyMissing };
}

function autoReplyOf(message: AgentmailMessage): { signal: string } | null {
  const headers = new Map(Object.entries(message.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const header = (name: string) => {
    const value = headers.get(name);
    return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : null;
  };
  const verdict = detectAutoReply(header, message.subject);
  return verdict.autoReply ? { signal: verdict.signal ?? 'unknown' } : null;
}

/** The inbox is a recipient even when the counterparty Bcc'd it. */
function recipientsOf(message: AgentmailMessage): string[] {
  const listed = parseAddressList([...(message.to ?? []), ...(message.cc ?? []), ...(message.bcc ?? [])]);
  return [...new Set([...listed, message.inbox_id.toLowerCase()])];
}

function failure(
  eventId: string,
  kind: DeliveryFailure['kind'],
  reason: string,
  providerMessageId: string,
  recipients: string[],
): AgentmailEvent {
  return {
    kind: 'failure',
    eventId,
    failure: { kind, reason, providerMessageId, recipients: recipients.map((r) => r.toLowerCase()), eventId },
  };
}

function notice(kind: 'delivered' | 'sent', eventId: string, ref: z.infer<typeof NoticeSchema>): AgentmailEvent {
  return {
    kind,
    eventId,
    providerMessageId: ref.message_id,
    providerThreadId: ref.thread_id ?? null,
    inboxId: ref.inbox_id ?? null,
  };
}

function validDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
