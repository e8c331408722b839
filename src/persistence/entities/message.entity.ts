import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Why an inbound message was (not) trusted to come from the counterparty, as stored in `auth_results`. */
export interface SenderCheck {
  /** SPF, DKIM and DMARC results as the SMTP listener verified them (absent for other transports). */
  spf?: string;
  dkim?: string;
  dmarc?: string;
  dmarcPolicy?: string;
  envelopeFrom?: string | null;
  /** Why it was not trusted; absent when it was. */
  refused?: string;
}

export type MessageDirection = 'outbound' | 'inbound';
/** Outbound mail is recorded before sending (pending) and after (sent), so a crash neither loses nor hides a send. */
export type MessageStatus = 'pending' | 'sent' | 'failed' | 'received';

@Entity('messages')
export class MessageEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'case_id' }) caseId!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  @Column('text') direction!: MessageDirection;
  @Column('text') status!: MessageStatus;
  @Column('text', { nullable: true }) purpose!: string | null;
  /** Idempotency key of an outbound send: the Nth outbound message of a case is sent once. */
  @Column('text', { name: 'send_key', nullable: true, unique: true }) sendKey!: string | null;
  @Column('int', { name: 'send_attempts' }) sendAttempts!: number;
  @Column('text', { name: 'from_address' }) fromAddress!: string;
  @Column('text', { name: 'from_name', nullable: true }) fromName!: string | null;
  @Column('text', { name: 'to_addresses', array: true }) toAddresses!: string[];
  @Column('text', { nullable: true }) subject!: string | null;
  @Column('text', { nullable: true }) text!: string | null;
  /** Inbound only: text without quoted history, what the agent reads. */
  @Column('text', { name: 'new_text', nullable: true }) newText!: string | null;
  @Column('text', { name: 'rfc_message_id', nullable: true }) rfcMessageId!: string | null;
  @Column('text', { name: 'in_reply_to', nullable: true }) inReplyTo!: string | null;
  @Column('text', { name: 'references', array: true }) references!: string[];
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId!: string | null;
  @Column('text', { name: 'provider_thread_id', nullable: true }) providerThreadId!: string | null;
  @Column('text', { name: 'inbox_id', nullable: true }) inboxId!: string | null;
  @Column('text', { name: 'delivery_status', nullable: true }) deliveryStatus!: string | null;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt!: Date | null;
  @Column('timestamptz', { name: 'received_at', nullable: true }) receivedAt!: Date | null;
  /** An inbound automatic answer (out of office, RFC 3834): kept on the thread, never answered. */
  @Column('boolean', { name: 'auto_reply', default: false }) autoReply!: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  /** Inbound only: the provider held it back (spam, blocked, unauthenticated); see src/mail/quarantine.policy.ts. */
  @Column('text', { name: 'provider_label', nullable: true }) providerLabel!: string | null;
  /** Inbound only: true when it came from the counterparty (and may drive the case), false when it did not. */
  @Column('boolean', { name: 'sender_verified', nullable: true }) senderVerified!: boolean | null;
  /** Inbound only: the SPF/DKIM/DMARC verdict the SMTP listener recorded, and why the sender was (not) trusted. */
  @Column('jsonb', { name: 'auth_results', nullable: true }) authResults!: SenderCheck | null;
  /** Inbound only: an auto-reply (RFC 3834 and kin), recorded and never answered. */
}
