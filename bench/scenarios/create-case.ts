// createCase over HTTP (GraphQL, concurrency 32) against a raw baseline doing the same INSERT and pg-boss send in
// one transaction with pg directly, in the same minute. The Offload API runs in a process of its own, as deployed:
// in the bench process it would share one event loop with the HTTP load generator, and the figure would measure the
// generator as much as the server. The raw baseline has no server, so it stays in the bench process with pg; both
// sides get the same total, concurrency and warm-up, and the machine's two cores are shared either way. The load
// generator is undici's request API on one keep-alive connection per concurrent client: fetch (web streams over the
// same undici) costs about 0.4 ms of CPU per request more, taken from the same two cores the server and PostgreSQL
// run on.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PgBoss } from 'pg-boss';
import { Pool as HttpPool } from 'undici';
import { QUEUES } from '../../src/jobs/job.catalog';
import { freshDatabase, load, log, medianBy, startBenchApiProcess, type LatencySummary } from '../lib';

const MUTATION = `mutation($i: CreateCaseInput!) { createCase(input: $i) { id status } }`;

const input = (i: number) => ({
  channel: 'EMAIL',
  goal: { objective: 'Collect a signed W-9 from the vendor' },
  counterparty: { address: `vendor${i}@example.com`, name: 'Vera Vendor' },
  senderPersona: { name: 'Sam Sender' },
  clientReferenceId: `bench-${i}`,
  // Distinct per case, so a per-create cost of checking it (compiling, retaining) shows here (issue 19).
  resultSchema: { type: 'object', properties: { received: { type: 'boolean' }, ref: { const: `bench-${i}` } } },
});

export interface CreateCaseResult {
  /** The median round of each side (by throughput). */
  offload: LatencySummary;
  raw: LatencySummary;
  ratio: number;
  /** Each round's Offload/raw ratio, in order. */
  rounds: number[];
  target: number;
}

/** Offload and raw runs alternate, so a load spike from elsewhere on the machine does not land on one side only. */
const ROUNDS = 3;

export async function benchCreateCase(total = 3000, concurrency = 32): Promise<CreateCaseResult> {
  const database = await freshDatabase('create');
  const api = await startBenchApiProcess(database.url, { DATABASE_POOL_MAX: '40' });
  const { apiKey, accountId } = api;
  const pool = new Pool({ connectionString: database.url, max: 40 });
  const boss = new PgBoss({
    connectionString: database.url,
    max: 4,
    schedule: false,
    supervise: false,
    migrate: false,
  });
  await boss.start();
  const http = new HttpPool(api.url, { connections: concurrency });
  try {
    const body = (i: number) => JSON.stringify({ query: MUTATION, variables: { i: input(i) } });
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    const post = async (i: number) => {
      const res = await http.request({ path: '/graphql', method: 'POST', headers, body: body(i) });
      const json = (await res.body.json()) as { errors?: unknown };
      if (res.statusCode !== 200 || json.errors)
        throw new Error(`createCase failed (${res.statusCode}): ${JSON.stringify(json.errors)}`);
    };
    const raw = async (i: number) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const id = randomUUID();
        const now = new Date();
        const c = input(i);
        await client.query(
          `INSERT INTO cases (id, account_id, client_reference_id, channel, status, goal, counterparty, sender_persona,
                              max_attempts, follow_up_delay_hours, created_at, updated_at)
           VALUES ($1, $2, $3, 'EMAIL', 'CREATED', $4, $5, $6, 3, 72, $7, $7)`,
          [id, accountId, c.clientReferenceId, c.goal, c.counterparty, c.senderPersona, now],
        );
        await boss.send(
          QUEUES.caseEvents.name,
          { type: 'CASE_CREATED', caseId: id, key: `${id}:created` },
          { db: { executeSql: (text, values) => client.query(text, values as unknown[]) }, group: { id } },
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
    // Warm both paths (JIT, pools, prepared plans) before measuring.
    await load(200, concurrency, post);
    await load(200, concurrency, raw);
    const offloadRuns: LatencySummary[] = [];
    const rawRuns: LatencySummary[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = 1000 + round * total;
      log(`  createCase round ${round + 1}/${ROUNDS}: ${total} over HTTP, concurrency ${concurrency}...`);
      const apiCpu = api.cpuMs();
      const clientCpu = process.cpuUsage();
      offloadRuns.push(await load(total, concurrency, (i) => post(first + i)));
      const { user, system } = process.cpuUsage(clientCpu);
      const perCase = (ms: number) => (ms / total).toFixed(2);
      log(
        `  createCase: CPU ms per case: API process ${perCase(api.cpuMs() - apiCpu)}, load generator ${perCase((user + system) / 1000)}`,
      );
      log(`  createCase round ${round + 1}/${ROUNDS}: ${total} raw INSERT + send...`);
      rawRuns.push(await load(total, concurrency, (i) => raw(first + i)));
    }
    const offload = medianBy(offloadRuns, (r) => r.perSecond);
    const rawRun = medianBy(rawRuns, (r) => r.perSecond);
    return {
      offload,
      raw: rawRun,
      ratio: offload.perSecond / rawRun.perSecond,
      rounds: offloadRuns.map((r, i) => r.perSecond / rawRuns[i]!.perSecond),
      target: 0.5,
    };
  } finally {
    await http.close();
    await boss.stop({ graceful: false });
    await pool.end();
    await api.stop();
    await database.drop();
  }
}
