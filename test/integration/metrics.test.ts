// Operations: /metrics counts what really happened to a case (model path, local mail, a delivered webhook), and
// /healthz and /readyz mean what they say, on the API and on a worker-only process.
import type { PgBoss } from 'pg-boss';
import type { DataSource } from 'typeorm';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { createReadiness } from '../../src/server/ops.routes';
import { answer, routeByCall, startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { CaseProbe } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { reply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let model: OpenAIFake;
let receiver: WebhookReceiver;

beforeAll(async () => {
  model = await startOpenAIFake(
    routeByCall({
      compose_message: answer.json({ subject: 'Your W-9', body: 'Could you send the signed W-9?\n\nSam' }),
      evaluate_reply: answer.json({
        decision: 'GOAL_ACHIEVED',
        reason: 'The W-9 arrived.',
        result: { received: true },
        question: null,
        replyBody: null,
        snoozeHours: null,
      }),
    }),
  );
  receiver = await WebhookReceiver.start();
  app = await startTestApp('metrics', {
    env: { AGENT: 'openai', OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: 'fake-model', OFFLOAD_TIME_SCALE: '1' },
  });
});
afterAll(async () => {
  await app?.stop();
  await model?.stop();
  await receiver?.close();
});

/** One sample's value from the Prometheus text format; undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

const scrape = async (base = app.url): Promise<string> => {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};

describe('/metrics', () => {
  it('counts transitions, model calls and tokens, mail both ways and webhook outcomes of a real case', async () => {
    const { createCase } = await app.client.ok(CreateCaseDocument, {
      input: caseInput({
        clientWebhookUrl: receiver.url(),
        resultSchema: { type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] },
      }),
    });
    const id = createCase.id;
    await new CaseProbe(app).status(id, 'RUNNING');
    const running = await scrape();
    // Queue depth is reported per state; the follow-up waits in the case's next_action_at, not as a deferred job.
    expect(sample(running, 'offload_queue_jobs', { queue: 'case-events', state: 'deferred' })).toBe(0);

    await reply(app, id, 'Attached is the signed W-9.');
    const text = await waitFor('the webhook outcome counted', async () => {
      const body = await scrape();
      return sample(body, 'offload_webhook_attempts_total', { outcome: 'delivered' }) === 1 && body;
    });

    expect(sample(text, 'offload_case_transitions_total', { from: 'CREATED', to: 'RUNNING' })).toBe(1);
    expect(sample(text, 'offload_case_transitions_total', { from: 'RUNNING', to: 'COMPLETED' })).toBe(1);
    expect(sample(text, 'offload_mail_sent_total', { transport: 'local' })).toBe(1);
    expect(sample(text, 'offload_mail_received_total', { transport: 'local' })).toBe(1);
    for (const call of ['compose_message', 'evaluate_reply']) {
      const labels = { call, model: 'fake-model' };
      expect(sample(text, 'offload_model_call_duration_seconds_count', { ...labels, ok: 'true' })).toBe(1);
      expect(sample(text, 'offload_model_tokens_total', { ...labels, kind: 'prompt' })).toBeGreaterThan(0);
      expect(sample(text, 'offload_model_tokens_total', { ...labels, kind: 'completion' })).toBeGreaterThan(0);
    }
    expect(sample(text, 'offload_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('does not count a duplicate reply as mail received', async () => {
    const before = sample(await scrape(), 'offload_mail_received_total', { transport: 'local' }) ?? 0;
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const post = () => reply(app, createCase.id, 'Hi', { from: 'v@example.com', messageId: '<dup@x>' });
    // Both are accepted (202); reply() throws otherwise.
    await post();
    await post();
    expect(sample(await scrape(), 'offload_mail_received_total', { transport: 'local' })).toBe(before + 1);
  });
});

describe('/healthz and /readyz', () => {
  it('says alive, and ready with every check named, on the API', async () => {
    expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    // `agent`: a worker with a model agent is ready only while the provider's circuit is closed (SPEC §12).
    expect(await ready.json()).toEqual({
      ok: true,
      checks: { database: true, jobs: true, workers: true, accepting: true, agent: true },
    });
  });

  it('serves probes and metrics from a worker-only process', async () => {
    const worker = await startTestApp('metrics-worker', { role: 'worker', database: app.database });
    try {
      expect(worker.offload.http).toBeNull();
      expect(worker.offload.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ready = await fetch(`${worker.offload.opsUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: { workers: boolean } }).checks.workers).toBe(true);
      expect(await scrape(worker.offload.opsUrl!)).toContain('offload_case_transitions_total');
      // Only the probes: the worker has no API.
      expect((await fetch(`${worker.offload.opsUrl}/graphql`)).status).toBe(404);
    } finally {
      await worker.stop();
    }
  });

  it('is not ready when the database fails, pg-boss hangs, workers are not registered or it is stopping', async () => {
    const healthyDb = { query: async () => [{ '?column?': 1 }] } as unknown as DataSource;
    const healthyBoss = { getQueue: async () => ({ name: 'case-events' }) } as unknown as PgBoss;
    const downDb = { query: async () => Promise.reject(new Error('ECONNREFUSED')) } as unknown as DataSource;
    const hungBoss = { getQueue: () => new Promise(() => {}) } as unknown as PgBoss;

    expect((await createReadiness({ db: downDb, boss: healthyBoss, runsWorker: false }).check()).checks).toEqual({
      database: false,
      jobs: true,
      workers: true,
      accepting: true,
    });
    const hung = await createReadiness({ db: healthyDb, boss: hungBoss, runsWorker: false }).check();
    expect(hung).toEqual({ ok: false, checks: { database: true, jobs: false, workers: true, accepting: true } });

    const worker = createReadiness({ db: healthyDb, boss: healthyBoss, runsWorker: true });
    expect((await worker.check()).ok).toBe(false);
    worker.workersRegistered();
    expect((await worker.check()).ok).toBe(true);
    worker.stopping();
    expect(await worker.check()).toEqual({
      ok: false,
      checks: { database: true, jobs: true, workers: true, accepting: false },
    });
  });
});
