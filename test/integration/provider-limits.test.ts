// Shared provider limits (SPEC §12, issue 19): two gates on one database stand for two worker processes; the
// OpenAI-compatible fake counts what reaches it.
import 'reflect-metadata';
import { OpenAIAgent } from '../../src/agent/openai.agent';
import { createLogger } from '../../src/observability/logger.factory';
import { createDataSource, migrate } from '../../src/persistence/data-source.factory';
import type { Database } from '../../src/persistence/transaction.types';
import { ModelGate } from '../../src/services/limits/model-gate.service';
import { SharedLimiter, type LimitClock } from '../../src/services/limits/shared-limiter.service';
import { makeContext } from '../unit/agent/context.fixture';
import { answer, startOpenAIFake, type FakeAnswer, type OpenAIFake } from '../fakes/openai-fake';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
let db: Database;
let fake: OpenAIFake;
const composed = answer.json({ subject: 'W-9', body: 'Hello, could you send the signed W-9?\n\nSam' });

beforeAll(async () => {
  database = await createTestDatabase('provider_limits');
  db = createDataSource(database.url, 10);
  await db.initialize();
  await migrate(db);
  fake = await startOpenAIFake();
});
afterAll(async () => {
  await fake?.stop();
  await db?.destroy();
  await database?.drop();
});
beforeEach(() => fake.reset());

/** A clock `speed` times faster than the wall clock: a minute of limits passes in 60/speed seconds. */
function fastClock(speed: number): LimitClock {
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * speed,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('stopped'));
        setTimeout(resolve, ms / speed);
      }),
  };
}

/** One worker process's gate: its own limiter object and openai client, the shared database. */
function worker(key: string, options: { rpm?: number; tpm?: number; clock?: LimitClock; timeScale?: number } = {}) {
  const limiter = new SharedLimiter(db, options.clock);
  let gate: ModelGate | null = null;
  const inner = new OpenAIAgent({ baseURL: fake.baseURL, model: 'fake-model', onCall: (info) => gate?.onCall(info) });
  gate = new ModelGate(
    inner,
    limiter,
    { db, changes: { changed: () => undefined }, logger: createLogger('silent'), clock: () => new Date() },
    { key, rpm: options.rpm ?? null, tpm: options.tpm ?? null, timeScale: options.timeScale ?? 1 },
  );
  return { gate, limiter };
}

const compose = (gate: ModelGate) => gate.compose({ purpose: 'outreach', context: makeContext() });

test('a 429 with Retry-After holds back every worker until the reset, and the call is retried, not failed', async () => {
  const arrivals: number[] = [];
  let refused = false;
  fake.setHandler((): FakeAnswer => {
    arrivals.push(Date.now());
    if (refused) return composed;
    refused = true;
    return answer.refused(429, { 'retry-after-ms': '1500' }, 'rate_limit_exceeded');
  });
  const a = worker('model:retry-after');
  const b = worker('model:retry-after');
  const first = compose(a.gate);
  // Once worker A's refusal is recorded, worker B asks: it must not call before the reset either.
  const blocked = await waitForBlock(a.limiter, 'model:retry-after');
  const second = compose(b.gate);
  await expect(first).resolves.toMatchObject({ subject: 'W-9' });
  await expect(second).resolves.toMatchObject({ subject: 'W-9' });
  expect(arrivals).toHaveLength(3);
  const refusedAt = arrivals[0]!;
  for (const later of arrivals.slice(1)) {
    expect(later).toBeGreaterThanOrEqual(blocked);
    expect(later - refusedAt).toBeGreaterThanOrEqual(1500);
  }
});

test('MODEL_RPM holds across two workers: never more than N calls in any window', async () => {
  const clock = fastClock(6);
  const rpm = 30;
  const arrivals: number[] = [];
  fake.setHandler(() => {
    arrivals.push(clock.now());
    return composed;
  });
  const a = worker('model:rpm', { rpm, clock });
  const b = worker('model:rpm', { rpm, clock });
  const calls = [
    ...Array.from({ length: 16 }, () => compose(a.gate)),
    ...Array.from({ length: 16 }, () => compose(b.gate)),
  ];
  await Promise.all(calls);
  expect(arrivals).toHaveLength(32);
  arrivals.sort((x, y) => x - y);
  // A window one slot shorter than a minute: the slack is the network between the gate and the fake.
  const window = 60_000 - 60_000 / rpm / 2;
  let most = 0;
  for (let i = 0; i < arrivals.length; i += 1) {
    const inWindow = arrivals.filter((t) => t >= arrivals[i]! && t < arrivals[i]! + window).length;
    most = Math.max(most, inWindow);
  }
  expect(most).toBeLessThanOrEqual(rpm);
  // Without the cap the 32 calls would arrive within moments; with it they span more than a minute.
  expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(60_000);
}, 60_000);

