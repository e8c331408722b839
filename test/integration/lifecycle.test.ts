// Every reply outcome end to end through GraphQL, with AGENT=openai against the OpenAI fake scripted per case.
import { CreateCaseDocument, GetUsageDocument, SubmitInputDocument } from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { startScriptedFake, verdict, type ScriptedFake } from '../fakes/scripted-model';

let app: TestApp;
let ai: ScriptedFake;
let probe: CaseProbe;

// 3600: an hour of the case's schedule takes a second; followUpDelayHours 720 keeps follow-ups 12 minutes away.
const SCALE = 3600;
const QUIET = { followUpDelayHours: 720 };

beforeAll(async () => {
  ai = await startScriptedFake();
  app = await startTestApp('lifecycle', {
    env: { AGENT: 'openai', OPENAI_BASE_URL: ai.fake.baseURL, OFFLOAD_TIME_SCALE: String(SCALE) },
  });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  await app?.stop();
  await ai?.stop();
});
afterEach(() => expect(ai.unexpected).toEqual([]));

async function runningCase(overrides: Record<string, unknown> = QUIET) {
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput(overrides) });
  return probe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
}

it('sends the outreach: RUNNING, attemptCount 1, nextActionAt one scaled delay away, the mail stored', async () => {
  const before = Date.now();
  const running = await runningCase();
  expect(running.attemptCount).toBe(1);
  const due = new Date(running.nextActionAt as string).getTime();
  expect(due).toBeGreaterThanOrEqual(before + (720 * 3_600_000) / SCALE);
  expect(due).toBeLessThanOrEqual(Date.now() + (720 * 3_600_000) / SCALE);
  expect(running.messages).toEqual([
    expect.objectContaining({ direction: 'outbound', subject: 'Signed W-9 for Acme', to: ['vendor@example.com'] }),
  ]);
  expect(running.messages[0]!.sentAt).not.toBeNull();
  expect(timelineTypes(running)).toEqual(['case.created', 'outreach.sent']);
  // The follow-up is the row's next_action_at, queued by the worker's due-poll when it falls due: no deferred job
  // waits in the queue (each would cost every fetch a step).
  const jobs = await app.offload.db.query(
    `SELECT data->>'type' AS type FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1
        AND state = 'created' AND start_after > now()`,
    [running.id],
  );
  expect(jobs).toEqual([]);
});

it('GOAL_ACHIEVED completes the case with the result, and counts it as billable', async () => {
  const owner = await app.newAccount('BASE_PRO', 'billing');
  const { createCase } = await owner.client.ok(CreateCaseDocument, { input: caseInput(QUIET) });
  const ownerProbe = new CaseProbe({ ...app, client: owner.client });
  await ownerProbe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
  ai.evaluate(createCase.id, verdict('GOAL_ACHIEVED', { result: { summary: 'W-9 received' } }));
  await ownerProbe.reply(createCase.id, 'Here is the signed W-9.', owner.apiKey);
  const done = await ownerProbe.until(createCase.id, 'completion', (c) => c.status === 'COMPLETED');
  expect(done).toMatchObject({
    resultStatus: 'goal_achieved',
    result: { summary: 'W-9 received' },
    nextActionAt: null,
  });
  expect(timelineTypes(done)).toEqual(['case.created', 'outreach.sent', 'reply.received', 'case.completed']);
  const { usage } = await owner.client.ok(GetUsageDocument, {});
  expect(usage).toMatchObject({ createdThisMonth: 1, billableThisMonth: 1 });
});

it('does not accept a result that fails the resultSchema: the case asks its human instead', async () => {
  const resultSchema = {
    type: 'object',
    properties: { tin: { type: 'string', pattern: '^[0-9]{2}-[0-9]{7}$' } },
    required: ['tin'],
    additionalProperties: false,
  };
  const running = await runningCase({ ...QUIET, resultSchema });
  const invalid = verdict('GOAL_ACHIEVED', { result: { tin: 'unknown' } });
  ai.evaluate(running.id, invalid, invalid, invalid);
  await probe.reply(running.id, 'Our TIN is on file somewhere.', app.apiKey);
  const asked = await probe.until(running.id, 'a question', (c) => c.status === 'INPUT_NEEDED');
  expect(asked.result).toBeNull();
  expect(asked.resultStatus).toBeNull();
  expect(asked.inputRequest?.question).toMatch(/could not be evaluated automatically/);
});

it('FAILED_REJECTED fails the case with failed_rejected', async () => {
  const running = await runningCase();
  ai.evaluate(running.id, verdict('FAILED_REJECTED', { reason: 'They will not send it' }));
  await probe.reply(running.id, 'Not interested, stop emailing me.', app.apiKey);
  const failed = await probe.until(running.id, 'the failure', (c) => c.status === 'FAILED');
  expect(failed).toMatchObject({
    resultStatus: 'failed_rejected',
    failureReason: 'They will not send it',
    nextActionAt: null,
  });
});

