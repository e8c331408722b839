// createCase's pipelined write (case-insert.ts): every statement is sent before any answer is read, so each way it
// can fail must abort what follows, give the usage unit back when one was taken, and leave the connection usable.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createPipelinePool } from '../../src/persistence/data-source.factory';
import { CaseEntity } from '../../src/persistence/entities';
import { usageMonth } from '../../src/persistence/usage.repository';
import {
  IdempotencyRace,
  UsageLimitReached,
  writeNewCase,
  type NewCaseWrite,
} from '../../src/persistence/case-insert.repository';
import { sendCaseJob } from '../../src/jobs/job.catalog';
import { startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;
let pool: Pool;
let accountId: string;

beforeAll(async () => {
  app = await startTestApp('case-insert', { role: 'api' });
  // One connection: every case below runs on the connection the one before it left behind.
  pool = createPipelinePool(app.database.url, 2);
  pool.options.max = 1;
  accountId = (await app.offload.services.accounts.createAccount('insert', 'SANDBOX')).accountId;
});
afterAll(async () => {
  await pool?.end();
  await app?.stop();
});

function write(overrides: Partial<CaseEntity> = {}, extra: Partial<NewCaseWrite> = {}): NewCaseWrite {
  const now = new Date();
  const row = Object.assign(new CaseEntity(), {
    id: randomUUID(),
    accountId,
    clientReferenceId: null,
    channel: 'EMAIL',
    status: 'CREATED',
    goal: { objective: 'Collect a signed W-9' },
    counterparty: { address: 'vendor@example.com', name: 'Vera' },
    senderPersona: { name: 'Sam' },
    constraints: null,
    resultSchema: null,
    metadata: null,
    clientWebhookUrl: null,
    attemptCount: 0,
    maxAttempts: 3,
    followUpDelayHours: 72,
    inputRequestStatus: 'NONE',
    awaitingEvaluation: false,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
  return {
    row,
    usage: { accountId, month: usageMonth(now), limit: 100 },
    idempotency: null,
    sendJob: (db) => sendCaseJob(app.offload, db, { type: 'CASE_CREATED', caseId: row.id, key: `${row.id}:created` }),
    ...extra,
  };
}

async function state(caseId: string) {
  const [usage] = (await app.offload.db.query(
    `SELECT coalesce(sum(created_count), 0)::int AS n FROM account_usage WHERE account_id = $1`,
    [accountId],
  )) as { n: number }[];
  const [cases] = (await app.offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE id = $1`, [caseId])) as {
    n: number;
  }[];
  const [jobs] = (await app.offload.db.query(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1`,
    [caseId],
  )) as { n: number }[];
  return { used: usage!.n, cases: cases!.n, jobs: jobs!.n };
}

it('writes the case, its timeline row and its job, and takes one unit', async () => {
  const before = await state(randomUUID());
  const ok = write();
  await writeNewCase(pool, ok);
  expect(await state(ok.row.id)).toEqual({ used: before.used + 1, cases: 1, jobs: 1 });
});

it('a write that fails after the reservation writes nothing and gives the unit back', async () => {
  const before = await state(randomUUID());
  // The CHECK on channel fails the case insert, after the reservation committed.
  const bad = write({ channel: 'FAX' as CaseEntity['channel'] });
  await expect(writeNewCase(pool, bad)).rejects.toMatchObject({ code: '23514' });
  expect(await state(bad.row.id)).toEqual({ used: before.used, cases: 0, jobs: 0 });
  // The connection came back clean: the next create on it works.
  const next = write();
  await writeNewCase(pool, next);
  expect((await state(next.row.id)).cases).toBe(1);
});

it('a refused reservation aborts everything behind it', async () => {
  const before = await state(randomUUID());
  const full = write({}, { usage: { accountId, month: usageMonth(new Date()), limit: before.used } });
  await expect(writeNewCase(pool, full)).rejects.toBeInstanceOf(UsageLimitReached);
  expect(await state(full.row.id)).toEqual({ used: before.used, cases: 0, jobs: 0 });
  const next = write();
  await writeNewCase(pool, next);
  expect((await state(next.row.id)).cases).toBe(1);
});

it('a key claimed by another create is a race: nothing written, the unit given back', async () => {
  const key = { key: `k-${randomUUID()}`, requestHash: 'h', expiresAt: new Date(Date.now() + 3_600_000) };
  await writeNewCase(pool, write({}, { idempotency: key }));
  const before = await state(randomUUID());
  const second = write({}, { idempotency: key });
  await expect(writeNewCase(pool, second)).rejects.toBeInstanceOf(IdempotencyRace);
  expect(await state(second.row.id)).toEqual({ used: before.used, cases: 0, jobs: 0 });
});

it('a connection killed in the middle fails that create only; the next one gets a new connection', async () => {
  const killed = write(
    {},
    {
      sendJob: async (db) => {
        await app.offload.db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'offload-writes'`,
        );
        return db.executeSql('SELECT 1');
      },
    },
  );
  await expect(writeNewCase(pool, killed)).rejects.toThrow();
  expect((await state(killed.row.id)).cases).toBe(0);
  const next = write();
  await writeNewCase(pool, next);
  expect((await state(next.row.id)).cases).toBe(1);
});
