// Every read and write of `messages`: a case's thread, the outbound record written before a send and marked after,
// inbound mail as it arrives, and the delivery reports that follow.
import { In } from 'typeorm';
import { MessageEntity } from './entities';
import type { SenderCheck } from './entities/message.entity';
import type { Tx } from './transaction.types';

/** The threads of `caseIds` (each oldest first); a case without messages has no entry. */
export async function loadThreads(db: Tx, caseIds: string[]): Promise<Map<string, MessageEntity[]>> {
  const messages = await db
    .getRepository(MessageEntity)
    .find({ where: { caseId: In(caseIds) }, order: { createdAt: 'ASC' } });
  const threads = new Map<string, MessageEntity[]>();
  for (const m of messages) {
    const thread = threads.get(m.caseId);
    if (thread) thread.push(m);
    else threads.set(m.caseId, [m]);
  }
  return threads;
}

/** One case's thread, oldest first (PostgreSQL plans `IN` of one id as `=`). */
export async function loadThread(db: Tx, caseId: string): Promise<MessageEntity[]> {
  return (await loadThreads(db, [caseId])).get(caseId) ?? [];
}

export async function findMessage(db: Tx, id: string): Promise<MessageEntity | null> {
  return db.getRepository(MessageEntity).findOneBy({ id });
}

/** A message known to exist (its id came from a row we wrote). */
export async function getMessage(db: Tx, id: string): Promise<MessageEntity> {
  return db.getRepository(MessageEntity).findOneByOrFail({ id });
}

/** Records an outbound message as pending under `sendKey`; if another attempt already recorded it, that record wins. */
export async function insertPending(manager: Tx, message: MessageEntity, sendKey: string): Promise<MessageEntity> {
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(MessageEntity)
    .values(message)
    .orIgnore()
    .returning('id')
    .execute();
  // What we inserted is what the row holds; only a lost race needs to read the winner's record.
  if ((inserted.raw as unknown[]).length > 0) return message;
  return manager.getRepository(MessageEntity).findOneByOrFail({ sendKey });
}

/** Message rows for INSERT_MESSAGES. */
export function messageRecords(messages: MessageEntity[]) {
  return messages.map((m) => ({
    id: m.id,
    case_id: m.caseId,
    account_id: m.accountId,
    direction: m.direction,
    status: m.status,
    purpose: m.purpose,
    send_key: m.sendKey,
    send_attempts: m.sendAttempts,
    from_address: m.fromAddress,
    from_name: m.fromName,
    to_addresses: m.toAddresses,
    subject: m.subject,
    text: m.text,
    new_text: m.newText,
    rfc_message_id: m.rfcMessageId,
    in_reply_to: m.inReplyTo,
    references: m.references,
    provider_message_id: m.providerMessageId,
    provider_thread_id: m.providerThreadId,
    inbox_id: m.inboxId,
    delivery_status: m.deliveryStatus,
    sent_at: m.sentAt,
    received_at: m.receivedAt,
    created_at: m.createdAt,
  }));
}

/** Outbound messages from JSON parameter $N (see messageRecords); TransitionWrites runs it in its one statement. */
export const INSERT_MESSAGES = `INSERT INTO messages (id, case_id, account_id, direction, status, purpose, send_key, send_attempts,
            from_address, from_name, to_addresses, subject, text, new_text, rfc_message_id, in_reply_to, "references",
            provider_message_id, provider_thread_id, inbox_id, delivery_status, sent_at, received_at, created_at)
     SELECT * FROM json_to_recordset($N::json) AS v(id uuid, case_id uuid, account_id uuid, direction text,
            status text, purpose text, send_key text, send_attempts int, from_address text, from_name text,
            to_addresses text[], subject text, text text, new_text text, rfc_message_id text, in_reply_to text,
            "references" text[], provider_message_id text, provider_thread_id text, inbox_id text,
            delivery_status text, sent_at timestamptz, received_at timestamptz, created_at timestamptz)`;

/** What a transport said about a message it accepted. */
export interface ProviderIds {
  providerMessageId: string;
  providerThreadId: string | null;
}

/** Counts a send attempt before the transport is asked, so a crash after it is seen as a possible duplicate. */
export async function countSendAttempt(manager: Tx, id: string): Promise<void> {
  await manager.increment(MessageEntity, { id }, 'sendAttempts', 1);
}

/** Records a send whose attempt was already counted (countSendAttempt). */
export async function markSent(manager: Tx, id: string, sentAt: Date, ids: ProviderIds): Promise<void> {
  await manager.update(MessageEntity, { id }, { status: 'sent', sentAt, ...ids });
}

