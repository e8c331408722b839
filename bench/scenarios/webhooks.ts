// Webhook deliveries per second to a loopback receiver, and createCase latency while they run (against the same
// measurement with the deliveries idle, in the same process and minute).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freshDatabase, load, log, startBenchOffload, type LatencySummary } from '../lib';

export interface WebhooksResult {
  deliveries: number;
  deliveriesPerSecond: number;
  createIdle: LatencySummary;
  createDuringDeliveries: LatencySummary;
}

const MUTATION = `mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }`;

export async function benchWebhooks(deliveries = 2000): Promise<WebhooksResult> {
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const database = await freshDatabase('webhooks');
  const { offload, apiKey } = await startBenchOffload(database.url, 'serve', {
    WORKER_CONCURRENCY: '16',
    DATABASE_POOL_MAX: '40',
  });
  const account = await offload.services.accounts.authenticate(apiKey);
  const input = (i: number, url?: string) => ({
    channel: 'EMAIL',
    goal: { objective: 'Get the corrected March invoice' },
    counterparty: { address: `w${i}@example.com`, name: 'W' },
    senderPersona: { name: 'Sam' },
    ...(url ? { clientWebhookUrl: url } : {}),
  });
  const post = async (i: number) => {
    const res = await fetch(`${offload.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ query: MUTATION, variables: { i: input(100_000 + i) } }),
    });
    await res.json();
  };
  try {
    log(`  webhooks: creating ${deliveries} cases with a webhook URL...`);
    const ids: string[] = [];
    for (let i = 0; i < deliveries; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, deliveries - i) }, (_, j) =>
          offload.services.cases.createCase(account, input(i + j, hook)),
        ),
      );
      ids.push(...batch.map((c) => c.id));
    }
    // Idle means idle: let the worker finish the outreach of every case first.
    for (let deadline = Date.now() + 5 * 60_000; Date.now() < deadline;) {
      const [row] = await offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE status = 'CREATED'`);
      if (row.n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await load(100, 4, post); // warm the path up, so "idle" is not also "cold"
    const createIdle = await load(300, 4, post);
    log(`  webhooks: cancelling ${deliveries} cases (one case.failed delivery each)...`);
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(ids.slice(i, i + 50).map((id) => offload.services.cases.cancelCase(account, id, 'bench')));
    const createDuringDeliveries = await load(300, 4, post);
    const deadline = Date.now() + 5 * 60_000;
    while (received < deliveries && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    return { deliveries: received, deliveriesPerSecond: received / seconds, createIdle, createDuringDeliveries };
  } finally {
    await offload.stop();
    await database.drop();
    receiver.close();
  }
}
