// Model-bound campaigns (issue 19): `offload serve` (plus, for one scenario, a second worker process) with local mail
// and the bench's OpenAI-compatible fake (bench/model-fake.ts). N cases are created at once over GraphQL; the bench
// times them to all RUNNING (one compose call each), then posts one counterparty reply per case through
// POST /webhooks/local and times them to all COMPLETED (one evaluation call each). Each phase is reported as a ratio
// to its physical limit: the time the provider alone needs, i.e. cases x mean latency / allowed concurrency, or cases
// / allowed rate when the fake enforces a rate limit (whichever is longer).
import { Client } from 'pg';
import { Pool as HttpPool } from 'undici';
import { QUEUES } from '../../src/jobs/job.catalog';
import {
  benchConfig,
  freshDatabase,
  load,
  log,
  prepareBenchAccount,
  spawnOffload,
  type BenchDatabase,
  type BenchProcess,
} from '../lib';
import { startModelFake, type Latency, type ModelFakeCounts, type RateLimit } from '../model-fake';

export interface ModelRunOptions {
  cases: number;
  latency: Latency;
  rateLimit: RateLimit | null;
  /** Worker processes: 1 is `serve` alone, 2 adds an `offload worker`. */
  workers: number;
  /** Deferred FOLLOW_UP_DUE jobs inserted into the case queue before the run (72 h out, never due during it). */
  deferredJobs: number;
  /** Extra environment for the Offload processes (on top of the bench's own and the parent's). */
  env?: Record<string, string>;
}

export interface PhaseResult {
  /** Seconds from the first request of the phase until every case reached the phase's status (or the bench gave up). */
  seconds: number;
  reached: number;
  /** cases / seconds. */
  perSecond: number;
  limitSeconds: number;
  /** What bounds the limit: concurrency (cases x latency / allowed concurrency) or the rate limit. */
  limitBy: 'concurrency' | 'rate';
  /** limitSeconds / seconds: 1 is as fast as the provider allows. */
  ratio: number;
  /** The phase did not finish: no case moved for BENCH_MODEL_STALL_SECONDS (120), or 5x the limit passed. */
  stalled: boolean;
}

export interface ModelRunResult {
  cases: number;
  latency: Latency;
  rateLimit: RateLimit | null;
  workers: number;
  deferredJobs: number;
  /** Model calls one worker process may have in flight, and where that figure came from. */
  allowedConcurrency: { perWorker: number; total: number; source: string };
  /** Seconds to create the cases (createCase over GraphQL, 32 at a time), part of the RUNNING phase. */
  createSeconds: number;
  toRunning: PhaseResult;
  toCompleted: PhaseResult | null;
  model: ModelFakeCounts;
  /** compose calls answered / cases: 1 means no paid compose was wasted. */
  composePerCase: number;
  /** Cases in FAILED (or any status but the expected one) at the end, and jobs in the dead-letter queue. */
  failedCases: number;
  otherStatuses: Record<string, number>;
  deadLettered: number;
}

