// The follow-up sweep's cost must follow the due cases, not the table: 1,000,000 cases with 1% due against
// 100,000 with the same number due (target: within 1.5x).
import { PgBoss } from 'pg-boss';
import { Client } from 'pg';
import { sweepDueCases } from '../../src/services/sweep/sweep.service';
import { freshDatabase, log, startBenchOffload } from '../lib';

export interface SweepResult {
  due: number;
  smallTable: { cases: number; ms: number };
  largeTable: { cases: number; ms: number };
  ratio: number;
  target: number;
}

async function seed(url: string, accountId: string, cases: number, due: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // Mostly finished and future-scheduled cases, as a real table would hold; `due` of them are due now.
    await client.query(
      `INSERT INTO cases (id, account_id, channel, status, goal, counterparty, sender_persona, attempt_count,
                          max_attempts, follow_up_delay_hours, next_action_at, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'EMAIL',
              CASE WHEN g <= $3 THEN 'RUNNING' WHEN g % 3 = 0 THEN 'RUNNING' WHEN g % 3 = 1 THEN 'COMPLETED' ELSE 'FAILED' END,
              '{"objective":"x"}', '{"address":"a@example.com","name":"A"}', '{"name":"S"}', 1, 3, 72,
              CASE WHEN g <= $3 THEN now() - interval '1 minute'
                   WHEN g % 3 = 0 THEN now() + (1 + g % 1000) * interval '1 hour' END,
              now(), now()
         FROM generate_series(1, $2) AS g`,
      [accountId, cases, due],
    );
    await client.query('ANALYZE cases');
  } finally {
    await client.end();
  }
}

async function timeSweep(cases: number, due: number): Promise<number> {
  const database = await freshDatabase(`sweep${cases}`);
  const { offload, accountId } = await startBenchOffload(database.url, 'api');
  try {
    log(`  sweep: seeding ${cases} cases, ${due} due...`);
    await seed(database.url, accountId, cases, due);
    const boss = new PgBoss({ connectionString: database.url, max: 4, schedule: false, supervise: false });
    await boss.start();
    // The sweep leaves cases as they are (it only queues jobs), so it can run again on the same data: the median of
    // three runs keeps one slow run (checkpoint, autovacuum) from deciding the ratio.
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const queued = await sweepDueCases({ db: offload.db, boss, clock: () => new Date() });
      runs.push(performance.now() - started);
      if (queued !== due) throw new Error(`sweep queued ${queued}, expected ${due}`);
    }
    const ms = runs.sort((a, b) => a - b)[1]!;
    await boss.stop({ graceful: false });
    return ms;
  } finally {
    await offload.stop();
    await database.drop();
  }
}

export async function benchSweep(large = 1_000_000, small = 100_000): Promise<SweepResult> {
  const due = large / 100;
  const smallMs = await timeSweep(small, due);
  const largeMs = await timeSweep(large, due);
  return {
    due,
    smallTable: { cases: small, ms: smallMs },
    largeTable: { cases: large, ms: largeMs },
    ratio: largeMs / smallMs,
    target: 1.5,
  };
}
