// Attachment downloads: a signed link to our own route for bytes we keep, the provider's fresh link otherwise.
import { AppError } from '../../domain/app.errors';
import { findAttachment, findAttachmentWithContent } from '../../persistence/attachments.repository';
import type { AttachmentEntity } from '../../persistence/entities';
import type { Database } from '../../persistence/transaction.types';
import type { AttachmentLink, AttachmentLinks } from './attachment-link.signer';
import { isUuid } from '../cases/case-input.schema';

export type ProviderLinkFn = (attachment: AttachmentEntity) => Promise<AttachmentLink>;

const notFound = (): AppError => new AppError('ATTACHMENT_NOT_FOUND', 'Attachment not found');

export class AttachmentsService {
  constructor(
    private readonly db: Database,
    private readonly links: AttachmentLinks,
    private readonly providerLink: ProviderLinkFn | null = null,
  ) {}

  async find(accountId: string, caseId: string, attachmentId: string): Promise<AttachmentEntity> {
    if (!isUuid(caseId)) throw new AppError('CASE_NOT_FOUND', 'Case not found');
    if (!isUuid(attachmentId)) throw notFound();
    const row = await findAttachment(this.db.manager, accountId, caseId, attachmentId);
    if (!row) throw notFound();
    return row;
  }

  async link(accountId: string, caseId: string, attachmentId: string): Promise<AttachmentLink> {
    const row = await this.find(accountId, caseId, attachmentId);
    if (row.providerAttachmentId && this.providerLink) return this.providerLink(row);
    return this.links.mint(caseId, attachmentId);
  }

  /** Bytes for a verified link; null when the link is bad, expired or names nothing we hold. */
  async download(
    caseId: string,
    attachmentId: string,
    expires: string,
    sig: string,
  ): Promise<{ row: AttachmentEntity; content: Buffer } | null> {
    if (!isUuid(caseId) || !isUuid(attachmentId)) return null;
    if (!this.links.verify(caseId, attachmentId, expires, sig)) return null;
    const row = await findAttachmentWithContent(this.db.manager, caseId, attachmentId);
    if (!row?.content) return null;
    return { row, content: row.content };
  }
}