const CREATE_CONCURRENCY = 32;
const MUTATION = `mutation($i: CreateCaseInput!) { createCase(input: $i) { id status } }`;
const RESULT_SCHEMA = {
  type: 'object',
  properties: { tin: { type: 'string', description: 'The vendor TIN' } },
  required: ['tin'],
  additionalProperties: false,
};

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: not a non-negative number: ${raw}`);
  return Math.floor(n);
};

/** How long a phase may make no progress before the bench calls it a stall (pg-boss backs off up to 10 minutes). */
const stallSeconds = (): number => intEnv('BENCH_MODEL_STALL_SECONDS', 120);

/**
 * Model calls one worker may have in flight: MODEL_MAX_CONCURRENCY when this build knows it (set, or its default),
 * else WORKER_CONCURRENCY, since before issue 19 each model call held one job slot.
 */
function allowedConcurrency(databaseUrl: string, env: Record<string, string>): { perWorker: number; source: string } {
  const config = benchConfig(databaseUrl, env) as unknown as Record<string, unknown>;
  const model = config.MODEL_MAX_CONCURRENCY;
  if (typeof model === 'number')
    return {
      perWorker: model,
      source:
        process.env.MODEL_MAX_CONCURRENCY || env.MODEL_MAX_CONCURRENCY
          ? 'MODEL_MAX_CONCURRENCY'
          : 'MODEL_MAX_CONCURRENCY (default)',
    };
  return {
    perWorker: config.WORKER_CONCURRENCY as number,
    source: 'WORKER_CONCURRENCY (this build has no MODEL_MAX_CONCURRENCY: a model call holds a job slot)',
  };
}

export async function benchModelRun(options: ModelRunOptions): Promise<ModelRunResult> {
  const { cases, latency, rateLimit, workers, deferredJobs } = options;
  const fake = await startModelFake({ latency, rateLimit });
  const database = await freshDatabase('model');
  const env = {
    AGENT: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'bench',
    MAIL_TRANSPORT: 'local',
    ...options.env,
  };
  const processes: BenchProcess[] = [];
  const probe = new Client({ connectionString: database.url });
  try {
    const account = await prepareBenchAccount(database.url, env);
    const serve = await spawnOffload('serve', database.url, env);
    processes.push(serve);
    for (let i = 1; i < workers; i++) processes.push(await spawnOffload('worker', database.url, env));
    await probe.connect();
    // In an account of their own, so that the bench's probes (by account) count only the campaign's cases.
    if (deferredJobs > 0)
      await insertWaitingCases(
        database,
        deferredJobs,
        (await prepareBenchAccount(database.url, env, 'waiting')).accountId,
      );
    // Both sides of a comparison plan with statistics: a fresh database has none until autovacuum gets to it, and the
    // deferred side's bulk insert would otherwise be the only one analyzed.
    await probe.query('ANALYZE');
    const allowed = allowedConcurrency(database.url, env);
    const total = allowed.perWorker * workers;
    const limitFor = (n: number): { seconds: number; by: 'concurrency' | 'rate' } => {
      const byConcurrency = (n * fake.meanLatencySeconds) / total;
      const byRate = rateLimit ? n / (rateLimit.requestsPerMinute / 60) : 0;
      return byRate > byConcurrency ? { seconds: byRate, by: 'rate' } : { seconds: byConcurrency, by: 'concurrency' };
    };
    const http = new HttpPool(serve.url!, { connections: CREATE_CONCURRENCY });
    const headers = { 'content-type': 'application/json', 'x-api-key': account.apiKey };
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const res = await http.request({ path, method: 'POST', headers, body: JSON.stringify(body) });
      const json = (await res.body.json()) as { errors?: unknown };
      if (res.statusCode >= 300 || json.errors)
        throw new Error(`POST ${path} failed (${res.statusCode}): ${JSON.stringify(json)}`);
      return json;
    };
    try {
      log(`  model: creating ${cases} cases (${workers} worker process(es), ${describe(options)})...`);
      const ids: string[] = new Array<string>(cases);
      const started = performance.now();
      await load(cases, CREATE_CONCURRENCY, async (i) => {
        const json = (await post('/graphql', {
          query: MUTATION,
          variables: {
            i: {
              channel: 'EMAIL',
              goal: { objective: 'Collect a signed W-9 with the vendor TIN' },
              counterparty: { address: `vendor${i}@example.com`, name: 'Vera Vendor' },
              senderPersona: { name: 'Sam Sender' },
              resultSchema: RESULT_SCHEMA,
              clientReferenceId: `bench-${i}`,
            },
          },
        })) as { data: { createCase: { id: string } } };
        ids[i] = json.data.createCase.id;
      });
      const createSeconds = (performance.now() - started) / 1000;
      log(`  model: created in ${createSeconds.toFixed(1)} s; waiting for all RUNNING...`);
      const toRunning = await phase(probe, account.accountId, 'RUNNING', cases, started, limitFor(cases));
      log(
        `  model: ${toRunning.reached}/${cases} RUNNING in ${toRunning.seconds.toFixed(1)} s (ratio ${toRunning.ratio.toFixed(2)})`,
      );
      let toCompleted: PhaseResult | null = null;
      // BENCH_MODEL_OUTREACH_ONLY=1: a campaign's own span (every outreach out) without the replies' phase.
      if (!toRunning.stalled && process.env.BENCH_MODEL_OUTREACH_ONLY !== '1') {
        log(`  model: posting ${cases} counterparty replies...`);
        const repliesStarted = performance.now();
        await load(cases, CREATE_CONCURRENCY, async (i) => {
          await post('/webhooks/local', {
            caseId: ids[i],
            from: `vendor${i}@example.com`,
            fromName: 'Vera Vendor',
            text: 'Here is the signed W-9.\nTIN: 12-3456789',
          });
        });
        toCompleted = await phase(probe, account.accountId, 'COMPLETED', cases, repliesStarted, limitFor(cases));
        log(
          `  model: ${toCompleted.reached}/${cases} COMPLETED in ${toCompleted.seconds.toFixed(1)} s (ratio ${toCompleted.ratio.toFixed(2)})`,
        );
      }
      const statuses = await statusCounts(probe, account.accountId);
      const expected = toCompleted ? 'COMPLETED' : 'RUNNING';
      const model = fake.counts();
      return {
        cases,
        latency,
        rateLimit,
        workers,
        deferredJobs,
        allowedConcurrency: { ...allowed, total },
        createSeconds,
        toRunning,
        toCompleted,
        model,
        composePerCase: model.composeAnswered / cases,
        failedCases: statuses.FAILED ?? 0,
        otherStatuses: Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== expected)),
        deadLettered: await deadLettered(probe),
      };
    } finally {
      await http.close();
    }
  } finally {
    await probe.end().catch(() => undefined);
    for (const p of processes.reverse()) await p.stop();
    await fake.stop();
    await database.drop();
  }
}

/** Polls the cases table until `cases` of them have reached `status`, or nothing moves for the stall timeout. */
async function phase(
  probe: Client,
  accountId: string,
  status: string,
  cases: number,
  started: number,
  limit: { seconds: number; by: 'concurrency' | 'rate' },
): Promise<PhaseResult> {
  let reached = 0;
  let lastProgress = performance.now();
  let stalled = false;
  const hardDeadline = started + Math.max(600, limit.seconds * 5) * 1000;
  for (;;) {
    const [row] = (
      await probe.query(`SELECT count(*)::int AS n FROM cases WHERE account_id = $2 AND status = $1`, [
        status,
        accountId,
      ])
    ).rows as {
      n: number;
    }[];
    const now = performance.now();
    if (row!.n > reached) {
      reached = row!.n;
      lastProgress = now;
    }
    if (reached >= cases) break;
    if (now - lastProgress > stallSeconds() * 1000 || now > hardDeadline) {
      stalled = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // A stalled phase is timed until the bench gave up: its ratio is that of the cases it got through in that time.
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    reached,
    perSecond: reached / seconds,
    limitSeconds: limit.seconds,
    limitBy: limit.by,
    ratio: stalled ? (limit.seconds * (reached / cases)) / seconds : limit.seconds / seconds,
    stalled,
  };
}

async function statusCounts(probe: Client, accountId: string): Promise<Record<string, number>> {
  const { rows } = await probe.query(
    `SELECT status, count(*)::int AS n FROM cases WHERE account_id = $1 GROUP BY status`,
    [accountId],
  );
  return Object.fromEntries((rows as { status: string; n: number }[]).map((r) => [r.status, r.n]));
}

async function deadLettered(probe: Client): Promise<number> {
  const { rows } = await probe.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ANY($1)`, [
    [QUEUES.caseEventsDead.name],
  ]);
  return (rows[0] as { n: number }).n;
}

