// The three AgentMail calls Offload makes, over plain fetch: the `agentmail` SDK is not a dependency, and its built-in
// retries would fight the job layer's own. Responses are validated, so a changed API fails loudly here.
import { z } from 'zod';

export const AGENTMAIL_DEFAULT_BASE_URL = 'https://api.agentmail.to/v0';

export interface AgentmailClientOptions {
  apiKey: string;
  /** Including the version prefix, e.g. https://api.agentmail.to/v0. */
  baseUrl?: string;
  timeoutMs?: number;
}

export interface AgentmailSendBody {
  to?: string[];
  subject?: string;
  text: string;
  labels?: string[];
  headers?: Record<string, string>;
}

const SentSchema = z.object({ message_id: z.string().min(1), thread_id: z.string().min(1) });
export type AgentmailSent = z.infer<typeof SentSchema>;

const AttachmentSchema = z.object({
  attachment_id: z.string(),
  filename: z.string().nullish(),
  size: z.number(),
  content_type: z.string().nullish(),
  download_url: z.url(),
  expires_at: z.string(),
});
export type AgentmailAttachment = z.infer<typeof AttachmentSchema>;

/** An answer from AgentMail other than 2xx; `status` decides whether retrying can help. */
export class AgentmailApiError extends Error {
  override readonly name = 'AgentmailApiError';
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }

  /** 408 and 429 are AgentMail asking us to come back; 5xx is AgentMail's own failure. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface AgentmailClient {
  send(inboxId: string, body: AgentmailSendBody, idempotencyKey: string): Promise<AgentmailSent>;
  reply(inboxId: string, messageId: string, body: AgentmailSendBody, idempotencyKey: string): Promise<AgentmailSent>;
  getAttachment(inboxId: string, messageId: string, attachmentId: string): Promise<AgentmailAttachment>;
  /** The full message (GET .../messages/{id}); its shape is checked by the caller (agentmail.events.ts). */
  getMessage(inboxId: string, messageId: string): Promise<unknown>;
}

export function createAgentmailClient(options: AgentmailClientOptions): AgentmailClient {
  const baseUrl = (options.baseUrl ?? AGENTMAIL_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call<T>(method: string, path: string, schema: z.ZodType<T>, init: RequestOptions = {}): Promise<T> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        accept: 'application/json',
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const payload = await readJson(response);
    if (!response.ok) throw apiError(response.status, payload);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      throw new Error(`AgentMail ${method} ${path}: unexpected response (${z.prettifyError(parsed.error)})`);
    }
    return parsed.data;
  }

  return {
    send: (inboxId, body, idempotencyKey) =>
      call('POST', `/inboxes/${enc(inboxId)}/messages/send`, SentSchema, { body, idempotencyKey }),
    reply: (inboxId, messageId, body, idempotencyKey) =>
      call('POST', `/inboxes/${enc(inboxId)}/messages/${enc(messageId)}/reply`, SentSchema, { body, idempotencyKey }),
    getAttachment: (inboxId, messageId, attachmentId) =>
      call(
        'GET',
        `/inboxes/${enc(inboxId)}/messages/${enc(messageId)}/attachments/${enc(attachmentId)}`,
        AttachmentSchema,
      ),
    getMessage: (inboxId, messageId) => call('GET', `/inboxes/${enc(inboxId)}/messages/${enc(messageId)}`, z.unknown()),
  };
}

interface RequestOptions {
  body?: AgentmailSendBody;
  idempotencyKey?: string;
}

const enc = encodeURIComponent;

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 500) };
  }
}

const ErrorBodySchema = z
  .object({ name: z.string().optional(), message: z.string().optional(), code: z.string().optional() })
  .loose();

function apiError(status: number, payload: unknown): AgentmailApiError {
  const body = ErrorBodySchema.safeParse(payload);
  const code = body.success ? (body.data.code ?? body.data.name ?? null) : null;
  const message = body.success ? body.data.message : undefined;
  return new AgentmailApiError(
    status,
    code,
    `AgentMail ${status}${code ? ` ${code}` : ''}: ${message ?? 'request failed'}`,
  );
}
