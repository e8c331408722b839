// The whole flow with the default rules agent (no model): outreach, a question for the human, the answer relayed,
// completion.
import { CreateCaseDocument, SubmitInputDocument } from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';

let app: TestApp;
let probe: CaseProbe;

beforeAll(async () => {
  app = await startTestApp('lifecycle-rules', { env: { OFFLOAD_TIME_SCALE: '3600' } });
  probe = new CaseProbe(app);
});
afterAll(async () => app?.stop());

it('runs a case from outreach through a human answer to completion', async () => {
  expect(app.config.agent).toBe('rules');
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 720 }) });
  const running = await probe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
  expect(running.attemptCount).toBe(1);

  await probe.reply(running.id, 'Which of your companies should be on the form?', app.apiKey);
  const asked = await probe.until(running.id, 'the question', (c) => c.status === 'INPUT_NEEDED');
  expect(asked.inputRequest).toMatchObject({ status: 'PENDING', question: expect.stringContaining('companies') });

  await app.client.ok(SubmitInputDocument, {
    input: { caseId: running.id, inputRequestId: asked.inputRequestId!, providedContext: 'Acme LLC' },
  });
  const relayed = await probe.until(running.id, 'the answer relayed', (c) => c.attemptCount === 2);
  expect(relayed.status).toBe('RUNNING');
  expect(relayed.messages.at(-1)?.text).toContain('Acme LLC');

  await probe.reply(running.id, 'Here is the signed W-9 for Acme LLC.', app.apiKey);
  const done = await probe.until(running.id, 'completion', (c) => c.status === 'COMPLETED');
  expect(done).toMatchObject({
    resultStatus: 'goal_achieved',
    result: { summary: 'Here is the signed W-9 for Acme LLC.' },
  });
  expect(timelineTypes(done)).toEqual([
    'case.created',
    'outreach.sent',
    'reply.received',
    'case.input_needed',
    'input.provided',
    'reply.requested',
    'reply.sent',
    'reply.received',
    'case.completed',
  ]);
});