it('REQUIRES_REPLY answers in the thread and stays RUNNING', async () => {
  const running = await runningCase();
  ai.evaluate(running.id, verdict('REQUIRES_REPLY', { replyBody: 'The form is the 2024 W-9.' }));
  await probe.reply(running.id, 'Which form exactly?', app.apiKey, '<question-1@vendor.example.com>');
  const replied = await probe.until(running.id, 'our reply', (c) => c.attemptCount === 2);
  expect(replied.status).toBe('RUNNING');
  expect(replied.nextActionAt).not.toBeNull();
  expect(timelineTypes(replied)).toEqual([
    'case.created',
    'outreach.sent',
    'reply.received',
    'reply.requested',
    'reply.sent',
  ]);
  const [outreach, reply] = await probe.outbound(running.id);
  expect(outreach!.in_reply_to).toBeNull();
  expect(reply).toMatchObject({ status: 'sent', purpose: 'reply', in_reply_to: '<question-1@vendor.example.com>' });
  expect(reply!.references).toEqual([outreach!.rfc_message_id, '<question-1@vendor.example.com>']);
  expect(ai.requestsFor(running.id, 'compose_message').at(-1)?.text).toContain('The form is the 2024 W-9.');
});

it('INPUT_NEEDED asks the human; the answer and a reply that came meanwhile are evaluated together', async () => {
  const running = await runningCase();
  ai.evaluate(running.id, verdict('INPUT_NEEDED', { question: 'Which legal entity should sign?' }));
  await probe.reply(running.id, 'Should Acme Inc or Acme LLC be on the form?', app.apiKey);
  const asked = await probe.until(running.id, 'the question', (c) => c.status === 'INPUT_NEEDED');
  expect(asked).toMatchObject({
    inputRequestStatus: 'PENDING',
    inputRequest: { question: 'Which legal entity should sign?', status: 'PENDING' },
    nextActionAt: null,
  });
  expect(asked.inputRequestId).toBe(asked.inputRequest?.id);
  expect(asked.inputRequestedAt).not.toBeNull();

  // A second reply while the human is asked: kept, not evaluated on its own.
  await probe.reply(running.id, 'Also, do you need the old address?', app.apiKey);
  await probe.until(
    running.id,
    'the second reply',
    (c) => timelineTypes(c).filter((t) => t === 'reply.received').length === 2,
  );
  await waitFor('the second reply to settle', () => probe.settled(running.id));
  expect(ai.requestsFor(running.id, 'evaluate_reply')).toHaveLength(1);

  ai.evaluate(running.id, verdict('REQUIRES_REPLY', { replyBody: 'Acme LLC signs; the new address only.' }));
  const { submitInput } = await app.client.ok(SubmitInputDocument, {
    input: { caseId: running.id, inputRequestId: asked.inputRequestId!, providedContext: 'Acme LLC, new address' },
  });
  expect(submitInput).toEqual({ caseId: running.id, inputRequestId: asked.inputRequestId, accepted: true });
  const resolved = await probe.detail(running.id);
  expect(resolved.inputRequestStatus).toBe('RESOLVED');
  expect(resolved.goal.knowledge).toMatchObject({ additionalHumanContext: 'Acme LLC, new address' });

  const answered = await probe.until(running.id, 'the reply after input', (c) => c.attemptCount === 2);
  expect(answered.status).toBe('RUNNING');
  const second = ai.requestsFor(running.id, 'evaluate_reply')[1]!;
  expect(second.text).toContain('Acme LLC, new address');
  expect(second.text).toContain('do you need the old address');
  expect((await probe.outbound(running.id)).map((m) => m.purpose)).toEqual(['outreach', 'reply_after_input']);

  ai.evaluate(running.id, verdict('GOAL_ACHIEVED', { result: { summary: 'signed by Acme LLC' } }));
  await probe.reply(running.id, 'Signed form attached.', app.apiKey);
  const done = await probe.until(running.id, 'completion', (c) => c.status === 'COMPLETED');
  expect(done.result).toEqual({ summary: 'signed by Acme LLC' });
});

it('a bounce reported by the provider fails the case with BOUNCED, not billable', async () => {
  const running = await runningCase();
  const [outreach] = await probe.outbound(running.id);
  await app.offload.services.inbound.deliveryFailed({
    kind: 'BOUNCED',
    reason: '550 mailbox unavailable',
    messageId: outreach!.rfc_message_id,
    eventId: 'bounce-1',
  });
  const failed = await probe.until(running.id, 'the bounce', (c) => c.status === 'FAILED');
  expect(failed).toMatchObject({ resultStatus: 'BOUNCED', failureReason: '550 mailbox unavailable' });
  expect((await probe.outbound(running.id))[0]!.delivery_status).toBe('bounced');
});
