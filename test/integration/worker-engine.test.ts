// The worker's fetch loop (job-loop.queue.ts): model calls wait without holding a job slot, so many are in flight at
// once (up to MODEL_MAX_CONCURRENCY) even with one job slot; a fast case is never held up behind a slow model call;
// one case's events still run one at a time; and a job that waits long inside its model call is kept alive by its
// heartbeat rather than redelivered. (A killed worker's jobs coming back: worker-crash.test.ts.)
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { answer, startOpenAIFake, type FakeChatRequest, type OpenAIFake } from '../fakes/openai-fake';
import { verdict } from '../fakes/scripted-model';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { waitFor } from '../helpers/wait';

const MODEL_SLOTS = 8;
const LATENCY_MS = 250;

let app: TestApp;
let ai: OpenAIFake;
let probe: CaseProbe;
let inFlight = 0;
let peak = 0;
const perCase = new Map<string, number>();
let perCasePeak = 0;
/** Calls whose text names one of these addresses wait for the gate's release. */
const gates = new Map<string, Promise<void>>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gate(address: string): () => void {
  let release!: () => void;
  gates.set(address, new Promise<void>((r) => (release = r)));
  return () => {
    gates.delete(address);
    release();
  };
}

async function respond(request: FakeChatRequest) {
  const key = request.caseId ?? request.text.slice(0, 40);
  inFlight += 1;
  peak = Math.max(peak, inFlight);
  perCase.set(key, (perCase.get(key) ?? 0) + 1);
  perCasePeak = Math.max(perCasePeak, perCase.get(key)!);
  try {
    for (const [address, held] of gates) if (request.text.includes(address)) await held;
    await sleep(LATENCY_MS);
    if (request.callName === 'compose_message') return answer.json({ subject: 'W-9', body: 'Hello Vera,\nSam' });
    return verdict('SNOOZE', { snoozeHours: 1 });
  } finally {
    inFlight -= 1;
    perCase.set(key, perCase.get(key)! - 1);
  }
}

beforeAll(async () => {
  ai = await startOpenAIFake(respond);
  app = await startTestApp('worker-engine', {
    env: {
      AGENT: 'openai',
      OPENAI_BASE_URL: ai.baseURL,
      // One job slot: everything in flight beyond one is waiting on the model.
      WORKER_CONCURRENCY: '1',
      MODEL_MAX_CONCURRENCY: String(MODEL_SLOTS),
    },
  });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  await app?.stop();
  await ai?.stop();
});

async function createCase(address = 'vendor@example.com'): Promise<string> {
  const input = caseInput({ counterparty: { address, name: 'Vera Vendor' } });
  return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
}

async function queueIdle(): Promise<boolean> {
  const [row] = (await app.offload.db.query(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'case-events'
        AND (state = 'active' OR (state IN ('created', 'retry') AND start_after <= now()))`,
  )) as { n: number }[];
  return row!.n === 0 && inFlight === 0;
}

it('keeps MODEL_MAX_CONCURRENCY model calls in flight with a single job slot', async () => {
  peak = 0;
  const cases = 4 * MODEL_SLOTS;
  const started = Date.now();
  const ids = await Promise.all(Array.from({ length: cases }, () => createCase()));
  for (const id of ids) await probe.status(id, 'RUNNING', 30_000);
  const elapsed = Date.now() - started;
  expect(peak).toBe(MODEL_SLOTS);
  // One at a time it would take cases x latency (8 s); the slots make it about a quarter of that.
  expect(elapsed).toBeLessThan((cases * LATENCY_MS) / 2);
});

it('a fast case goes on while a slow model call waits', async () => {
  const release = gate('slow@example.com');
  try {
    const slow = await createCase('slow@example.com');
    await waitFor('the slow compose to be in flight', () =>
      ai.requests.some((r) => r.text.includes('slow@example.com')),
    );
    // No transaction is held open across the model call.
    const open = (await app.offload.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    )) as { n: number }[];
    expect(open[0]!.n).toBe(0);
    const fast = await createCase();
    await probe.status(fast, 'RUNNING', 10_000);
    expect((await probe.detail(slow)).status).toBe('CREATED');
    release();
    await probe.status(slow, 'RUNNING', 10_000);
  } finally {
    release();
  }
});

it("runs one case's events one at a time while many cases run side by side", async () => {
  const ids = await Promise.all(Array.from({ length: 6 }, () => createCase()));
  for (const id of ids) await probe.status(id, 'RUNNING', 20_000);
  peak = 0;
  perCasePeak = 0;
  // Three replies per case at once: each queues its own job of the case.
  await Promise.all(ids.flatMap((id) => [1, 2, 3].map((n) => probe.reply(id, `reply ${n}`, app.apiKey))));
  for (const id of ids) await probe.until(id, 'evaluated', (c) => timelineTypes(c).includes('case.snoozed'));
  await waitFor('the case queue to drain', queueIdle, 20_000);
  expect(perCasePeak).toBe(1);
  expect(peak).toBeGreaterThan(1);
});

it('a job waiting in its model call longer than its heartbeat is not redelivered', async () => {
  const release = gate('held@example.com');
  let id = '';
  try {
    id = await createCase('held@example.com');
    await waitFor('the held compose to be in flight', () =>
      ai.requests.some((r) => r.text.includes('held@example.com')),
    );
    // Past heartbeatSeconds (10) plus a supervision pass (5): a job nobody touched would have been failed by now.
    await sleep(16_000);
    // Still its first attempt, claimed all along: a lapsed heartbeat would have put it back to 'retry' by now.
    const [job] = (await app.offload.db.query(
      `SELECT state, retry_count, heartbeat_on > now() - interval '10 seconds' AS touched FROM pgboss.job
        WHERE name = 'case-events' AND data->>'caseId' = $1 AND data->>'type' = 'CASE_CREATED'`,
      [id],
    )) as { state: string; retry_count: number; touched: boolean }[];
    expect(job).toEqual({ state: 'active', retry_count: 0, touched: true });
  } finally {
    release();
  }
  await probe.status(id, 'RUNNING', 10_000);
  expect(
    ai.requests.filter((r) => r.callName === 'compose_message' && r.text.includes('held@example.com')),
  ).toHaveLength(1);
  const jobs = (await app.offload.db.query(
    `SELECT retry_count FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1
        AND data->>'type' = 'CASE_CREATED'`,
    [id],
  )) as { retry_count: number }[];
  expect(jobs).toEqual([{ retry_count: 0 }]);
}, 40_000);
