// AgentMail leaves `text` and `html` out of a webhook payload over 1 MB. Such a mail is fetched whole from the API
// before it is stored, so a long reply is read as what it says rather than as an empty message. A failed fetch
// throws: the webhook answers 5xx and Svix delivers the event again later.
import type { AgentmailClient } from './agentmail.client';
import { receivedFromMessage, type AgentmailEvent } from './agentmail-event.schema';

type ReceivedEvent = Extract<AgentmailEvent, { kind: 'received' }>;

export async function withFullBody(
  event: ReceivedEvent,
  client: Pick<AgentmailClient, 'getMessage'>,
): Promise<ReceivedEvent> {
  if (!event.bodyMissing) return event;
  const { inboxId, providerMessageId } = event.mail;
  if (!inboxId || !providerMessageId) return event;
  const full = await receivedFromMessage(
    event.eventId,
    await client.getMessage(inboxId, providerMessageId),
    event.mail.quarantine ?? null,
  );
  if (full.kind !== 'received') return event;
  // The event's own values win for what the payload did carry; the fetched message supplies the body.
  return { ...event, bodyMissing: full.bodyMissing, mail: { ...full.mail, receivedAt: event.mail.receivedAt } };
}
