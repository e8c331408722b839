// Statements on inbound `messages` rows beyond their insert: the sender and auto-reply verdicts stored on them.
import type { EntityManager } from 'typeorm';
import type { SenderCheck } from './entities/message.entity';

export interface InboundVerdicts {
  senderVerified: boolean;
  authResults: SenderCheck;
  autoReply: boolean;
}

export async function recordInboundVerdicts(manager: EntityManager, id: string, v: InboundVerdicts): Promise<void> {
  await manager.query(`UPDATE messages SET sender_verified = $2, auth_results = $3, auto_reply = $4 WHERE id = $1`, [
    id,
    v.senderVerified,
    JSON.stringify(v.authResults),
    v.autoReply,
  ]);
}

/** Takes the case's row lock, which timeline writes need (it orders their seq). */
export async function lockCaseRow(manager: EntityManager, caseId: string): Promise<void> {
  await manager.query(`SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, [caseId]);
}
