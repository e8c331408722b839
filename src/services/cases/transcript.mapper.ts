import type { Channel } from '../../domain/case.model';
import type { MessageEntity } from '../../persistence/entities';

/**
 * The case thread as plain text, oldest first (reference: conversationThread); null when there is no thread. Texts
 * (channel SMS) have no Subject line.
 */
export function renderTranscript(messages: MessageEntity[], channel: Channel = 'EMAIL'): string | null {
  const shown = messages.filter((m) => m.direction === 'inbound' || m.status === 'sent');
  if (!shown.length) return null;
  return shown
    .map((m) => {
      const at = (m.direction === 'inbound' ? m.receivedAt : m.sentAt) ?? m.createdAt;
      const from = m.fromName ? `${m.fromName} <${m.fromAddress}>` : m.fromAddress;
      return [
        `From: ${from}`,
        `To: ${m.toAddresses.join(', ')}`,
        `Date: ${at.toISOString()}`,
        ...(channel === 'SMS' ? [] : [`Subject: ${m.subject ?? ''}`]),
        '',
        (m.text ?? '').trim(),
      ].join('\n');
    })
    .join('\n\n---\n\n');
}