/**
 * Cases waiting for their follow-up, `count` of them, 72 h out: RUNNING rows with a next_action_at, as a campaign
 * leaves them. Since issue 19 a waiting follow-up is that column (walked by the due-poll through cases_due_idx), not a
 * deferred pg-boss job per case that every fetch of the queue walked past; this is what a million of them cost now.
 */
async function insertWaitingCases(database: BenchDatabase, count: number, accountId: string): Promise<void> {
  log(`  model: inserting ${count} cases waiting for a follow-up...`);
  const started = performance.now();
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    for (let done = 0; done < count; done += 100_000) {
      const n = Math.min(100_000, count - done);
      await client.query(
        `INSERT INTO cases (id, account_id, channel, status, goal, counterparty, sender_persona, attempt_count,
                            max_attempts, follow_up_delay_hours, next_action_at, created_at, updated_at)
         SELECT gen_random_uuid(), $1, 'EMAIL', 'RUNNING', '{"objective":"Collect the signed W-9"}',
                jsonb_build_object('address', 'waiting' || g || '@example.com', 'name', 'Vendor ' || g),
                '{"name":"Ana","role":"AP","company":"Acme"}', 1, 3, 72,
                now() + interval '72 hours' + g * interval '1 millisecond', now(), now()
           FROM generate_series($2::int, $3::int) g`,
        [accountId, done + 1, done + n],
      );
    }
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM cases WHERE status = 'RUNNING' AND next_action_at > now() + interval '71 hours'`,
    );
    const n = (rows[0] as { n: number }).n;
    if (n < count) throw new Error(`waiting cases: ${n} after inserting ${count}`);
  } finally {
    await client.end();
  }
  log(`  model: inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export function describe(options: Pick<ModelRunOptions, 'latency' | 'rateLimit'>): string {
  const latency =
    options.latency.kind === 'fixed'
      ? `${options.latency.ms / 1000} s fixed`
      : `${options.latency.minMs / 1000}-${options.latency.maxMs / 1000} s uniform`;
  if (!options.rateLimit) return `${latency}, no rate limit`;
  const rl = options.rateLimit;
  return `${latency}, ${rl.requestsPerMinute}/min (burst ${rl.burst}${rl.rejectionsCount ? ', rejected calls count' : ''})`;
}
