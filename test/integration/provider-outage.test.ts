// What operators and cases see when the model provider says no (SPEC §12): refusals that count against the limit
// do not stall a campaign, an outage no retry fixes parks cases (one agent.unavailable row each, /readyz says so)
// until the provider works again, and MAIL_RATE_PER_MINUTE holds sends without dropping any.
import { CreateCaseDocument, GetCaseDetailDocument } from '../../schema/generated/graphql';
import { createLocalTransport } from '../../src/mail/local.transport';
import type { MailTransport } from '../../src/mail/mail.types';
import { answer, startOpenAIFake, type FakeAnswer, type OpenAIFake } from '../fakes/openai-fake';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

const composed = answer.json({ subject: 'Your W-9', body: 'Could you send the signed W-9?\n\nSam' });

async function detail(app: TestApp, id: string) {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id });
  if (!found) throw new Error(`case ${id} not found`);
  return found;
}

async function createCases(app: TestApp, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const input = caseInput({ counterparty: { address: `vendor${i}@example.com`, name: `Vendor ${i}` } });
    ids.push((await app.client.ok(CreateCaseDocument, { input })).createCase.id);
  }
  return ids;
}

async function statuses(app: TestApp, ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await detail(app, id)).status));
}

describe('a provider that counts refused calls against its limit', () => {
  let model: OpenAIFake;
  let app: TestApp;
  const windowMs = 2_000;
  const limit = 6;
  const windows = new Map<number, number>();
  let refusals = 0;

  beforeAll(async () => {
    // A fixed window per 2 s of at most 6 calls, every call counted, refused or not (as OpenAI does).
    model = await startOpenAIFake((): FakeAnswer => {
      const now = Date.now();
      const window = Math.floor(now / windowMs);
      const count = (windows.get(window) ?? 0) + 1;
      windows.set(window, count);
      if (count <= limit) return composed;
      refusals += 1;
      const resetMs = (window + 1) * windowMs - now;
      return answer.refused(
        429,
        { 'x-ratelimit-reset-requests': `${resetMs}ms`, 'x-ratelimit-remaining-requests': '0' },
        'rate_limit_exceeded',
      );
    });
    app = await startTestApp('provider_rejections', {
      env: { AGENT: 'openai', OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: 'fake-model', WORKER_CONCURRENCY: '8' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await model?.stop();
  });

  it('does not stall: every case gets its outreach, none fails, refusals stay few', async () => {
    const cases = 24;
    const ids = await createCases(app, cases);
    await waitFor(
      'every outreach sent',
      async () => (await statuses(app, ids)).every((s) => s === 'RUNNING'),
      90_000,
      250,
    );
    expect(await statuses(app, ids)).not.toContain('FAILED');
    const accepted = model.requests.length - refusals;
    if (process.env.OFFLOAD_TEST_VERBOSE)
      console.log(`${cases} cases: ${accepted} accepted calls, ${refusals} refused, ${windows.size} windows`);
    expect(accepted).toBe(cases);
    // After a refusal nobody calls before the reset: at most the calls already in flight are refused with it.
    expect(refusals).toBeLessThanOrEqual(cases);
  }, 120_000);
});

describe('a provider that refuses the key (401)', () => {
  let model: OpenAIFake;
  let app: TestApp;
  let fixed = false;

  beforeAll(async () => {
    model = await startOpenAIFake((): FakeAnswer => (fixed ? composed : answer.refused(401, {}, 'invalid_api_key')));
    app = await startTestApp('provider_outage', {
      // Probes every 30 s / 30 = 1 s, waiting calls look every 5 s / 30.
      env: { AGENT: 'openai', OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: 'fake-model', OFFLOAD_TIME_SCALE: '30' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await model?.stop();
  });

  it('parks the cases with one agent.unavailable row each, says so on /readyz, and resumes once the key works', async () => {
    const ids = await createCases(app, 3);
    const unavailable = async (id: string) =>
      (await detail(app, id)).timeline.filter((row) => row.type === 'agent.unavailable').length;
    await waitFor(
      'every case noted',
      async () => (await Promise.all(ids.map(unavailable))).every((n) => n >= 1),
      30_000,
    );
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, boolean>; agent?: Record<string, string> };
    expect(body.checks.agent).toBe(false);
    expect(body.agent).toMatchObject({ status: 'unavailable', reason: 'HTTP 401 invalid_api_key' });
    // Several probes later: still waiting, not failed, still one row each.
    const probes = model.requests.length;
    await waitFor('a few probes', () => model.requests.length >= probes + 2, 20_000);
    expect(await statuses(app, ids)).toEqual(['CREATED', 'CREATED', 'CREATED']);
    expect(await Promise.all(ids.map(unavailable))).toEqual([1, 1, 1]);

    fixed = true;
    await waitFor('every outreach sent', async () => (await statuses(app, ids)).every((s) => s === 'RUNNING'), 30_000);
    expect(await Promise.all(ids.map(unavailable))).toEqual([1, 1, 1]);
    const after = await fetch(`${app.url}/readyz`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { agent?: unknown }).agent).toBeUndefined();
  }, 90_000);
});

describe('MAIL_RATE_PER_MINUTE', () => {
  let app: TestApp;
  const sends: number[] = [];

  beforeAll(async () => {
    const local = createLocalTransport();
    const recording: MailTransport = {
      ...local,
      send: async (mail) => {
        sends.push(Date.now());
        return local.send(mail);
      },
    };
    app = await startTestApp('mail_rate', { transport: recording, env: { MAIL_RATE_PER_MINUTE: '120' } });
  });
  afterAll(() => app?.stop());

  it('holds sends over the rate and drops none', async () => {
    const ids = await createCases(app, 6);
    await waitFor('every outreach sent', async () => (await statuses(app, ids)).every((s) => s === 'RUNNING'), 30_000);
    expect(sends).toHaveLength(6);
    sends.sort((a, b) => a - b);
    // Six sends at 120 a minute are five half-second gaps; without the rate they leave within moments.
    expect(sends.at(-1)! - sends[0]!).toBeGreaterThanOrEqual(2_000);
  }, 60_000);
});
