// What was read out of an attachment's bytes: a plain shape the agent reads and the attachments table stores.

export type ExtractionStatus = 'ok' | 'too_large' | 'encrypted' | 'malformed' | 'timeout' | 'unsupported';

/** What was read out of an attachment's bytes, once, at ingestion or on first use (src/agent/attachments/, stored on the attachment row). */
export interface AttachmentExtraction {
  status: ExtractionStatus;
  /** The type the bytes say (magic numbers), not the sender's header. */
  detectedType: string | null;
  pages: number | null;
  /** Extracted text, capped; null when there is none. */
  text: string | null;
  truncated: boolean;
  /** PDF AcroForm fields: name and filled value (empty string when blank). */
  fields: Array<{ name: string; type: string; value: string }>;
  /** PDF signature fields and whether each holds a signature. */
  signatures: Array<{ name: string; signed: boolean }>;
}
