// What an inbound message is allowed to do, decided once as it is stored: mail from anyone but the counterparty is
// kept and shown (timeline `message.unverified`) but never evaluated; an auto-reply is kept and shown
// (`auto_reply.received`) but never answered, which is what breaks mail loops between two responders.
import type { InboundMail } from '../../mail/mail.types';
import { insertTimelineNote } from '../../persistence/case-events.repository';
import type { CaseEntity } from '../../persistence/entities';
import { recordInboundVerdicts } from '../../persistence/messages.repository';
import type { Tx } from '../../persistence/transaction.types';
import { checkSender } from './sender.policy';

/**
 * Records the verdicts on the stored message. 'reply' drives the case (REPLY_RECEIVED); 'auto_reply' only moves its
 * follow-up (AUTO_REPLY_RECEIVED, whose transition writes the `auto_reply.received` row); 'unverified' does nothing
 * more than the `message.unverified` row written here.
 */
export async function recordInboundMail(
  manager: Tx,
  row: CaseEntity,
  messageId: string,
  mail: InboundMail,
  now: Date,
): Promise<'reply' | 'auto_reply' | 'unverified'> {
  const sender = checkSender(row.counterparty.address, mail);
  const autoReply = sender.verified && !!mail.autoReply;
  await recordInboundVerdicts(manager, messageId, {
    senderVerified: sender.verified,
    authResults: sender.check,
    autoReply,
  });
  if (sender.verified) return autoReply ? 'auto_reply' : 'reply';
  await insertTimelineNote(manager, {
    caseId: row.id,
    accountId: row.accountId,
    type: 'message.unverified',
    data: { messageId, from: mail.from.address, reason: sender.check.refused ?? null },
    occurredAt: now,
  });
  return 'unverified';
}
