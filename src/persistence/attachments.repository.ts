// Every read and write of `attachments`. The bytes are selected only by the download that serves them.
import { AttachmentEntity } from './entities';
import type { Tx } from './transaction.types';

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
