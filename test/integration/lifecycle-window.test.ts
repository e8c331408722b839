// Issue 21 end to end: startAt and the send window hold the outreach (and every later message) until they allow
// it, an empty window is refused naming the field, a reply that beats the outreach is evaluated after it, in-thread
// replies leave the follow-up budget alone and are capped by maxReplies, and auto-replies are noted, never
// answered, and move the follow-up past their return date. The services run on a clock the test moves; the sweep
// (run with that clock) is what makes a held case due, so nothing here sleeps for hours.
import { CreateCaseDocument, GetCaseScheduleDocument } from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';
import { sweepDueCases } from '../../src/services/sweep/sweep.service';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { startScriptedFake, verdict, type ScriptedFake } from '../fakes/scripted-model';
import { postLocalReply } from '../helpers/reply.helper';

let app: TestApp;
let ai: ScriptedFake;
let probe: CaseProbe;

// The test's clock starts well after the machine's, so pg-boss (on the database's time) never fires a delayed job
// before the test moves the clock past it: only the sweep does, with the test's clock.
let now = new Date('2027-01-02T02:00:00.000Z'); // Saturday, 03:00 in Paris
const clock = () => now;

beforeAll(async () => {
  ai = await startScriptedFake();
  app = await startTestApp('lifecycle-window', {
    env: { AGENT: 'openai', OPENAI_BASE_URL: ai.fake.baseURL },
    clock,
  });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  await app?.stop();
  await ai?.stop();
});

/** Moves the clock to `at` and runs the sweep as SWEEP_CRON would then. */
async function moveClockTo(at: string | Date): Promise<void> {
  now = new Date(at);
  await sweepDueCases({ db: app.offload.db, boss: app.offload.boss, clock });
}

async function create(overrides: Record<string, unknown>) {
  return (await app.client.ok(CreateCaseDocument, { input: caseInput(overrides) })).createCase;
}

const schedule = async (id: string) => (await app.client.ok(GetCaseScheduleDocument, { id })).case!;
const weekdays9to5Paris = { days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '17:00' };
const paris = { address: 'vendor@example.com', name: 'Vera Vendor', timezone: 'Europe/Paris' };

it('holds the outreach outside the send window (zone from the counterparty) and sends it at the opening', async () => {
  now = new Date('2027-01-02T02:00:00.000Z');
  const created = await create({ counterparty: paris, sendWindow: weekdays9to5Paris, followUpDelayHours: 24 });
  const held = await probe.until(created.id, 'the hold', (c) => timelineTypes(c).includes('send.held'));
  expect(held).toMatchObject({ status: 'CREATED', attemptCount: 0, nextActionAt: '2027-01-04T08:00:00.000Z' });
  expect((await schedule(created.id)).sendWindow).toMatchObject({ ...weekdays9to5Paris, timezone: 'Europe/Paris' });
  expect(await probe.outbound(created.id)).toEqual([]);

  await moveClockTo('2027-01-04T08:00:00.000Z'); // Monday 09:00 in Paris
  const sent = await probe.until(created.id, 'the outreach', (c) => c.status === 'RUNNING');
  expect(timelineTypes(sent)).toEqual(['case.created', 'send.held', 'outreach.sent']);
  // The follow-up falls 24 h later, Tuesday 09:00 Paris: inside the window.
  expect(sent.nextActionAt).toBe('2027-01-05T08:00:00.000Z');
});

it('keeps the case CREATED until startAt, with nextActionAt = startAt', async () => {
  now = new Date('2027-01-06T10:00:00.000Z');
  const created = await create({ startAt: '2027-01-08T15:30:00.000Z' });
  expect(created).toMatchObject({ status: 'CREATED', nextActionAt: '2027-01-08T15:30:00.000Z' });
  await probe.until(created.id, 'the hold', (c) => timelineTypes(c).includes('send.held'));
  await moveClockTo('2027-01-08T15:29:00.000Z');
  await waitFor('the early sweep to settle', () => probe.settled(created.id));
  expect((await probe.detail(created.id)).status).toBe('CREATED');
  await moveClockTo('2027-01-08T15:30:00.000Z');
  const sent = await probe.until(created.id, 'the outreach', (c) => c.status === 'RUNNING');
  expect(sent.attemptCount).toBe(1);
});

it.each([
  ['no days', { days: [], start: '09:00', end: '17:00' }, 'sendWindow.days'],
  ['start equal to end', { days: ['MON'], start: '09:00', end: '09:00' }, 'sendWindow.end'],
  ['a time that is no time', { days: ['MON'], start: '9h', end: '17:00' }, 'sendWindow.start'],
  ['an unknown zone', { days: ['MON'], start: '09:00', end: '17:00', timezone: 'Mars/Base' }, 'sendWindow.timezone'],
])('refuses a send window with %s, naming the field', async (_label, sendWindow, path) => {
  const res = await app.client.request(CreateCaseDocument, { input: caseInput({ sendWindow }) });
  expect(res.errors?.[0]?.extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    fields: [expect.objectContaining({ path })],
  });
});

