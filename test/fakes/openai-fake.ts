// An OpenAI-compatible Chat Completions server for tests: records every request and answers from a script, so
// tests drive the real `openai` client over real HTTP on 127.0.0.1.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readBody, sendJson } from './fake-http';

export interface FakeChatMessage {
  role: string;
  content: string | null;
}

export interface FakeChatRequest {
  path: string;
  /** The parsed JSON body as sent by the client. */
  body: {
    model?: string;
    messages?: FakeChatMessage[];
    response_format?: { type?: string; json_schema?: { name?: string; strict?: boolean; schema?: unknown } };
    [key: string]: unknown;
  };
  /** response_format.json_schema.name: 'compose_message' | 'evaluate_reply' for Offload's agent. */
  callName: string | null;
  /** The `Case ID: ...` line of Offload's prompts, when present. */
  caseId: string | null;
  /** Every message's content joined, for substring checks. */
  text: string;
}

export type FakeAnswer =
  | { kind: 'json'; value: unknown }
  | { kind: 'content'; content: string; finishReason?: string }
  | { kind: 'refusal'; refusal: string }
  /** shouldRetry sets the x-should-retry header the openai client obeys (unset: its default, retry 5xx/429). */
  | {
      kind: 'http_error';
      status: number;
      message?: string;
      shouldRetry?: boolean;
      /** Response headers (Retry-After, x-ratelimit-reset-requests ...) and error.code (insufficient_quota ...). */
      headers?: Record<string, string>;
      code?: string;
    };

export const answer = {
  /** A JSON object serialized into choices[0].message.content. */
  json: (value: unknown): FakeAnswer => ({ kind: 'json', value }),
  /** Raw content, e.g. to simulate invalid JSON. */
  raw: (content: string, finishReason?: string): FakeAnswer => ({ kind: 'content', content, finishReason }),
  refusal: (refusal = "I'm sorry, I can't help with that."): FakeAnswer => ({ kind: 'refusal', refusal }),
  error: (status: number, message?: string, shouldRetry?: boolean): FakeAnswer => ({
    kind: 'http_error',
    status,
    message,
    shouldRetry,
  }),
  /** A refusal as providers send it: 429 (or another status) with headers and an error code. */
  refused: (status: number, headers: Record<string, string> = {}, code?: string): FakeAnswer => ({
    kind: 'http_error',
    status,
    headers,
    code,
  }),
};

export type FakeHandler = (request: FakeChatRequest) => FakeAnswer | Promise<FakeAnswer>;
export type FakeRoute = FakeAnswer | FakeAnswer[] | FakeHandler;

export interface OpenAIFake {
  /** Base URL for the openai client (ends in /v1). */
  baseURL: string;
  requests: FakeChatRequest[];
  /** Answers served in order; when both are set, the handler is used only once the queue is empty. */
  enqueue(...answers: FakeAnswer[]): void;
  setHandler(handler: FakeHandler | null): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startOpenAIFake(script?: FakeAnswer[] | FakeHandler): Promise<OpenAIFake> {
  const requests: FakeChatRequest[] = [];
  const queue: FakeAnswer[] = Array.isArray(script) ? [...script] : [];
  let handler: FakeHandler | null = typeof script === 'function' ? script : null;

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => sendJson(res, 500, { error: { message: String(error) } }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !/^(\/v1)?\/chat\/completions$/.test(path)) {
      sendJson(res, 404, { error: { message: `fake: no route ${req.method} ${path}` } });
      return;
    }
    const request = toRequest(path, JSON.parse(await readBody(req)) as FakeChatRequest['body']);
    requests.push(request);
    const next = queue.shift() ?? (handler ? await handler(request) : null);
    if (next === null) {
      sendJson(res, 500, { error: { message: 'fake: no scripted answer left' } });
      return;
    }
    respond(res, request, next);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    setHandler: (next) => {
      handler = next;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      handler = null;
    },
    stop: () => closeServer(server),
  };
}

/** Routes by call name (compose_message / evaluate_reply); an array is a queue for that name. */
export function routeByCall(routes: Record<string, FakeRoute>, fallback?: FakeHandler): FakeHandler {
  return routeBy((request) => (request.callName ? [request.callName] : []), routes, fallback);
}

/** Routes by case: a key matches when the request's Case ID equals it or its messages mention it. */
export function routeByCase(routes: Record<string, FakeRoute>, fallback?: FakeHandler): FakeHandler {
  return routeBy(
    (request) => Object.keys(routes).filter((key) => request.caseId === key || request.text.includes(key)),
    routes,
    fallback,
  );
}

function routeBy(
  keysOf: (request: FakeChatRequest) => string[],
  routes: Record<string, FakeRoute>,
  fallback?: FakeHandler,
): FakeHandler {
  const queues = new Map<string, FakeAnswer[]>();
  return (request) => {
    const key = keysOf(request).find((candidate) => candidate in routes);
    const route = key === undefined ? undefined : routes[key];
    if (key === undefined || route === undefined) {
      if (fallback) return fallback(request);
      return answer.error(500, `fake: no route for call ${request.callName} of case ${request.caseId}`);
    }
    if (typeof route === 'function') return route(request);
    if (!Array.isArray(route)) return route;
    if (!queues.has(key)) queues.set(key, [...route]);
    return queues.get(key)?.shift() ?? answer.error(500, `fake: route "${key}" has no answers left`);
  };
}

function toRequest(path: string, body: FakeChatRequest['body']): FakeChatRequest {
  const text = (body.messages ?? []).map((message) => message.content ?? '').join('\n');
  return {
    path,
    body,
    callName: body.response_format?.json_schema?.name ?? null,
    caseId: /^Case ID: (\S+)$/m.exec(text)?.[1] ?? null,
    text,
  };
}

function respond(res: ServerResponse, request: FakeChatRequest, next: FakeAnswer): void {
  if (next.kind === 'http_error') {
    const headers: Record<string, string> = { ...next.headers };
    if (next.shouldRetry !== undefined) headers['x-should-retry'] = String(next.shouldRetry);
    sendJson(
      res,
      next.status,
      { error: { message: next.message ?? `fake error ${next.status}`, type: 'fake_error', code: next.code ?? null } },
      headers,
    );
    return;
  }
  const content = next.kind === 'json' ? JSON.stringify(next.value) : next.kind === 'content' ? next.content : null;
  const refusal = next.kind === 'refusal' ? next.refusal : null;
  const finishReason = next.kind === 'content' ? (next.finishReason ?? 'stop') : 'stop';
  const promptTokens = Math.ceil(request.text.length / 4);
  const completionTokens = Math.ceil((content ?? refusal ?? '').length / 4);
  sendJson(res, 200, {
    id: `chatcmpl-fake-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model ?? 'fake-model',
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal }, finish_reason: finishReason, logprobs: null },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}
