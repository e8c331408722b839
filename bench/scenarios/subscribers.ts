// 5,000 concurrent graphql-ws subscribers, one update each: delivery latency (p50/p99, target p99 < 100 ms) and the
// API process's memory per connection (target < 30 KB). The API runs as its own process so its memory is its own.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { freshDatabase, log, percentile, startBenchOffload } from '../lib';

export interface SubscribersResult {
  subscribers: number;
  /** Concurrent writers producing the updates, and the rate they reached. */
  updateWriters: number;
  updatesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  delivered: number;
  bytesPerConnection: number;
  targets: { p99Ms: number; bytesPerConnection: number };
}

const CLI = path.resolve(__dirname, '../../src/cli/main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb) * 1024;
}

const WARMUP = 200;

const SUBSCRIPTION = `subscription($id: ID!) { caseUpdated(id: $id) { eventId type case { id status } } }`;

export async function benchSubscribers(count = 5000, updateConcurrency = 4): Promise<SubscribersResult> {
  const database = await freshDatabase('subs');
  const driver = await startBenchOffload(database.url, 'api');
  const account = await driver.offload.services.accounts.authenticate(driver.apiKey);
  const port = await freePort();
  const api = spawn(process.execPath, [CLI, 'api'], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: '0',
      // Every subscriber here is the same account; the per-account cap would refuse all but the first thousand.
      WS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '100000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const clients: Client[] = [];
  try {
    const total = count + WARMUP;
    log(`  subscribers: creating ${total} cases...`);
    const all: string[] = [];
    for (let i = 0; i < total; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, total - i) }, (_, j) =>
          driver.offload.services.cases.createCase(account, {
            channel: 'EMAIL',
            goal: { objective: 'Confirm the delivery window' },
            counterparty: { address: `s${i + j}@example.com`, name: 'S' },
            senderPersona: { name: 'Sam' },
          }),
        ),
      );
      all.push(...batch.map((c) => c.id));
    }
    const warmup = all.slice(0, WARMUP);
    const ids = all.slice(WARMUP);
    await waitForHttp(port);
    const received = new Map<string, number>();
    let subscribed = 0;
    const connect = async (list: string[]) => {
      for (let i = 0; i < list.length; i += 250) {
        await Promise.all(
          list.slice(i, i + 250).map(
            (id) =>
              new Promise<void>((resolve, reject) => {
                const client = createClient({
                  url: `ws://127.0.0.1:${port}/graphql`,
                  webSocketImpl: WebSocket,
                  connectionParams: { 'x-api-key': driver.apiKey },
                  retryAttempts: 0,
                  lazy: false,
                  on: { connected: () => resolve(), error: (e) => reject(e as Error) },
                });
                clients.push(client);
                client.subscribe(
                  { query: SUBSCRIPTION, variables: { id } },
                  {
                    next: () => received.set(id, performance.now()),
                    error: () => undefined,
                    complete: () => undefined,
                  },
                );
                subscribed++;
              }),
          ),
        );
      }
      // Let the server settle its subscriptions and collect garbage before reading its memory.
      await new Promise((r) => setTimeout(r, 3000));
    };
    // The first connections also pay for warming the server up (schema caches, JIT, pools); they are not counted.
    await connect(warmup);
    const baseline = await rssBytes(api.pid!);
    log(`  subscribers: opening ${count} graphql-ws connections...`);
    await connect(ids);
    const loaded = await rssBytes(api.pid!);
    log(`  subscribers: ${subscribed} subscribed; one update each...`);
    const sentAt = new Map<string, number>();
    let next = 0;
    const updatesStarted = performance.now();
    await Promise.all(
      Array.from({ length: updateConcurrency }, async () => {
        for (;;) {
          const id = ids[next++];
          if (!id) return;
          await driver.offload.services.cases.cancelCase(account, id, 'bench');
          sentAt.set(id, performance.now());
        }
      }),
    );
    const updatesPerSecond = count / ((performance.now() - updatesStarted) / 1000);
    log(`  subscribers: ${count} updates written at ${updatesPerSecond.toFixed(0)}/s`);
    const deadline = Date.now() + 30_000;
    while (received.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    log(`  subscribers: ${received.size} of ${count} updates received`);
    const latencies = ids
      .filter((id) => received.has(id) && sentAt.has(id))
      .map((id) => Math.max(0, received.get(id)! - sentAt.get(id)!))
      .sort((a, b) => a - b);
    return {
      subscribers: count,
      delivered: received.size,
      updateWriters: updateConcurrency,
      updatesPerSecond,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      bytesPerConnection: (loaded - baseline) / count,
      targets: { p99Ms: 100, bytesPerConnection: 30 * 1024 },
    };
  } finally {
    // dispose() waits for each close handshake; the API process is about to go, so do not wait for it.
    for (const c of clients) void c.dispose();
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await driver.offload.stop();
    await database.drop();
  }
}

async function waitForHttp(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('API process did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}
