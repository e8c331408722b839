// Worker throughput: N cases from CREATED to RUNNING with a zero-latency agent (rules) and the local transport,
// against a pg-boss no-op job baseline on the same queue settings and worker options.
import { PgBoss } from 'pg-boss';
import { QUEUES } from '../../src/jobs/job.catalog';
import { workOptions } from '../../src/jobs/job-handler.registry';
import { freshDatabase, log, medianBy, startBenchOffload, unlimited } from '../lib';

export interface WorkerResult {
  cases: number;
  /** Medians over the rounds. */
  casesPerSecond: number;
  noopJobsPerSecond: number;
  ratio: number;
  /** Each round's cases/s over no-op jobs/s, in order. */
  rounds: number[];
  target: number;
}

/** Offload and no-op runs alternate, so a load spike from elsewhere on the machine does not land on one side only. */
const ROUNDS = 3;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchWorker(total = 1000, concurrency = 8): Promise<WorkerResult> {
  const database = await freshDatabase('worker');
  const env = { WORKER_CONCURRENCY: String(concurrency), DATABASE_POOL_MAX: '30' };
  const api = await startBenchOffload(database.url, 'api', env);
  await unlimited(api.offload, api.accountId);
  const account = await api.offload.services.accounts.authenticate(api.apiKey);
  const running = async (): Promise<number> => {
    const [row] = await api.offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE status = 'RUNNING'`);
    return row.n;
  };
  try {
    const offload: number[] = [];
    const noop: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      log(`  worker round ${round + 1}/${ROUNDS}: creating ${total} cases...`);
      for (let i = 0; i < total; i += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, total - i) }, (_, j) =>
            api.offload.services.cases.createCase(account, {
              channel: 'EMAIL',
              goal: { objective: 'Confirm the Tuesday delivery window' },
              counterparty: { address: `c${round}-${i + j}@example.com`, name: 'Casey' },
              senderPersona: { name: 'Sam' },
            }),
          ),
        );
      const before = await running();
      log(`  worker round ${round + 1}/${ROUNDS}: running ${total} cases to RUNNING...`);
      const started = performance.now();
      const worker = await startBenchOffload(database.url, 'worker', env);
      await until('all cases RUNNING', async () => (await running()) >= before + total, 10 * 60_000);
      offload.push(total / ((performance.now() - started) / 1000));
      await worker.offload.stop();
      log(`  worker round ${round + 1}/${ROUNDS}: ${total} no-op jobs on the same queue settings...`);
      noop.push(await noopBaseline(database.url, total, concurrency, `bench-noop-${round}`));
    }
    const casesPerSecond = medianBy(offload, (n) => n);
    const noopJobsPerSecond = medianBy(noop, (n) => n);
    return {
      cases: total,
      casesPerSecond,
      noopJobsPerSecond,
      ratio: casesPerSecond / noopJobsPerSecond,
      rounds: offload.map((n, i) => n / noop[i]!),
      target: 0.5,
    };
  } finally {
    await api.offload.stop();
    await database.drop();
  }
}

async function noopBaseline(url: string, total: number, concurrency: number, name: string): Promise<number> {
  const boss = new PgBoss({ connectionString: url, max: 10, schedule: false });
  await boss.start();
  await boss.createQueue(name, { ...QUEUES.caseEvents.options, deadLetter: QUEUES.caseEventsDead.name });
  for (let i = 0; i < total; i += 500)
    await boss.insert(
      name,
      Array.from({ length: Math.min(500, total - i) }, (_, j) => ({ data: { i: i + j }, group: { id: `g${i + j}` } })),
    );
  let done = 0;
  const started = performance.now();
  await boss.work(name, workOptions(concurrency, true), async (jobs) => {
    done += jobs.length;
    return jobs.map((job) => ({ id: job.id, status: 'completed' as const }));
  });
  await until('no-op jobs done', async () => done >= total, 10 * 60_000);
  const perSecond = total / ((performance.now() - started) / 1000);
  await boss.stop({ graceful: false });
  return perSecond;
}
