// Worker throughput: N cases from CREATED to RUNNING with a zero-latency agent (rules) and the local transport,
// against a same-SQL floor: the statements this very run sent, replayed on a copy of the database without the
// application (bench/sql-replay.ts). The ratio is floor time / worker time (1 means the worker adds nothing to its
// SQL). Start-up is timed apart: the case jobs are held back (deferred) while the worker starts, then released at
// once, so the throughput figure starts with the first case and not with the process.
import { Client } from 'pg';
import { QUEUES } from '../../src/jobs/job.catalog';
import { freshDatabase, log, medianBy, startBenchOffload, type BenchDatabase } from '../lib';
import { SqlRecorder, type ReplayResult } from '../sql-replay';

export interface WorkerRound {
  /** Seconds to start the worker role in-process (pg-boss, pools, handlers), on a queue with nothing due. */
  startupSeconds: number;
  /** From the first statement after the jobs were released until every case was RUNNING. */
  workerSeconds: number;
  casesPerSecond: number;
  floor: ReplayResult & { casesPerSecond: number; running: number };
  ratio: number;
}

export interface WorkerResult {
  cases: number;
  concurrency: number;
  /** Medians over the rounds. */
  casesPerSecond: number;
  floorCasesPerSecond: number;
  startupSeconds: number;
  ratio: number;
  /** Each round's floor / worker time, in order. */
  rounds: number[];
  details: WorkerRound[];
  /** Statements the recorder could not replay (cursors, streams); 0 keeps the floor complete. */
  unrecordable: number;
  target: number;
}

const ROUNDS = 3;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const countRunning = async (client: Client): Promise<number> =>
  ((await client.query(`SELECT count(*)::int AS n FROM cases WHERE status = 'RUNNING'`)).rows[0] as { n: number }).n;

/** Holds every waiting case job back a day, or releases them all at once. */
async function holdJobs(client: Client, hold: boolean): Promise<void> {
  await client.query(
    `UPDATE pgboss.job SET start_after = now() + $2::interval WHERE name = $1 AND state = 'created' AND data->>'type' = 'CASE_CREATED'`,
    [QUEUES.caseEvents.name, hold ? '1 day' : '0'],
  );
}

const copyDatabase = (database: BenchDatabase, label: string): Promise<BenchDatabase> =>
  freshDatabase(label, new URL(database.url).pathname.slice(1));

export async function benchWorker(total = 1000, concurrency = 8): Promise<WorkerResult> {
  const env = { WORKER_CONCURRENCY: String(concurrency), DATABASE_POOL_MAX: '30' };
  const recorder = new SqlRecorder();
  recorder.install();
  const details: WorkerRound[] = [];
  try {
    // A first round would run cold (the worker's code paths not yet compiled): a small one runs first, discarded.
    await workerRound(-1, Math.min(200, total), env, recorder);
    for (let round = 0; round < ROUNDS; round++) details.push(await workerRound(round, total, env, recorder));
  } finally {
    recorder.uninstall();
  }
  const median = medianBy(details, (d) => d.ratio);
  return {
    cases: total,
    concurrency,
    casesPerSecond: medianBy(details, (d) => d.casesPerSecond).casesPerSecond,
    floorCasesPerSecond: medianBy(details, (d) => d.floor.casesPerSecond).floor.casesPerSecond,
    startupSeconds: medianBy(details, (d) => d.startupSeconds).startupSeconds,
    ratio: median.ratio,
    rounds: details.map((d) => d.ratio),
    details,
    unrecordable: recorder.unrecordable,
    target: 0.9,
  };
}

async function workerRound(
  round: number,
  total: number,
  env: Record<string, string>,
  recorder: SqlRecorder,
): Promise<WorkerRound> {
  const tag = round < 0 ? 'worker warm-up' : `worker round ${round + 1}/${ROUNDS}`;
  const database = await freshDatabase('worker');
  let copy: BenchDatabase | null = null;
  try {
    const api = await startBenchOffload(database.url, 'api', env);
    try {
      const account = await api.offload.services.accounts.authenticate(api.apiKey);
      log(`  ${tag}: creating ${total} cases...`);
      for (let i = 0; i < total; i += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, total - i) }, (_, j) =>
            api.offload.services.cases.createCase(account, {
              channel: 'EMAIL',
              goal: { objective: 'Confirm the Tuesday delivery window' },
              counterparty: { address: `c${i + j}@example.com`, name: 'Casey' },
              senderPersona: { name: 'Sam' },
            }),
          ),
        );
    } finally {
      await api.offload.stop();
    }
    const probe = new Client({ connectionString: database.url });
    await probe.connect();
    recorder.ignore(probe);
    await holdJobs(probe, true);
    await probe.end();
    // The floor's database: this one as the worker will find it, before anything is released.
    copy = await copyDatabase(database, 'workerfloor');
    log(`  ${tag}: starting the worker (case jobs held back)...`);
    const startAt = performance.now();
    const worker = await startBenchOffload(database.url, 'worker', env);
    const startupSeconds = (performance.now() - startAt) / 1000;
    const watch = new Client({ connectionString: database.url });
    await watch.connect();
    recorder.ignore(watch);
    let workerSeconds: number;
    let recording;
    try {
      recorder.start();
      await holdJobs(watch, false);
      log(`  ${tag}: ${total} cases to RUNNING...`);
      await until('all cases RUNNING', async () => (await countRunning(watch)) >= total, 10 * 60_000);
      recording = recorder.stop();
      workerSeconds = recording.seconds;
    } finally {
      recorder.stop();
      await watch.end();
      await worker.offload.stop();
    }
    log(`  ${tag}: replaying the worker's ${recording.size} statements on a copy...`);
    const floorClient = new Client({ connectionString: copy.url });
    await floorClient.connect();
    await holdJobs(floorClient, false);
    const replay = await recording.replay(copy.url);
    const running = await countRunning(floorClient);
    await floorClient.end();
    if (replay.errors) log(`  ${tag}: the replay met ${replay.errors} error(s), first: ${replay.firstError}`);
    if (running !== total) log(`  ${tag}: the replay left ${running}/${total} cases RUNNING (the floor is not exact)`);
    return {
      startupSeconds,
      workerSeconds,
      casesPerSecond: total / workerSeconds,
      floor: { ...replay, casesPerSecond: total / replay.seconds, running },
      ratio: replay.seconds / workerSeconds,
    };
  } finally {
    await copy?.drop();
    await database.drop();
  }
}