it('evaluates a reply that arrived before the outreach once the outreach has gone', async () => {
  now = new Date('2027-01-11T10:00:00.000Z');
  const created = await create({ startAt: '2027-01-12T10:00:00.000Z' });
  await probe.until(created.id, 'the hold', (c) => timelineTypes(c).includes('send.held'));
  await probe.reply(created.id, 'Saw your portal request already, the W-9 is attached.', app.apiKey);
  const early = await probe.until(created.id, 'the early reply', (c) => timelineTypes(c).includes('reply.received'));
  expect(early.status).toBe('CREATED');
  expect(ai.requestsFor(created.id, 'evaluate_reply')).toHaveLength(0);

  ai.evaluate(created.id, verdict('GOAL_ACHIEVED', { result: { summary: 'W-9 received' } }));
  await moveClockTo('2027-01-12T10:00:00.000Z');
  const done = await probe.until(created.id, 'completion', (c) => c.status === 'COMPLETED');
  expect(timelineTypes(done)).toEqual([
    'case.created',
    'send.held',
    'reply.received',
    'outreach.sent',
    'case.completed',
  ]);
  expect(ai.requestsFor(created.id, 'evaluate_reply')).toHaveLength(1);
});

it('in-thread replies do not use the follow-up budget; their message resets it', async () => {
  now = new Date('2027-01-13T10:00:00.000Z');
  const created = await create({ maxAttempts: 1, followUpDelayHours: 1 });
  await probe.until(created.id, 'the outreach', (c) => c.status === 'RUNNING');
  ai.evaluate(created.id, verdict('REQUIRES_REPLY', { replyBody: 'The form is the 2024 revision.' }));
  await probe.reply(created.id, 'Which revision of the form do you need?', app.apiKey);
  await probe.until(created.id, 'our reply', (c) => timelineTypes(c).includes('reply.sent'));
  expect(await schedule(created.id)).toMatchObject({ attemptCount: 2, followUpCount: 0 });

  await moveClockTo('2027-01-13T11:30:00.000Z');
  const followed = await probe.until(created.id, 'the one follow-up', (c) => c.attemptCount === 3);
  expect(followed.status).toBe('RUNNING');
  expect(await schedule(created.id)).toMatchObject({ followUpCount: 1 });
  await moveClockTo('2027-01-13T13:00:00.000Z');
  const failed = await probe.until(created.id, 'max_retries', (c) => c.status === 'FAILED');
  expect(failed).toMatchObject({ resultStatus: 'max_retries', attemptCount: 3 });
  expect((await probe.outbound(created.id)).map((m) => m.purpose)).toEqual(['outreach', 'reply', 'follow_up']);
});

it('asks the human instead of a reply beyond maxReplies', async () => {
  now = new Date('2027-01-14T10:00:00.000Z');
  const created = await create({ maxReplies: 0 });
  await probe.until(created.id, 'the outreach', (c) => c.status === 'RUNNING');
  ai.evaluate(created.id, verdict('REQUIRES_REPLY', { replyBody: 'Yes, PDF is fine.' }));
  await probe.reply(created.id, 'Can I send it as a PDF?', app.apiKey);
  const asked = await probe.until(created.id, 'the question', (c) => c.status === 'INPUT_NEEDED');
  expect(asked.inputRequest?.question).toMatch(/maxReplies/);
  expect((await probe.outbound(created.id)).map((m) => m.purpose)).toEqual(['outreach']);
});

it('notes an auto-reply, never answers it, and moves the follow-up past the return date it gives', async () => {
  now = new Date('2027-01-15T10:00:00.000Z');
  const created = await create({ followUpDelayHours: 72 });
  const running = await probe.until(created.id, 'the outreach', (c) => c.status === 'RUNNING');
  expect(running.nextActionAt).toBe('2027-01-18T10:00:00.000Z');
  const res = await postLocalReply(app.url, app.apiKey, {
    caseId: created.id,
    text: 'I am out of the office until Friday, January 22, 2027 with limited access to email.',
    headers: { 'Auto-Submitted': 'auto-replied' },
  });
  expect(res.status).toBe(202);
  const noted = await probe.until(created.id, 'the auto-reply', (c) =>
    timelineTypes(c).includes('auto_reply.received'),
  );
  expect(noted.status).toBe('RUNNING');
  expect(new Date(noted.nextActionAt!).getTime()).toBeGreaterThanOrEqual(Date.parse('2027-01-22T00:00:00Z'));
  await waitFor('nothing left to run', () => probe.settled(created.id));
  expect(ai.requestsFor(created.id, 'evaluate_reply')).toHaveLength(0);
  expect(await probe.outbound(created.id)).toHaveLength(1);
  expect(await schedule(created.id)).toMatchObject({ followUpCount: 0 });
});
