// The sweep's pruning (issue 19): processed_jobs keys of cases finished more than PROCESSED_KEY_RETENTION_DAYS
// ago (and old keys claimed for no case) go, expired idempotency keys go; keys of live cases, of recently finished
// ones and unexpired idempotency keys stay. Batches are bounded, and several drain a backlog.
import { randomUUID } from 'node:crypto';
import { pruneSettledRows, PROCESSED_KEY_RETENTION_DAYS } from '../../src/services/sweep/prune.service';
import { sweepDueCases } from '../../src/services/sweep/sweep.service';
import { QUEUES } from '../../src/jobs/job.catalog';
import { startBoss } from '../../src/jobs/boss.client';
import { startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('prune', { role: 'api' });
});
afterAll(async () => app?.stop());

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

async function insertCase(status: string, finishedAt: Date | null): Promise<string> {
  const id = randomUUID();
  await app.offload.db.query(
    `INSERT INTO cases (id, account_id, channel, status, goal, counterparty, sender_persona, attempt_count,
                        max_attempts, follow_up_delay_hours, finished_at, created_at, updated_at)
     VALUES ($1, $2, 'EMAIL', $3, '{}', '{}', '{}', 1, 3, 72, $4, now() - interval '30 days', now())`,
    [id, app.accountId, status, finishedAt],
  );
  return id;
}

async function claim(key: string, caseId: string | null, processedAt: Date): Promise<void> {
  await app.offload.db.query(`INSERT INTO processed_jobs (key, case_id, processed_at) VALUES ($1, $2, $3)`, [
    key,
    caseId,
    processedAt,
  ]);
}

const keysLeft = async (table: 'processed_jobs' | 'idempotency_keys', column: string): Promise<string[]> =>
  ((await app.offload.db.query(`SELECT ${column} AS k FROM ${table} ORDER BY 1`)) as Array<{ k: string }>).map(
    (r) => r.k,
  );

it('deletes processed keys of long-finished cases and expired idempotency keys, keeping the young and the live', async () => {
  const old = PROCESSED_KEY_RETENTION_DAYS + 3;
  const longDone = await insertCase('COMPLETED', daysAgo(old));
  const justDone = await insertCase('FAILED', daysAgo(1));
  const running = await insertCase('RUNNING', null);
  // A backlog of five deletable keys of one long-finished case, pruned two at a time below.
  for (let i = 0; i < 5; i++) await claim(`gone-${i}`, longDone, daysAgo(old + 1));
  await claim('gone-no-case', null, daysAgo(old));
  await claim('keep-just-finished', justDone, daysAgo(old));
  await claim('keep-running', running, daysAgo(old + 5));
  await claim('keep-young-no-case', null, daysAgo(1));

  await app.offload.db.query(
    `INSERT INTO idempotency_keys (account_id, key, request_hash, case_id, expires_at)
     VALUES ($1, 'expired', 'h', $2, now() - interval '1 minute'), ($1, 'live', 'h', $2, now() + interval '1 day')`,
    [app.accountId, longDone],
  );

  const counts = await pruneSettledRows({ db: app.offload.db, clock: () => new Date() }, 2);
  expect(counts).toEqual({ processedJobs: 6, idempotencyKeys: 1 });
  expect(await keysLeft('processed_jobs', 'key')).toEqual(['keep-just-finished', 'keep-running', 'keep-young-no-case']);
  expect(await keysLeft('idempotency_keys', 'key')).toEqual(['live']);
});

it('runs from the sweep', async () => {
  const done = await insertCase('COMPLETED', daysAgo(PROCESSED_KEY_RETENTION_DAYS + 1));
  await claim('swept', done, daysAgo(PROCESSED_KEY_RETENTION_DAYS + 2));
  await sweepDueCases({ db: app.offload.db, boss: app.offload.boss, clock: () => new Date() });
  expect(await keysLeft('processed_jobs', 'key')).not.toContain('swept');
});

it("sets pg-boss's retention explicitly on every queue, so its maintenance prunes finished jobs", async () => {
  for (const queue of Object.values(QUEUES)) {
    const stored = await app.offload.boss.getQueue(queue.name);
    expect({
      name: queue.name,
      deleteAfterSeconds: stored?.deleteAfterSeconds,
      retentionSeconds: stored?.retentionSeconds,
    }).toEqual({
      name: queue.name,
      deleteAfterSeconds: queue.options.deleteAfterSeconds,
      retentionSeconds: queue.options.retentionSeconds,
    });
    expect(queue.options.deleteAfterSeconds).toBeGreaterThan(0);
  }
});

it("brings a queue made by an older release up to the catalog's options when a process starts", async () => {
  // As an older release left it: pg-boss's default retention and the old case-job expiry.
  await app.offload.boss.updateQueue(QUEUES.caseEvents.name, { deleteAfterSeconds: 0, expireInSeconds: 900 });
  const boss = await startBoss(app.config.DATABASE_URL!, { schedule: false, poolMax: 1 });
  try {
    const stored = await boss.getQueue(QUEUES.caseEvents.name);
    expect(stored).toMatchObject({
      deleteAfterSeconds: QUEUES.caseEvents.options.deleteAfterSeconds,
      expireInSeconds: QUEUES.caseEvents.options.expireInSeconds,
      retentionSeconds: QUEUES.caseEvents.options.retentionSeconds,
    });
  } finally {
    await boss.stop({ graceful: false });
  }
});
