// `offload demo`: one whole case in a few readable lines, on a temporary database next to DATABASE_URL's, through
// the same faces a client uses (GraphQL over HTTP, graphql-ws, the local mail webhook). Needs nothing but PostgreSQL.
import { randomBytes } from 'node:crypto';
import { print, type ExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDetailDocument,
  type CaseUpdatesSubscription,
  type GetCaseDetailQuery,
} from '../../schema/generated/graphql';
import { loadConfig, requireDatabaseUrl } from '../config/env.config';
import { dropDatabase } from '../persistence/data-source.factory';
import { locateDatabase } from '../persistence/database-location.service';
import { createLogger } from '../observability/logger.factory';
import { startOffload, type Offload } from '../server/offload.app';
import { offloadUrls } from './cli-output.writer';

type Out = (line: string) => void;
type Detail = NonNullable<GetCaseDetailQuery['case']>;

const DEMO_TIMEOUT_MS = 60_000;
const REPLY = 'Hi Sam,\n\nHere is the signed W-9 you asked for.\nreceived: yes\n\nVera';

/** `offload demo`: on DATABASE_URL's server when set, else on the embedded one (started for the demo if need be). */
export async function runDemoCommand(out: Out, progress: Out): Promise<void> {
  const location = await locateDatabase(loadConfig(), 'demo', progress);
  progress(location.description);
  try {
    await runDemo({ ...process.env, DATABASE_URL: location.url }, out, progress);
  } finally {
    await location.stop();
  }
}

export async function runDemo(env: NodeJS.ProcessEnv, out: Out, progress: Out): Promise<void> {
  const base = loadConfig(env);
  const database = temporaryDatabase(requireDatabaseUrl(base));
  progress(`Starting Offload in this process on a temporary database (${database.name})...`);
  const started = Date.now();
  const { PUBLIC_URL: _ignored, ...rest } = env;
  const config = loadConfig({
    ...rest,
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: env.DEMO_LOG_LEVEL ?? 'silent',
    MAIL_TRANSPORT: 'local',
    AGENT: env.AGENT ?? 'rules',
  });
  let offload: Offload | null = null;
  try {
    offload = await startOffload(config, { role: 'serve', logger: createLogger(config.LOG_LEVEL) });
    progress(
      `  ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${offload.url} (agent ${config.agent}, local mail)`,
    );
    const { apiKey } = await offload.services.accounts.createAccount('demo', 'BASE_PRO');
    await playCase(offload.url, apiKey, out);
  } finally {
    progress('Stopping Offload and dropping the temporary database...');
    await offload?.stop();
    await database.drop();
  }
  // The URLs `npm start` will serve with this environment (PORT, PUBLIC_URL), not the demo's own throwaway port.
  const urls = offloadUrls(base.publicUrl);
  progress(`Done. \`npm start\` runs Offload for real: GraphQL ${urls.graphql} · dashboard ${urls.dashboard}`);
}

async function playCase(url: string, apiKey: string, out: Out): Promise<void> {
  const api = graphql(url, apiKey);
  const reference = `demo-${randomBytes(3).toString('hex')}`;
  const live = watch(url, apiKey, reference, out);
  try {
    await live.ready;
    const { createCase } = await api(CreateCaseDocument, {
      input: {
        channel: 'EMAIL',
        clientReferenceId: reference,
        goal: { objective: 'Collect a signed W-9 from the vendor' },
        counterparty: { address: 'vera@vendor.example', name: 'Vera' },
        senderPersona: { name: 'Sam', role: 'Accounts payable', company: 'Acme' },
        resultSchema: { type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] },
      },
    });
    out(`1. Created case ${createCase.id}: "Collect a signed W-9 from the vendor" (${createCase.status})`);

    const running = await until(api, createCase.id, (c) => c.status !== 'CREATED');
    await live.seen(running.timeline.length);
    const outreach = running.messages.find((m) => m.direction === 'outbound')!;
    out(`2. Offload emailed ${outreach.to.join(', ')} from ${outreach.from}:`);
    out(`     Subject: ${outreach.subject ?? ''}`);
    for (const line of (outreach.text ?? '').trim().split('\n').slice(0, 8)) out(line ? `     | ${line}` : '     |');

    out(`3. Vera replies: "${REPLY.split('\n').slice(2, 4).join(' ')}"`);
    await postReply(url, apiKey, createCase.id, REPLY);

    const done = await until(api, createCase.id, (c) => c.status === 'COMPLETED' || c.status === 'FAILED');
    await live.seen(done.timeline.length);
    out(`4. Result: ${done.status} / ${done.resultStatus ?? '-'} ${JSON.stringify(done.result)}`);
    out(`   after ${done.attemptCount} email(s) and ${done.timeline.length} timeline events.`);
  } finally {
    await live.stop();
  }
}

function graphql(url: string, apiKey: string) {
  return async <T, V>(document: TypedDocumentNode<T, V>, variables: V): Promise<T> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await res.json()) as ExecutionResult<T>;
    if (body.errors?.length || !body.data) throw new Error(`demo: GraphQL answered ${JSON.stringify(body.errors)}`);
    return body.data;
  };
}

/** Prints each change of the demo's case as the subscription delivers it. */
function watch(url: string, apiKey: string, reference: string, out: Out) {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-api-key': apiKey },
    retryAttempts: 0,
  });
  let count = 0;
  const waiters = new Set<() => void>();
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  client.on('connected', () => resolveReady());
  const unsubscribe = client.subscribe<CaseUpdatesSubscription>(
    { query: print(CaseUpdatesDocument), variables: { filter: { clientReferenceId: reference } } },
    {
      next: ({ data }) => {
        const update = data?.caseUpdates;
        if (!update) return;
        count += 1;
        const change =
          update.previousStatus === update.toStatus
            ? String(update.toStatus)
            : `${update.previousStatus ?? 'new'} -> ${update.toStatus}`;
        out(`   live: ${change.padEnd(24)} ${update.type}`);
        for (const wake of waiters) wake();
      },
      error: (error) =>
        out(`   live updates stopped: ${error instanceof Error ? error.message : JSON.stringify(error)}`),
      complete: () => {},
    },
  );
  return {
    ready,
    /** Waits (briefly) until the subscription has printed `n` updates, so the last one shows before the result. */
    seen: (n: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(finish, 5_000);
        function finish() {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        function check() {
          if (count >= n) finish();
        }
        waiters.add(check);
        check();
      }),
    stop: async () => {
      unsubscribe();
      await client.dispose();
    },
  };
}

async function until(
  api: ReturnType<typeof graphql>,
  id: string,
  test: (c: Detail) => boolean,
  timeoutMs = DEMO_TIMEOUT_MS,
): Promise<Detail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { case: c } = await api(GetCaseDetailDocument, { id });
    if (c && test(c)) return c;
    if (Date.now() > deadline)
      throw new Error(`demo: case ${id} still ${c?.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function postReply(url: string, apiKey: string, caseId: string, text: string): Promise<void> {
  const res = await fetch(`${url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ caseId, from: 'vera@vendor.example', fromName: 'Vera', text }),
  });
  if (res.status !== 202) throw new Error(`demo: /webhooks/local answered ${res.status}: ${await res.text()}`);
}

function temporaryDatabase(databaseUrl: string) {
  const name = `offload_demo_${randomBytes(4).toString('hex')}`;
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => dropDatabase(databaseUrl, name) };
}
