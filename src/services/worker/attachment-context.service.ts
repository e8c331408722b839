// The thread's attachments as the agent sees them. Extraction runs here, in the worker, the first time a file is
// needed (never on an HTTP request), and is stored on the attachment row so every later evaluation reuses it.
// Files whose bytes a provider keeps (AgentMail) are downloaded through `fetchProviderBytes`, capped. A file that
// cannot be fetched right now is listed without content and tried again next time; nothing here fails the case.
import type { AttachmentExtraction, ContextAttachment } from '../../agent/agent.types';
import type { AttachmentForAgent, AttachmentsRepository } from '../../persistence/attachments.repository';
import type { ProviderBytes } from '../../mail/mail.types';

/** The three reads and writes the loader needs (AttachmentsRepository in production). */
export type AttachmentStore = Pick<AttachmentsRepository, 'forCase' | 'content' | 'saveExtraction'>;
import {
  EXTRACTION_LIMITS,
  extractAttachment,
  type ExtractionLimits,
} from '../../agent/attachments/attachment.extractor';

export interface LoaderLogger {
  warn(details: object, message: string): void;
}

/** Characters of extracted text across all attachments of one context; the newest files keep theirs first. */
export const MAX_CONTEXT_ATTACHMENT_CHARS = 24_000;

export class AttachmentContextLoader {
  constructor(
    private readonly repository: AttachmentStore,
    private readonly fetchProviderBytes: ProviderBytes | null,
    private readonly logger: LoaderLogger,
    private readonly limits: ExtractionLimits = EXTRACTION_LIMITS,
  ) {}

  async forCase(caseId: string): Promise<ContextAttachment[]> {
    const files = await this.repository.forCase(caseId);
    const out: ContextAttachment[] = [];
    for (const file of files) {
      const extraction = file.extraction ?? (await this.extract(file));
      out.push({
        name: file.name,
        type: extraction?.detectedType ?? file.contentType,
        size: file.size,
        direction: 'inbound',
        at: file.receivedAt,
        extraction,
      });
    }
    return capTotalText(out, MAX_CONTEXT_ATTACHMENT_CHARS);
  }

  private async extract(file: AttachmentForAgent): Promise<AttachmentExtraction | null> {
    try {
      const bytes = await this.bytesOf(file);
      if (bytes === null) return null;
      const extraction = bytes === 'too_large' ? tooLarge() : await extractAttachment(bytes, this.limits);
      return await this.repository.saveExtraction(file.id, extraction);
    } catch (error) {
      this.logger.warn({ attachmentId: file.id, err: error }, 'attachment extraction skipped; will retry next time');
      return null;
    }
  }

  private async bytesOf(file: AttachmentForAgent): Promise<Buffer | 'too_large' | null> {
    if (file.size > this.limits.maxBytes) return 'too_large';
    if (file.hasContent) return (await this.repository.content(file.id, this.limits.maxBytes)) ?? 'too_large';
    if (file.providerAttachmentId && this.fetchProviderBytes)
      return this.fetchProviderBytes(file, this.limits.maxBytes);
    return null;
  }
}

function tooLarge(): AttachmentExtraction {
  return {
    status: 'too_large',
    detectedType: null,
    pages: null,
    text: null,
    truncated: false,
    fields: [],
    signatures: [],
  };
}

/** Keeps the total extracted text under `max`, newest files first (the latest reply's files matter most). */
export function capTotalText(files: ContextAttachment[], max: number): ContextAttachment[] {
  let left = max;
  const capped = [...files].reverse().map((file) => {
    const text = file.extraction?.text;
    if (!file.extraction || !text) return file;
    const kept = text.slice(0, Math.max(0, left));
    left -= kept.length;
    return {
      ...file,
      extraction: {
        ...file.extraction,
        text: kept || null,
        truncated: file.extraction.truncated || kept.length < text.length,
      },
    };
  });
  return capped.reverse();
}
