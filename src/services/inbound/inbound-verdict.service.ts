// What an inbound message is allowed to do, decided once as it is stored: mail from anyone but the counterparty is
// kept and shown (timeline `message.unverified`) but never evaluated; an auto-reply is kept and shown
// (`auto_reply.received`) but never answered, which is what breaks mail loops between two responders.
import type { InboundMail } from '../../mail/mail.types';
import { insertTimelineNote } from '../../persistence/case-events.repository';
import type { CaseEntity } from '../../persistence/entities';
import { recordInboundVerdicts } from '../../persistence/messages.repository';
import type { Tx } from '../../persistence/transaction.types';
import { checkSender } from './sender.policy';

/** Records the verdicts on the stored message; true when the message may drive the case (a REPLY_RECEIVED job). */
export async function recordInboundMail(
  manager: Tx,
  row: CaseEntity,
  messageId: string,
  mail: InboundMail,
  now: Date,
): Promise<boolean> {
  const sender = checkSender(row.counterparty.address, mail);
  const autoReply = sender.verified && !!mail.autoReply;
  await recordInboundVerdicts(manager, messageId, {
    senderVerified: sender.verified,
    authResults: sender.check,
    autoReply,
  });
  if (sender.verified && !autoReply) return true;
  const from = mail.from.address;
  await insertTimelineNote(manager, {
    caseId: row.id,
    accountId: row.accountId,
    type: sender.verified ? 'auto_reply.received' : 'message.unverified',
    data: sender.verified
      ? { messageId, from, signal: mail.autoReply?.signal ?? null }
      : { messageId, from, reason: sender.check.refused ?? null },
    occurredAt: now,
  });
  return false;
}
