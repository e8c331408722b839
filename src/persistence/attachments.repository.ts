// Every read and write of `attachments`. The bytes are selected only by the download that serves them.
import { AttachmentEntity } from './entities';
import type { AttachmentExtraction } from '../domain/attachment.types';
import type { Queryable, Tx } from './transaction.types';

/** An attachment row as inbound mail writes it. */
export type NewAttachment = Omit<AttachmentEntity, 'content'> & { content: Buffer | null };

export async function insertAttachment(manager: Tx, attachment: NewAttachment): Promise<void> {
  await manager.insert(AttachmentEntity, attachment);
}

/** One attachment of the account's case, without its bytes. */
export async function findAttachment(
  db: Tx,
  accountId: string,
  caseId: string,
  attachmentId: string,
): Promise<AttachmentEntity | null> {
  return db.getRepository(AttachmentEntity).findOneBy({ id: attachmentId, caseId, accountId });
}

/** One attachment of the case with its bytes (null content: the provider keeps them). */
export async function findAttachmentWithContent(
  db: Tx,
  caseId: string,
  attachmentId: string,
): Promise<AttachmentEntity | null> {
  return db
    .getRepository(AttachmentEntity)
    .createQueryBuilder('a')
    .addSelect('a.content')
    .where('a.id = :attachmentId AND a.case_id = :caseId', { attachmentId, caseId })
    .getOne();
}

/** The case's attachments without their bytes, in the order they arrived. */
export async function attachmentsOfCase(db: Tx, caseId: string): Promise<AttachmentEntity[]> {
  return db.getRepository(AttachmentEntity).find({ where: { caseId }, order: { receivedAt: 'ASC' } });
}

// The thread's files as the agent reads them: with their stored extraction, the bytes of one file, and storing an
// extraction once (the first writer wins, so concurrent workers never parse twice over).
export interface AttachmentForAgent {
  id: string;
  name: string | null;
  size: number;
  contentType: string | null;
  receivedAt: Date;
  hasContent: boolean;
  providerAttachmentId: string | null;
  providerMessageId: string | null;
  inboxId: string | null;
  extraction: AttachmentExtraction | null;
}

interface Row {
  id: string;
  name: string | null;
  size: number;
  content_type: string | null;
  received_at: Date;
  has_content: boolean;
  provider_attachment_id: string | null;
  provider_message_id: string | null;
  inbox_id: string | null;
  extraction: AttachmentExtraction | null;
}

export const attachmentSql = {
  forCase: `
    SELECT id, name, size, content_type, received_at, content IS NOT NULL AS has_content,
           provider_attachment_id, provider_message_id, inbox_id, extraction
      FROM attachments WHERE case_id = $1 ORDER BY received_at, id`,
  /** The bytes, but never more than the cap: a larger file is reported by its size alone. */
  content: `SELECT CASE WHEN octet_length(content) <= $2 THEN content END AS content FROM attachments WHERE id = $1`,
  saveExtraction: `
    UPDATE attachments SET extraction = $2::jsonb, extracted_at = now()
     WHERE id = $1 AND extraction IS NULL RETURNING extraction`,
} as const;

export class AttachmentsRepository {
  constructor(private readonly db: Queryable) {}

  async forCase(caseId: string): Promise<AttachmentForAgent[]> {
    const rows = (await this.db.query(attachmentSql.forCase, [caseId])) as Row[];
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      size: row.size,
      contentType: row.content_type,
      receivedAt: row.received_at,
      hasContent: row.has_content,
      providerAttachmentId: row.provider_attachment_id,
      providerMessageId: row.provider_message_id,
      inboxId: row.inbox_id,
      extraction: row.extraction,
    }));
  }

  async content(id: string, maxBytes: number): Promise<Buffer | null> {
    const rows = (await this.db.query(attachmentSql.content, [id, maxBytes])) as Array<{ content: Buffer | null }>;
    return rows[0]?.content ?? null;
  }

  /** Stores the extraction unless another worker stored one first; returns the one that is stored. */
  async saveExtraction(id: string, extraction: AttachmentExtraction): Promise<AttachmentExtraction> {
    const rows = (await this.db.query(attachmentSql.saveExtraction, [id, JSON.stringify(extraction)])) as Array<{
      extraction: AttachmentExtraction;
    }>;
    return rows[0]?.extraction ?? extraction;
  }
}
