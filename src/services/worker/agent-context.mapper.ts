import type { CaseContext, ContextAttachment, ThreadMessage } from '../../agent/agent.types';
import type { CaseEntity, MessageEntity } from '../../persistence/entities';

/** What the agent may know of a case: its brief, the thread (inbound text already stripped of quotes), its files. */
export function buildAgentContext(
  row: CaseEntity,
  messages: MessageEntity[],
  attachments?: ContextAttachment[],
): CaseContext {
  const thread: ThreadMessage[] = messages
    // Mail from anyone but the counterparty is never shown to the agent (sender.policy.ts).
    .filter((m) => (m.direction === 'inbound' ? m.senderVerified !== false : m.status === 'sent'))
    // Quarantined mail from anyone but the counterparty is shown on the case but never read by the agent.
    .filter((m) => !m.providerLabel || m.fromAddress.toLowerCase() === row.counterparty.address.toLowerCase())
    .map((m) => ({
      direction: m.direction,
      from: m.fromAddress,
      subject: m.subject,
      text: (m.direction === 'inbound' ? (m.newText ?? m.text) : m.text) ?? '',
      at: (m.direction === 'inbound' ? m.receivedAt : m.sentAt) ?? m.createdAt,
    }));
  return {
    caseId: row.id,
    channel: row.channel,
    goal: row.goal,
    counterparty: row.counterparty,
    senderPersona: row.senderPersona,
    constraints: row.constraints,
    resultSchema: row.resultSchema,
    attemptCount: row.attemptCount,
    maxAttempts: row.maxAttempts,
    thread,
    ...(attachments ? { attachments } : {}),
  };
}
