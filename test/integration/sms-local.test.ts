// SMS_TRANSPORT=local (the default): texts are stored on the case and the counterparty answers through
// POST /webhooks/local from its number. The input-needed path of SPEC §4 over SMS, the local door's rules for texts
// (only the case's own number), and STOP through the same door.
import { CreateCaseDocument, SubmitInputDocument } from '../../schema/generated/graphql';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;
let probe: CaseProbe;

beforeAll(async () => {
  app = await startTestApp('sms-local', { env: { OFFLOAD_TIME_SCALE: '3600' } });
  probe = new CaseProbe(app);
});
afterAll(async () => app?.stop());

const smsCase = async (number: string) => {
  const input = caseInput({
    channel: 'SMS',
    counterparty: { address: number, name: 'Dana Driver' },
    followUpDelayHours: 720,
  });
  const { createCase } = await app.client.ok(CreateCaseDocument, { input });
  return probe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
};

async function text(caseId: string, from: string, body: string) {
  const res = await fetch(`${app.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
    body: JSON.stringify({ caseId, from, text: body }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: { outcome: string }; error?: { message: string } },
  };
}

it('asks its human, relays the answer in a text, and completes on the reply', async () => {
  const number = '+14155550301';
  const running = await smsCase(number);
  expect(running.messages[0]).toMatchObject({ direction: 'outbound', from: 'local', to: [number], subject: null });
  expect([...running.messages[0]!.text!].length).toBeLessThanOrEqual(320);

  expect((await text(running.id, number, 'Which of your companies should be on the form?')).status).toBe(202);
  const asked = await probe.until(running.id, 'the question', (c) => c.status === 'INPUT_NEEDED');
  await app.client.ok(SubmitInputDocument, {
    input: { caseId: running.id, inputRequestId: asked.inputRequestId!, providedContext: 'Acme LLC' },
  });
  const relayed = await probe.until(running.id, 'the answer relayed', (c) => c.attemptCount === 2);
  const answer = relayed.messages.at(-1)!;
  expect(answer).toMatchObject({ direction: 'outbound', subject: null });
  expect(answer.text).toContain('Acme LLC');
  expect([...answer.text!].length).toBeLessThanOrEqual(320);

  await text(running.id, number, 'Here is the signed W-9 for Acme LLC.');
  const done = await probe.status(running.id, 'COMPLETED');
  expect(done.resultStatus).toBe('goal_achieved');
  expect(timelineTypes(done)).toContain('case.input_needed');
});

it("takes texts for an SMS case only from the case's number", async () => {
  const running = await smsCase('+14155550302');
  const refused = await text(running.id, '+14155550399', 'Here is the signed W-9.');
  expect(refused.status).toBe(400);
  expect(refused.body.error?.message).toContain('from');
  expect((await probe.detail(running.id)).messages.filter((m) => m.direction === 'inbound')).toEqual([]);
});

it('ends the case opted_out on STOP and refuses a new case to the number', async () => {
  const number = '+14155550303';
  const running = await smsCase(number);
  const stopped = await text(running.id, number, 'STOP');
  expect(stopped).toMatchObject({ status: 202, body: { data: { outcome: 'opted_out' } } });
  const failed = await probe.status(running.id, 'FAILED');
  expect(failed.resultStatus).toBe('opted_out');
  const input = caseInput({ channel: 'SMS', counterparty: { address: number, name: 'Dana' } });
  expect(await app.client.errorCode(CreateCaseDocument, { input })).toBe('COUNTERPARTY_SUPPRESSED');
});
