import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('attachments')
export class AttachmentEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'case_id' }) caseId!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  @Column('text', { nullable: true }) name!: string | null;
  @Column('int') size!: number;
  @Column('text', { name: 'content_type', nullable: true }) contentType!: string | null;
  @Column('text', { nullable: true }) sha256!: string | null;
  /** Bytes for local/smtp mail; null for agentmail, whose provider keeps them. */
  @Column('bytea', { nullable: true, select: false }) content!: Buffer | null;
  @Column('text', { name: 'provider_attachment_id', nullable: true }) providerAttachmentId!: string | null;
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId!: string | null;
  @Column('text', { name: 'inbox_id', nullable: true }) inboxId!: string | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt!: Date;
}
