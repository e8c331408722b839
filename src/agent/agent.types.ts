// The contract between the worker and whatever writes and reads mail for it (a language model or the rules agent).
import type { Evaluation, SendPurpose } from '../domain/evaluation.types';

export interface ThreadMessage {
  direction: 'outbound' | 'inbound';
  from: string;
  subject: string | null;
  /** For inbound mail: the new text only, quoted history already stripped. */
  text: string;
  at: Date;
}

/** Everything the agent may know about a case. Counterparty-written text only ever appears in `thread`. */
export interface CaseContext {
  caseId: string;
  /** SMS: every message is a text of at most SMS_MAX_CHARS, without subject or signature block. Absent: EMAIL. */
  channel?: 'EMAIL' | 'SMS';
  goal: { objective: string; knowledge?: unknown };
  counterparty: {
    address: string;
    name: string;
    company?: string | null;
    timezone?: string | null;
    customData?: Record<string, unknown> | null;
  };
  senderPersona: { name: string; role?: string | null; company?: string | null; tone?: string | null };
  constraints?: unknown;
  resultSchema?: Record<string, unknown> | null;
  attemptCount: number;
  maxAttempts: number;
  thread: ThreadMessage[];
  /** Every attachment of the thread, oldest first; counterparty-controlled like mail text. Absent: not loaded. */
  attachments?: ContextAttachment[];
}

export type { AttachmentExtraction, ExtractionStatus } from '../domain/attachment.types';
import type { AttachmentExtraction } from '../domain/attachment.types';

export interface ContextAttachment {
  name: string | null;
  /** The detected type when known, else the sender's header. */
  type: string | null;
  size: number;
  direction: 'inbound' | 'outbound';
  at: Date;
  extraction: AttachmentExtraction | null;
}

export interface ComposeRequest {
  purpose: SendPurpose;
  context: CaseContext;
  /** For purpose 'reply': the evaluation's draft of what to say. */
  replyBody?: string | null;
}

export interface ComposedMessage {
  subject: string;
  body: string;
}

export interface Agent {
  readonly name: string;
  /** The `compose_message` call. */
  compose(request: ComposeRequest): Promise<ComposedMessage>;
  /**
   * The `evaluate_reply` call. Never throws for a bad model answer: after retries it returns INPUT_NEEDED with a
   * question for the human rather than guessing. A GOAL_ACHIEVED result has been validated against resultSchema.
   */
  evaluate(context: CaseContext): Promise<Evaluation>;
}
