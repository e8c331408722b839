// The model provider of the model-bound benchmarks: an OpenAI-compatible Chat Completions server on loopback that
// answers Offload's two structured calls (compose_message, evaluate_reply) after a configurable latency, and
// enforces a configurable request rate the way a provider does (429 with Retry-After and x-ratelimit-* headers).
// It counts what it was asked, so the bench can say how many paid calls a campaign cost.
// Not test/fakes/openai-fake.ts: that one answers from a script for correctness tests; this one only has to be fast,
// steady and honest about time, and is built into dist/ with the bench.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readBody, sendJson } from '../test/fakes/fake-http';

export type Latency = { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number };

export interface RateLimit {
  requestsPerMinute: number;
  /** How many requests may arrive at once on a full bucket: providers enforce per-minute limits over short windows. */
  burst: number;
  /** OpenAI counts rejected requests against the limit too: a client that retries too eagerly never gets through. */
  rejectionsCount: boolean;
}

export interface ModelFakeOptions {
  latency: Latency;
  rateLimit: RateLimit | null;
}

export interface ModelFakeCounts {
  /** Requests per call name, whatever their answer (429s included). */
  composeRequests: number;
  evaluateRequests: number;
  /** Calls answered 200 (paid calls). */
  composeAnswered: number;
  evaluateAnswered: number;
  /** Distinct cases that got a compose answer: compose calls beyond this number were wasted. */
  casesComposed: number;
  rejected429: number;
  /** The most requests the fake held at once (waiting out their latency). */
  peakInFlight: number;
}

export interface ModelFake {
  baseURL: string;
  counts(): ModelFakeCounts;
  /** Mean latency of an answered call, in seconds, from the configuration (not measured). */
  meanLatencySeconds: number;
  stop(): Promise<void>;
}

export const meanLatencyMs = (latency: Latency): number =>
  latency.kind === 'fixed' ? latency.ms : (latency.minMs + latency.maxMs) / 2;

const drawLatencyMs = (latency: Latency): number =>
  latency.kind === 'fixed' ? latency.ms : latency.minMs + Math.random() * (latency.maxMs - latency.minMs);

/**
 * A token bucket: `rate` tokens a second up to `burst`. With rejections counted, a rejected request takes a token too,
 * so the balance can go below zero and the caller's eager retries push its next success further out.
 */
class Bucket {
  private tokens: number;
  private last = performance.now();
  private readonly perMs: number;

  constructor(private readonly limit: RateLimit) {
    this.tokens = limit.burst;
    this.perMs = limit.requestsPerMinute / 60_000;
  }

  /** Null when admitted; else how long until one token is there (ms) and until the bucket is full again (ms). */
  take(): { retryMs: number; resetMs: number } | null {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    if (this.limit.rejectionsCount) this.tokens -= 1;
    return { retryMs: (1 - this.tokens) / this.perMs, resetMs: (this.limit.burst - this.tokens) / this.perMs };
  }

  remaining(): number {
    return Math.max(0, Math.floor(this.tokens));
  }
}

/** OpenAI's duration format for x-ratelimit-reset-*: "1s", "6m0s", "120ms". */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  return `${Math.floor(s / 60)}m${Number((s % 60).toFixed(3))}s`;
}

const EVALUATION = {
  decision: 'GOAL_ACHIEVED',
  reason: 'The vendor sent the TIN.',
  result: { tin: '12-3456789' },
  question: null,
  replyBody: null,
  snoozeHours: null,
};

export async function startModelFake(options: ModelFakeOptions): Promise<ModelFake> {
  const counts: ModelFakeCounts = {
    composeRequests: 0,
    evaluateRequests: 0,
    composeAnswered: 0,
    evaluateAnswered: 0,
    casesComposed: 0,
    rejected429: 0,
    peakInFlight: 0,
  };
  const composedCases = new Set<string>();
  const bucket = options.rateLimit ? new Bucket(options.rateLimit) : null;
  let inFlight = 0;

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => sendJson(res, 500, { error: { message: String(error) } }));
  });
  // Up to thousands of requests wait at once; Node's defaults would time them out or cap the sockets.
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !/^(\/v1)?\/chat\/completions$/.test(path)) {
      sendJson(res, 404, { error: { message: `model fake: no route ${req.method} ${path}` } });
      return;
    }
    const body = JSON.parse(await readBody(req)) as {
      model?: string;
      messages?: { content: string | null }[];
      response_format?: { json_schema?: { name?: string } };
    };
    const name = body.response_format?.json_schema?.name;
    if (name === 'compose_message') counts.composeRequests++;
    else if (name === 'evaluate_reply') counts.evaluateRequests++;
    else {
      sendJson(res, 400, { error: { message: `model fake: unknown call ${String(name)}` } });
      return;
    }
    const limited = bucket?.take();
    if (limited) {
      counts.rejected429++;
      sendJson(
        res,
        429,
        { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        {
          'retry-after': String(Math.max(1, Math.ceil(limited.retryMs / 1000))),
          'x-ratelimit-limit-requests': String(options.rateLimit!.requestsPerMinute),
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': duration(limited.resetMs),
        },
      );
      return;
    }
    inFlight++;
    counts.peakInFlight = Math.max(counts.peakInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, drawLatencyMs(options.latency)));
    } finally {
      inFlight--;
    }
    const text = (body.messages ?? []).map((m) => m.content ?? '').join('\n');
    let content: string;
    if (name === 'compose_message') {
      counts.composeAnswered++;
      const caseId = /^Case ID: (\S+)$/m.exec(text)?.[1];
      if (caseId) composedCases.add(caseId);
      counts.casesComposed = composedCases.size;
      content = JSON.stringify({ subject: 'W-9 request', body: 'Hello,\nplease send your signed W-9.\nSam' });
    } else {
      counts.evaluateAnswered++;
      content = JSON.stringify(EVALUATION);
    }
    const promptTokens = Math.ceil(text.length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    const headers: Record<string, string> = {};
    if (bucket) {
      headers['x-ratelimit-limit-requests'] = String(options.rateLimit!.requestsPerMinute);
      headers['x-ratelimit-remaining-requests'] = String(bucket.remaining());
    }
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-bench-${Math.random().toString(36).slice(2)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'bench-model',
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      },
      headers,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    counts: () => ({ ...counts }),
    meanLatencySeconds: meanLatencyMs(options.latency) / 1000,
    stop: () => closeServer(server),
  };
}
