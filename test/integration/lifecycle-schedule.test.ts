// Time in the lifecycle: snoozes, follow-ups until max_retries, the sweep as a safety net for lost delayed jobs and
// dead-lettered ones, and cancellation of a case with a follow-up in flight. AGENT=openai against the fake.
import { CancelCaseDocument, CreateCaseDocument } from '../../schema/generated/graphql';
import { answer } from '../fakes/openai-fake';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';
import { sweepDueCases } from '../../src/services/sweep/sweep.service';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { startScriptedFake, verdict, type ScriptedFake } from '../fakes/scripted-model';

let app: TestApp;
let ai: ScriptedFake;
let probe: CaseProbe;

// An hour of schedule is a second: followUpDelayHours 1 follows up each second, 720 keeps follow-ups 12 min away.
const SCALE = 3600;

beforeAll(async () => {
  ai = await startScriptedFake();
  app = await startTestApp('lifecycle-schedule', {
    env: { AGENT: 'openai', OPENAI_BASE_URL: ai.fake.baseURL, OFFLOAD_TIME_SCALE: String(SCALE) },
  });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  await app?.stop();
  await ai?.stop();
});

const sweep = () => sweepDueCases({ db: app.offload.db, boss: app.offload.boss, clock: () => new Date() });

async function runningCase(overrides: Record<string, unknown>) {
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput(overrides) });
  return probe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
}

it('SNOOZE reschedules the case, which follows up when the snooze ends', async () => {
  const running = await runningCase({ followUpDelayHours: 720 });
  ai.evaluate(running.id, verdict('SNOOZE', { snoozeHours: 1 }));
  await probe.reply(running.id, 'I am out of office until next week.', app.apiKey);
  const snoozed = await probe.until(running.id, 'the snooze', (c) => timelineTypes(c).includes('case.snoozed'));
  expect(snoozed.status).toBe('RUNNING');
  const followed = await probe.until(running.id, 'the follow-up', (c) => c.attemptCount === 2);
  expect(timelineTypes(followed)).toEqual([
    'case.created',
    'outreach.sent',
    'reply.received',
    'case.snoozed',
    'follow_up.sent',
  ]);
  expect((await probe.outbound(running.id)).map((m) => m.purpose)).toEqual(['outreach', 'follow_up']);
});

it('follows up maxAttempts times, then fails with max_retries', async () => {
  const running = await runningCase({ followUpDelayHours: 1, maxAttempts: 2 });
  const failed = await probe.until(running.id, 'max_retries', (c) => c.status === 'FAILED', 30_000);
  expect(failed).toMatchObject({ resultStatus: 'max_retries', attemptCount: 3, nextActionAt: null });
  expect(timelineTypes(failed)).toEqual([
    'case.created',
    'outreach.sent',
    'follow_up.sent',
    'follow_up.sent',
    'case.failed',
  ]);
  const outbound = await probe.outbound(running.id);
  expect(outbound.map((m) => [m.purpose, m.status])).toEqual([
    ['outreach', 'sent'],
    ['follow_up', 'sent'],
    ['follow_up', 'sent'],
  ]);
  expect(ai.requestsFor(running.id, 'evaluate_reply')).toHaveLength(0);
});

it('the sweep re-queues a due case whose queued follow-up is gone, once however often it runs', async () => {
  const running = await runningCase({ followUpDelayHours: 720 });
  // The 12 minutes pass, and the due-poll's job for it was lost: the case is marked queued, and nothing is.
  await app.offload.db.query(
    `UPDATE cases SET next_action_at = now() - interval '1 second', follow_up_queued_at = now() - interval '1 second'
      WHERE id = $1`,
    [running.id],
  );
  expect(await sweep()).toBeGreaterThanOrEqual(1);
  await sweep();
  const followed = await probe.until(running.id, 'the swept follow-up', (c) => c.attemptCount === 2);
  await waitFor('the sweep copies to settle', () => probe.settled(running.id));
  const after = await probe.detail(running.id);
  expect(timelineTypes(after).filter((t) => t === 'follow_up.sent')).toHaveLength(1);
  expect(await probe.outbound(running.id)).toHaveLength(2);
  expect(new Date(followed.nextActionAt as string).getTime()).toBeGreaterThan(Date.now() + 600_000);
});

it('the sweep gives a dead-lettered job another round, so its case is not stranded', async () => {
  const running = await runningCase({ followUpDelayHours: 720 });
  const down = answer.error(400, 'model unavailable', false);
  ai.evaluate(running.id, down, down);
  await probe.reply(running.id, 'Here you go, signed.', app.apiKey);
  const [retrying] = await waitFor('the evaluation to fail once', async () => {
    const rows: Array<{ id: string }> = await app.offload.db.query(
      `SELECT id FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1
          AND data->>'type' = 'EVALUATE_REPLY' AND state = 'retry'`,
      [running.id],
    );
    return rows.length ? rows : undefined;
  });
  // Its retries used up: the next failure dead-letters it (as ten failures over half an hour would).
  await app.offload.db.query(`UPDATE pgboss.job SET retry_limit = retry_count WHERE id = $1`, [retrying!.id]);
  await waitFor('the dead letter', async () => {
    const dead: unknown[] = await app.offload.db.query(
      `SELECT 1 FROM pgboss.job WHERE name = 'case-events-dead' AND data->>'caseId' = $1`,
      [running.id],
    );
    return dead.length > 0;
  });
  const stranded = await probe.detail(running.id);
  expect(stranded).toMatchObject({ status: 'RUNNING', nextActionAt: null });

  ai.evaluate(running.id, verdict('GOAL_ACHIEVED', { result: { summary: 'signed' } }));
  expect(await sweep()).toBeGreaterThanOrEqual(1);
  const done = await probe.until(running.id, 'completion after the redrive', (c) => c.status === 'COMPLETED');
  expect(done.resultStatus).toBe('goal_achieved');
});

it('cancelCase stops further mail, even a follow-up being written at that moment', async () => {
  const running = await runningCase({ followUpDelayHours: 1 });
  const release = ai.holdCompose(running.id);
  await waitFor('the follow-up compose', () => ai.requestsFor(running.id, 'compose_message').length === 2);
  const { cancelCase } = await app.client.ok(CancelCaseDocument, { id: running.id, reason: 'paid elsewhere' });
  expect(cancelCase).toMatchObject({ status: 'FAILED', resultStatus: 'cancelled', failureReason: 'paid elsewhere' });
  release();
  await waitFor('the held follow-up to settle', () => probe.settled(running.id));
  // The follow-up was composed ahead of its step; the step, decided again under the lock, found the case failed,
  // so the composed mail was neither sent nor recorded.
  const outbound = await probe.outbound(running.id);
  expect(outbound.map((m) => [m.purpose, m.status])).toEqual([['outreach', 'sent']]);
  const after = await probe.detail(running.id);
  expect(timelineTypes(after)).toEqual(['case.created', 'outreach.sent', 'case.failed']);
});
