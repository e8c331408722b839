// createCase over HTTP (GraphQL, concurrency 32) against a raw baseline doing the same INSERT and pg-boss send in
// one transaction with pg directly, in the same process and minute.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PgBoss } from 'pg-boss';
import { QUEUES } from '../../src/jobs/job.catalog';
import { freshDatabase, load, log, startBenchOffload, unlimited, type LatencySummary } from '../lib';

const MUTATION = `mutation($i: CreateCaseInput!) { createCase(input: $i) { id status } }`;

const input = (i: number) => ({
  channel: 'EMAIL',
  goal: { objective: 'Collect a signed W-9 from the vendor' },
  counterparty: { address: `vendor${i}@example.com`, name: 'Vera Vendor' },
  senderPersona: { name: 'Sam Sender' },
  clientReferenceId: `bench-${i}`,
});

export interface CreateCaseResult {
  offload: LatencySummary;
  raw: LatencySummary;
  ratio: number;
  target: number;
}

export async function benchCreateCase(total = 3000, concurrency = 32): Promise<CreateCaseResult> {
  const database = await freshDatabase('create');
  const { offload, apiKey, accountId } = await startBenchOffload(database.url, 'api', { DATABASE_POOL_MAX: '40' });
  await unlimited(offload, accountId);
  const pool = new Pool({ connectionString: database.url, max: 40 });
  const boss = new PgBoss({
    connectionString: database.url,
    max: 4,
    schedule: false,
    supervise: false,
    migrate: false,
  });
  await boss.start();
  try {
    const body = (i: number) => JSON.stringify({ query: MUTATION, variables: { i: input(i) } });
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    const post = async (i: number) => {
      const res = await fetch(`${offload.url}/graphql`, { method: 'POST', headers, body: body(i) });
      const json = (await res.json()) as { errors?: unknown };
      if (json.errors) throw new Error(`createCase failed: ${JSON.stringify(json.errors)}`);
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
    log(`  createCase: ${total} over HTTP, concurrency ${concurrency}...`);
    const offloadRun = await load(total, concurrency, post);
    log(`  createCase: ${total} raw INSERT + send...`);
    const rawRun = await load(total, concurrency, raw);
    return { offload: offloadRun, raw: rawRun, ratio: offloadRun.perSecond / rawRun.perSecond, target: 0.5 };
  } finally {
    await boss.stop({ graceful: false });
    await pool.end();
    await offload.stop();
    await database.drop();
  }
}
