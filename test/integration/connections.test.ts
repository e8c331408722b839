// Connections per process at the defaults stay within 20 (README "Sizing"), so a handful of API and worker processes
// fit in PostgreSQL's default max_connections of 100: the budget as configured, and what a loaded `serve` really
// opens, counted in pg_stat_activity by application name.
import { Client } from 'pg';
import { CreateCaseDocument, GetCaseDetailDocument } from '../../schema/generated/graphql';
import { loadConfig } from '../../src/config/env.config';
import { connectionBudget } from '../../src/persistence/data-source.factory';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { CaseProbe } from '../helpers/case.probe';

const defaults = loadConfig({});

it('budgets at most 20 connections per process at the defaults, for every role', () => {
  const api = connectionBudget(defaults, { api: true });
  const worker = connectionBudget(defaults, { api: false });
  expect(api).toEqual({ main: 10, pipeline: 5, listeners: 2, jobs: 3, total: 20 });
  expect(worker.total).toBeLessThanOrEqual(20);
});

describe('a loaded serve process at the defaults', () => {
  let app: TestApp;
  let watcher: Client;

  beforeAll(async () => {
    // Empty values fall back to the defaults (the helper sets test-sized pools otherwise).
    app = await startTestApp('connections', { env: { DATABASE_POOL_MAX: '', WORKER_CONCURRENCY: '' } });
    watcher = new Client({ connectionString: app.database.url, application_name: 'connection-watcher' });
    await watcher.connect();
  });
  afterAll(async () => {
    await watcher?.end();
    await app?.stop();
  });

  async function count(): Promise<Map<string, number>> {
    const { rows } = await watcher.query<{ name: string; n: number }>(
      `SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'offload%' GROUP BY 1`,
    );
    return new Map(rows.map((r) => [r.name, r.n]));
  }

  it('never holds more connections than its budget', async () => {
    const budget = connectionBudget(app.config, { api: true });
    const probe = new CaseProbe(app);
    const peaks = new Map<string, number>();
    let peak = 0;
    let loading = true;
    const sampling = (async () => {
      while (loading) {
        const seen = await count();
        for (const [name, n] of seen) peaks.set(name, Math.max(peaks.get(name) ?? 0, n));
        peak = Math.max(
          peak,
          [...seen.values()].reduce((a, b) => a + b, 0),
        );
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const ids = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const input = caseInput({ counterparty: { address: `v${i}@example.com`, name: 'Vera Vendor' } });
        return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
      }),
    );
    await Promise.all(ids.map((id) => app.client.ok(GetCaseDetailDocument, { id })));
    for (const id of ids) await probe.status(id, 'RUNNING', 30_000);
    loading = false;
    await sampling;
    if (process.env.OFFLOAD_TEST_VERBOSE) console.log({ peak, peaks: Object.fromEntries(peaks), budget });
    expect(peaks.get('offload') ?? 0).toBeLessThanOrEqual(budget.main);
    expect(peaks.get('offload-writes') ?? 0).toBeLessThanOrEqual(budget.pipeline);
    expect(peaks.get('offload-jobs') ?? 0).toBeLessThanOrEqual(budget.jobs);
    // Busy enough to have used more than one connection of the main pool.
    expect(peaks.get('offload') ?? 0).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(budget.total);
    expect(peak).toBeLessThanOrEqual(20);
  });
});
