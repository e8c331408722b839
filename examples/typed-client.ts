// A typed GraphQL client for Offload in a few lines: plain fetch for queries and mutations, graphql-ws for live
// updates, and the typed documents graphql-codegen generates into schema/generated/ (`npm run codegen`). Variables
// and results are checked by the compiler: a misspelt field or a missing required input does not build.
//
//   OFFLOAD_URL=http://127.0.0.1:4000 OFFLOAD_API_KEY=ofk_… npm run example
//
// With the default local mail transport it also plays the counterparty's reply, so the case finishes.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CaseUpdatedDocument,
  CreateCaseDocument,
  GetCaseDetailDocument,
  GetCaseDocument,
  type CaseStatus,
  type CaseUpdatedSubscription,
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
    return { caseId: createCase.id, status };
  } finally {
    await ws.dispose();
  }
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
