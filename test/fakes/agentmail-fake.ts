// An HTTP stand-in for the parts of the AgentMail API Offload uses, with AgentMail's observable rules: Bearer auth,
// Idempotency-Key replay (same key and body -> same answer, same key and another body -> 409), replies only to known
// messages, expiring attachment links. It can be scripted to fail, and signs webhooks the way Svix does.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'svix';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** What the fake answered. */
  response?: { status: number; body: unknown };
}

export interface FakeAttachment {
  attachment_id: string;
  filename: string | null;
  size: number;
  content_type: string | null;
  /** Served at the attachment's download link when given (AgentMail keeps the bytes; Offload does not). */
  content?: Buffer;
}

export interface AgentmailFake {
  /** Includes the /v0 prefix, like AGENTMAIL_BASE_URL. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  /** The next API call is answered with this status and body instead. */
  failNext(status: number, body?: object): void;
  /**
   * Makes a message (e.g. an inbound reply) known, so it can be replied to, its attachments fetched and (given
   * `full`, the message object GET /messages/{id} returns) read whole.
   */
  addMessage(inboxId: string, messageId: string, threadId: string, attachments?: FakeAttachment[], full?: object): void;
  /** Bytes served at an attachment's download_url. */
  addFile(attachmentId: string, content: Buffer): void;
  close(): Promise<void>;
}

interface StoredMessage {
  threadId: string;
  attachments: FakeAttachment[];
  full?: object;
}

type Reply = { status: number; body: unknown };

export async function startAgentmailFake(apiKey = 'am_test_key'): Promise<AgentmailFake> {
  const requests: RecordedRequest[] = [];
  const failures: Reply[] = [];
  const messages = new Map<string, StoredMessage>();
  const files = new Map<string, Buffer>();
  const idempotent = new Map<string, { request: string; reply: Reply }>();
  let counter = 0;
  let origin = '';

  const sendLike = (req: RecordedRequest, inboxId: string, threadId: string | null): Reply => {
    const key = req.headers['idempotency-key'];
    const fingerprint = JSON.stringify([req.path, req.body]);
    const previous = typeof key === 'string' ? idempotent.get(key) : undefined;
    if (previous) {
      return previous.request === fingerprint ? previous.reply : error(409, 'ConflictError', 'idempotency key reused');
    }
    counter += 1;
    const sent = { message_id: `<fake-${counter}@agentmail.fake>`, thread_id: threadId ?? `thread-${counter}` };
    messages.set(`${inboxId}/${sent.message_id}`, { threadId: sent.thread_id, attachments: [] });
    const reply = { status: 200, body: sent };
    if (typeof key === 'string') idempotent.set(key, { request: fingerprint, reply });
    return reply;
  };

  const route = (req: RecordedRequest): Reply => {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(401, 'UnauthorizedError', 'bad api key');
    const failure = failures.shift();
    if (failure) return failure;
    const parts = req.path.split('/').slice(1).map(decodeURIComponent); // v0, inboxes, id, messages, ...
    const [version, inboxes, inboxId, kind, messageId, action, attachmentId] = parts;
    if (version !== 'v0' || inboxes !== 'inboxes' || !inboxId || kind !== 'messages') return notFound();
    if (req.method === 'POST' && messageId === 'send' && parts.length === 5) return sendLike(req, inboxId, null);
    const stored = messageId ? messages.get(`${inboxId}/${messageId}`) : undefined;
    if (!stored) return notFound();
    if (req.method === 'GET' && parts.length === 5)
      return stored.full ? { status: 200, body: stored.full } : notFound();
    if (req.method === 'POST' && action === 'reply' && parts.length === 6)
      return sendLike(req, inboxId, stored.threadId);
    if (req.method === 'GET' && action === 'attachments' && parts.length === 7) {
      const attachment = stored.attachments.find((a) => a.attachment_id === attachmentId);
      if (!attachment) return notFound();
      const expires = new Date(Date.now() + 3600_000).toISOString();
      const { content: _bytes, ...metadata } = attachment;
      return {
        status: 200,
        body: { ...metadata, download_url: `${origin}/files/${attachmentId}`, expires_at: expires },
      };
    }
    return notFound();
  };

  const server = createServer((req, res) => {
    const file = req.url?.startsWith('/files/') ? files.get(decodeURIComponent(req.url.slice('/files/'.length))) : null;
    if (file) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length }).end(file);
      return;
    }
    void readBody(req).then((raw) => {
      // A download link: pre-signed, as AgentMail's are, so it is served without the API key and not recorded.
      const file = /^\/files\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && file) return serveFile(res, decodeURIComponent(file[1]!));
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: parseJson(raw),
      };
      requests.push(recorded);
      const reply = route(recorded);
      recorded.response = reply;
      respond(res, reply);
    });
  });
  const serveFile = (res: ServerResponse, attachmentId: string) => {
    const found = [...messages.values()].flatMap((m) => m.attachments).find((a) => a.attachment_id === attachmentId);
    if (!found?.content) return respond(res, notFound());
    res.writeHead(200, { 'content-type': found.content_type ?? 'application/octet-stream' }).end(found.content);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl: `${origin}/v0`,
    apiKey,
    requests,
    failNext: (status, body = { name: 'ScriptedError', message: `scripted ${status}` }) =>
      failures.push({ status, body }),
    addMessage: (inboxId, messageId, threadId, attachments = [], full) =>
      messages.set(`${inboxId}/${messageId}`, { threadId, attachments, full }),
    addFile: (attachmentId, content) => files.set(attachmentId, content),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A fresh endpoint secret in AgentMail's (Svix's) format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Signs a payload as Svix would deliver it; `timestamp` lets a test send a stale or future delivery. */
export function signAgentmailWebhook(
  secret: string,
  payload: object | string,
  options: { msgId?: string; timestamp?: Date } = {},
): { body: string; headers: Record<string, string> } {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const msgId = options.msgId ?? `msg_${randomBytes(8).toString('hex')}`;
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(secret).sign(msgId, timestamp, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'svix-id': msgId,
      'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'svix-signature': signature,
    },
  };
}

function error(status: number, name: string, message: string): Reply {
  return { status, body: { name, message } };
}

function notFound(): Reply {
  return error(404, 'NotFoundError', 'not found');
}

function respond(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(raw: string): unknown {
  try {
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return raw;
  }
}