test('MODEL_TPM holds across two workers, counted in the tokens the provider reports', async () => {
  const clock = fastClock(12);
  const tpm = 5_000;
  const arrivals: Array<{ at: number; tokens: number }> = [];
  fake.setHandler((request) => {
    // The fake's usage: ceil(prompt characters / 4) in, ceil(answer characters / 4) out.
    const content = JSON.stringify({ subject: 'W-9', body: 'Hello, could you send the signed W-9?\n\nSam' });
    arrivals.push({ at: clock.now(), tokens: Math.ceil(request.text.length / 4) + Math.ceil(content.length / 4) });
    return composed;
  });
  const a = worker('model:tpm', { tpm, clock });
  const b = worker('model:tpm', { tpm, clock });
  await Promise.all([
    ...Array.from({ length: 6 }, () => compose(a.gate)),
    ...Array.from({ length: 6 }, () => compose(b.gate)),
  ]);
  expect(arrivals).toHaveLength(12);
  arrivals.sort((x, y) => x.at - y.at);
  const largest = Math.max(...arrivals.map((call) => call.tokens));
  let most = 0;
  for (const first of arrivals) {
    const inWindow = arrivals.filter((call) => call.at >= first.at && call.at < first.at + 59_000);
    most = Math.max(
      most,
      inWindow.reduce((sum, call) => sum + call.tokens, 0),
    );
  }
  // The tokens started in any minute stay within the budget, give or take the one call that opens the next minute.
  if (process.env.OFFLOAD_TEST_VERBOSE) console.log({ most, largest, span: arrivals.at(-1)!.at - arrivals[0]!.at });
  expect(most).toBeLessThanOrEqual(tpm + largest);
  const total = arrivals.reduce((sum, call) => sum + call.tokens, 0);
  expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThan(((total - tpm - largest) / tpm) * 60_000);
}, 60_000);

test('with no case waiting, one worker probes the open circuit with a cheap call, and its success closes it', async () => {
  let refusing = true;
  fake.setHandler(() => (refusing ? answer.refused(401, {}, 'invalid_api_key') : composed));
  const key = 'model:idle-probe';
  // Probes every 30 s / 300 = 100 ms.
  const a = worker(key, { timeScale: 300 });
  const b = worker(key, { timeScale: 300 });
  await a.limiter.openCircuit(key, 'HTTP 401 invalid_api_key', 0);
  a.gate.start();
  b.gate.start();
  try {
    await waitUntil(() => fake.requests.length >= 3);
    expect((await a.limiter.read(key)).circuit).toMatchObject({ reason: 'HTTP 401 invalid_api_key' });
    // Two workers, one probe per interval between them: the probes are spaced, not doubled.
    const probes = fake.requests.length;
    refusing = false;
    await waitUntil(async () => (await a.limiter.read(key)).circuit === null);
    expect(fake.requests.length).toBeLessThanOrEqual(probes + 2);
    expect(fake.requests.every((request) => request.callName === null)).toBe(true);
  } finally {
    a.gate.stop();
    b.gate.stop();
  }
});

test('timeouts and 5xx are retried inside the call; a request the provider calls bad is left to the job', async () => {
  const { gate } = worker('model:transient', { timeScale: 100 });
  fake.enqueue(answer.error(500), answer.error(502), composed);
  await expect(compose(gate)).resolves.toMatchObject({ subject: 'W-9' });
  expect(fake.requests).toHaveLength(3);
  fake.enqueue(answer.refused(400, {}, 'context_length_exceeded'));
  await expect(compose(gate)).rejects.toMatchObject({ kind: 'invalid_request', status: 400 });
});

test('stop() ends a wait at once (shutdown), instead of holding the job until the provider allows', async () => {
  const key = 'model:stop';
  const { gate, limiter } = worker(key);
  fake.setHandler(() => answer.refused(429, { 'retry-after': '3600' }));
  const waiting = compose(gate);
  await waitForBlock(limiter, key);
  const started = Date.now();
  gate.stop();
  await expect(waiting).rejects.toThrow(/stopped/);
  expect(Date.now() - started).toBeLessThan(1_000);
});

async function waitUntil(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

async function waitForBlock(limiter: SharedLimiter, key: string): Promise<number> {
  for (let i = 0; i < 200; i += 1) {
    const state = await limiter.read(key);
    if (state.blockedUntil > Date.now()) return state.blockedUntil;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the refusal was never recorded');
}
