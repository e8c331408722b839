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
  /**
   * A call that costs next to nothing and succeeds only when the provider would serve real calls (key, model and
   * quota all fine): the model gate's circuit probe while no case is waiting. Agents that call nobody omit it.
   */
  probe?(): Promise<void>;
}

/**
 * Why a model call failed, as far as retrying goes (provider-error.mapper.ts classifies the provider's errors):
 * - `rate_limited`: the provider said "not now" (429, or 503 overloaded); nobody should call before `waitMs` passes;
 * - `transient`: a timeout, a dropped connection or a 5xx; this call may be retried after a pause;
 * - `unavailable`: no retry fixes it (401/403, insufficient_quota, an unknown model): every call will fail alike
 *   until an operator acts, so callers stop calling and probe;
 * - `invalid_request`: this one request was refused (400, 422); other requests are fine.
 */
export type AgentFailureKind = 'rate_limited' | 'transient' | 'unavailable' | 'invalid_request';

export class AgentCallError extends Error {
  override readonly name = 'AgentCallError';
  readonly kind: AgentFailureKind;
  /** The HTTP status, null for network errors and timeouts. */
  readonly status: number | null;
  /** The provider's error code (insufficient_quota, model_not_found ...), when it gave one. */
  readonly code: string | null;
  /** How long the provider asked everyone to wait (Retry-After, x-ratelimit-reset-*), null when it did not say. */
  readonly waitMs: number | null;
  /** The request limit the provider declared (x-ratelimit-limit-requests), null when it did not. */
  readonly declaredPerMinute: number | null;

  constructor(
    fields: {
      kind: AgentFailureKind;
      message: string;
      status: number | null;
      code: string | null;
      waitMs: number | null;
      declaredPerMinute?: number | null;
    },
    options?: { cause?: unknown },
  ) {
    super(fields.message, options);
    this.kind = fields.kind;
    this.status = fields.status;
    this.code = fields.code;
    this.waitMs = fields.waitMs;
    this.declaredPerMinute = fields.declaredPerMinute ?? null;
  }

  /** What operators may read (timeline, /readyz): the status and code, never the provider's text (it can echo keys). */
  get reason(): string {
    return [this.status === null ? 'no response' : `HTTP ${this.status}`, this.code].filter(Boolean).join(' ');
  }
}