/** Records a send's outcome and its attempt at once if no copy of it has yet; false when it was no longer pending. */
export async function markSentIfPending(manager: Tx, id: string, sentAt: Date, ids: ProviderIds): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `UPDATE messages SET status = 'sent', send_attempts = send_attempts + 1, sent_at = $2,
            provider_message_id = $3, provider_thread_id = $4
      WHERE id = $1 AND status = 'pending' RETURNING id`,
    [id, sentAt, ids.providerMessageId, ids.providerThreadId],
  );
  return rows.length > 0;
}

/** A send given up or refused: `deliveryStatus` says why. */
export async function markFailed(manager: Tx, id: string, deliveryStatus: string): Promise<void> {
  await manager.update(MessageEntity, { id }, { status: 'failed', deliveryStatus });
}

/** A provider's bounce, complaint or rejection of a message we sent. */
export async function setDeliveryStatus(manager: Tx, id: string, deliveryStatus: string): Promise<void> {
  await manager.update(MessageEntity, { id }, { deliveryStatus });
}

/** Events arrive in any order: a late "delivered" must not hide a bounce or complaint already recorded. */
export async function markDelivered(db: Tx, providerMessageId: string): Promise<void> {
  await db.query(
    `UPDATE messages SET delivery_status = 'delivered'
      WHERE provider_message_id = $1 AND direction = 'outbound'
        AND (delivery_status IS NULL OR delivery_status NOT IN ('bounced', 'complained', 'rejected'))`,
    [providerMessageId],
  );
}

/** An arriving mail's row; the columns inbound mail leaves at their defaults are not listed. */
export interface InboundMessageRecord {
  id: string;
  caseId: string;
  accountId: string;
  fromAddress: string;
  fromName: string | null;
  toAddresses: string[];
  subject: string | null;
  text: string;
  newText: string | null;
  rfcMessageId: string | null;
  inReplyTo: string | null;
  references: string[];
  providerMessageId: string | null;
  providerThreadId: string | null;
  inboxId: string | null;
  receivedAt: Date;
  createdAt: Date;
  /** An automatic answer (out of office): stored on the thread, never answered. */
  autoReply?: boolean;
  /** The provider's quarantine verdict (spam, blocked, unauthenticated), or null for mail it delivered plainly. */
  providerLabel?: string | null;
}

/** Stores an arriving mail; false when it was stored before (the same Message-ID or provider id). */
export async function insertInbound(manager: Tx, m: InboundMessageRecord): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO messages (id, case_id, account_id, direction, status, send_attempts, from_address, from_name,
                           to_addresses, subject, text, new_text, rfc_message_id, in_reply_to, "references",
                           provider_message_id, provider_thread_id, inbox_id, received_at, created_at, provider_label,
                           auto_reply)
     VALUES ($1, $2, $3, 'inbound', 'received', 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      m.id,
      m.caseId,
      m.accountId,
      m.fromAddress,
      m.fromName,
      m.toAddresses,
      m.subject,
      m.text,
      m.newText,
      m.rfcMessageId,
      m.inReplyTo,
      m.references,
      m.providerMessageId,
      m.providerThreadId,
      m.inboxId,
      m.receivedAt,
      m.createdAt,
      m.providerLabel ?? null,
      m.autoReply ?? false,
    ],
  );
  return rows.length > 0;
}

/** Our outbound message with this Message-ID or provider message id. */
export async function findOutbound(
  db: Tx,
  by: { rfcMessageId: string } | { providerMessageId: string },
): Promise<MessageEntity | null> {
  return db.getRepository(MessageEntity).findOneBy({ ...by, direction: 'outbound' });
}

/**
 * Cases whose outbound mail has one of the Message-IDs or provider ids in `refs` or a thread in `threads`, those
 * naming one of `first` ahead of the rest, newest first; at most 100.
 */
export async function caseIdsByThreading(
  db: Tx,
  refs: string[],
  threads: string[],
  first: string[],
): Promise<string[]> {
  const rows: Array<{ case_id: string }> = await db.query(
    `SELECT case_id FROM messages
      WHERE direction = 'outbound'
        AND (rfc_message_id = ANY($1) OR provider_message_id = ANY($1) OR provider_thread_id = ANY($2))
      ORDER BY (rfc_message_id = ANY($3) OR provider_message_id = ANY($3)) DESC, created_at DESC
      LIMIT 100`,
    [refs, threads, first],
  );
  return rows.map((r) => r.case_id);
}

export interface InboundVerdicts {
  senderVerified: boolean;
  authResults: SenderCheck;
  autoReply: boolean;
}

/** The sender and auto-reply verdicts on a stored inbound message (inbound-verdict.service.ts). */
export async function recordInboundVerdicts(manager: Tx, id: string, v: InboundVerdicts): Promise<void> {
  await manager.query(`UPDATE messages SET sender_verified = $2, auth_results = $3, auto_reply = $4 WHERE id = $1`, [
    id,
    v.senderVerified,
    JSON.stringify(v.authResults),
    v.autoReply,
  ]);
}
