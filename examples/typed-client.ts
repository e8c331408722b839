// A typed GraphQL client for Offload in a few lines: plain fetch for queries and mutations, graphql-ws for live
// updates, and the typed documents graphql-codegen generates into schema/generated/ (`npm run codegen`). Variables
// and results are checked by the compiler: a misspelt field or a missing required input does not build.
//
//   OFFLOAD_URL=http://127.0.0.1:4000 OFFLOAD_API_KEY=ofk_… npm run example
//
// With the default local mail transport it also plays the counterparty's reply, so the case finishes. Beside the
// case's own subscription it follows the whole account with caseUpdates, drops that connection once on purpose,
// and shows the feed resuming from its last cursor: nothing missed, nothing twice.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CaseUpdatedDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDetailDocument,
  GetCaseDocument,
  type CaseStatus,
  type CaseUpdatedSubscription,
  type CaseUpdatesSubscription,
  type CreateCaseInput,
} from '../schema/generated/graphql';

export interface ExampleOptions {
  url: string;
  apiKey: string;
  /** Post a reply through /webhooks/local (only meaningful with MAIL_TRANSPORT=local). */
  playReply: boolean;
  log: (line: string) => void;
}

/** One typed request: TResult and TVariables come from the document, so both are checked at compile time. */
export function typedClient(url: string, apiKey: string) {
  return async <TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await res.json()) as ExecutionResult<TResult>;
    if (body.errors?.length || !body.data) {
      const codes = body.errors?.map((e) => `${String(e.extensions?.code)}: ${e.message}`).join('; ');
      throw new Error(`GraphQL request failed (HTTP ${res.status}): ${codes}`);
    }
    return body.data;
  };
}

export async function runExample(options: ExampleOptions): Promise<{ caseId: string; status: string }> {
  const request = typedClient(options.url, options.apiKey);
  const input: CreateCaseInput = {
    channel: 'EMAIL',
    goal: { objective: 'Confirm the Tuesday delivery window' },
    counterparty: { address: 'dana@carrier.example', name: 'Dana' },
    senderPersona: { name: 'Sam', role: 'Logistics', company: 'Acme' },
    resultSchema: { type: 'object', properties: { confirmed: { type: 'boolean' } }, required: ['confirmed'] },
  };
  // A second connection for the account-wide feed, so that dropping it leaves the case's own subscription alone.
  const feedWs = createClient({
    url: `${options.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-api-key': options.apiKey },
    retryAttempts: 10,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
  });
  // Opened before the case exists, so it sees the case from its first update.
  const feed = followAccount(feedWs);
  const { createCase } = await request(CreateCaseDocument, { input });
  options.log(`created ${createCase.id} (${createCase.status})`);

  const ws = createClient({
    url: `${options.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-api-key': options.apiKey },
  });
  try {
    const live = watchCase(ws, createCase.id, options.log);
    if (options.playReply) {
      await waitForStatus(request, createCase.id, (status) => status !== 'CREATED');
      await waitUntil(() => feed.received.some((u) => u.case.id === createCase.id), 10_000);
      // A network drop: graphql-ws reconnects and subscribes again, with the last cursor as `after`.
      options.log(`feed: dropping the connection after ${feed.received.length} update(s)`);
      feedWs.terminate();
      await playReply(options, createCase.id);
    }
    // The subscription shows each change as it happens. The poll only guards against waiting forever for a change
    // made before the subscription was registered; when it sees the end first, the live update gets a moment more.
    const status = await Promise.race([
      live,
      waitForStatus(request, createCase.id, isFinished).then((polled) => withTimeout(live, 5_000, polled)),
    ]);
    const { case: detail } = await request(GetCaseDetailDocument, { id: createCase.id });
    options.log(`result: ${detail?.resultStatus} ${JSON.stringify(detail?.result)}`);
    const timeline = detail?.timeline.length ?? 0;
    await waitUntil(() => feed.received.some((u) => u.case.id === createCase.id && u.sequence === timeline), 10_000);
    const seen = feed.received.filter((u) => u.case.id === createCase.id).map((u) => u.sequence);
    // From the first update the feed saw (it may have connected after case.created) to the last, each exactly once.
    const first = seen[0] ?? 0;
    const exact = seen.at(-1) === timeline && seen.every((sequence, i) => sequence === first + i);
    const verdict = exact ? 'each once' : 'NOT each once';
    options.log(`feed: updates #${first}-#${seen.at(-1)} of ${timeline} across the drop, ${verdict}`);
    return { caseId: createCase.id, status };
  } finally {
    feed.stop();
    await Promise.all([ws.dispose(), feedWs.dispose()]);
  }
}

/**
 * Follows every change of the account's cases and resumes after a reconnect: graphql-ws sends the subscribe
 * payload again on every reconnect, and the getter makes that payload carry the last cursor received as `after`.
 */
export function followAccount(ws: Client) {
  const received: CaseUpdatesSubscription['caseUpdates'][] = [];
  let after: string | null = null;
  const stop = ws.subscribe<CaseUpdatesSubscription>(
    {
      query: print(CaseUpdatesDocument),
      get variables() {
        return after ? { after } : {};
      },
    },
    {
      next: ({ data, errors }) => {
        // CURSOR_EXPIRED: offline past the resume window; a real client reloads and subscribes without `after`.
        if (errors?.length) throw new Error(errors.map((e) => e.message).join('; '));
        if (!data) return;
        after = data.caseUpdates.cursor;
        received.push(data.caseUpdates);
      },
      error: () => {},
      complete: () => {},
    },
  );
  return { received, stop };
}

async function waitUntil(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

const withTimeout = <T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => resolve(fallback),
    );
  });

const isFinished = (status: CaseStatus): boolean => status === 'COMPLETED' || status === 'FAILED';

/** Logs every change of the case; resolves with the final status. */
function watchCase(ws: Client, id: string, log: (line: string) => void): Promise<CaseStatus> {
  return new Promise((resolve, reject) => {
    ws.subscribe<CaseUpdatedSubscription>(
      { query: print(CaseUpdatedDocument), variables: { id } },
      {
        next: ({ data }) => {
          const update = data?.caseUpdated;
          if (!update) return;
          log(`update #${update.sequence}: ${update.type} -> ${update.toStatus}`);
          if (isFinished(update.case.status)) resolve(update.case.status);
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => {},
      },
    );
  });
}

async function waitForStatus(
  request: ReturnType<typeof typedClient>,
  id: string,
  test: (status: CaseStatus) => boolean,
  timeoutMs = 60_000,
): Promise<CaseStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { case: found } = await request(GetCaseDocument, { id });
    if (found && test(found.status)) return found.status;
    if (Date.now() > deadline) throw new Error(`case ${id} is still ${found?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function playReply(options: ExampleOptions, caseId: string): Promise<void> {
  const res = await fetch(`${options.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
    body: JSON.stringify({ caseId, from: 'dana@carrier.example', text: 'Tuesday works for us.\nconfirmed: yes' }),
  });
  if (res.status !== 202) throw new Error(`/webhooks/local answered ${res.status}`);
  options.log('played the counterparty reply');
}

if (require.main === module) {
  const apiKey = process.env.OFFLOAD_API_KEY;
  if (!apiKey) {
    process.stderr.write('OFFLOAD_API_KEY is required (the key `npm start` printed on first start)\n');
    process.exit(2);
  }
  runExample({
    url: process.env.OFFLOAD_URL ?? 'http://127.0.0.1:4000',
    apiKey,
    playReply: process.env.PLAY_REPLY !== 'false',
    log: (line) => process.stdout.write(`${line}\n`),
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`example failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
