// At-least-once delivery: the same job payload delivered again (by pg-boss, a retry or a sweep) sends no second
// mail and makes no second transition.
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { QUEUES, type CaseJob } from '../../src/jobs/job.catalog';
import { TerminalSendError, type MailTransport } from '../../src/mail/mail.types';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';

let app: TestApp;
let probe: CaseProbe;

beforeAll(async () => {
  app = await startTestApp('worker-duplicates', { env: { OFFLOAD_TIME_SCALE: '3600' } });
  probe = new CaseProbe(app);
});
afterAll(async () => app?.stop());

/** Sends `job` `times` times: with the case's group (as Offload does) and once without, so copies run at once. */
async function deliverAgain(job: CaseJob, times = 2): Promise<void> {
  for (let i = 0; i < times; i++)
    await app.offload.boss.send(QUEUES.caseEvents.name, job, i === 0 ? {} : { group: { id: job.caseId } });
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

it('a duplicated CASE_CREATED and outreach send give one mail and one transition', async () => {
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 720 }) });
  const id = createCase.id;
  await deliverAgain({ type: 'CASE_CREATED', caseId: id, key: `${id}:created` });
  await deliverAgain({
    type: 'SEND_MESSAGE',
    caseId: id,
    key: `${id}:created:send:1`,
    seq: 1,
    purpose: 'outreach',
    replyBody: null,
  });
  await probe.until(id, 'the outreach', (c) => c.status === 'RUNNING');
  await waitFor('every copy to be handled', () => probe.settled(id));
  const after = await probe.detail(id);
  expect(count(timelineTypes(after), 'outreach.sent')).toBe(1);
  expect(after.attemptCount).toBe(1);
  const outbound = await probe.outbound(id);
  expect(outbound).toHaveLength(1);
  expect(outbound[0]).toMatchObject({ status: 'sent', send_attempts: 1 });
});

it('a duplicated REPLY_RECEIVED gives one evaluation, one reply and one timeline row per step', async () => {
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 720 }) });
  const id = createCase.id;
  await probe.until(id, 'the outreach', (c) => c.status === 'RUNNING');
  // No rule keyword: the rules agent answers with a restatement (REQUIRES_REPLY).
  const messageId = await probe.reply(id, 'I lost the original email', app.apiKey);
  await deliverAgain({ type: 'REPLY_RECEIVED', caseId: id, key: `${id}:reply:${messageId}`, messageId }, 3);
  await probe.until(id, 'our reply', (c) => c.attemptCount === 2);
  await waitFor('every copy to be handled', () => probe.settled(id));
  const types = timelineTypes(await probe.detail(id));
  expect(count(types, 'reply.received')).toBe(1);
  expect(count(types, 'reply.requested')).toBe(1);
  expect(count(types, 'reply.sent')).toBe(1);
  expect((await probe.outbound(id)).map((m) => [m.purpose, m.send_attempts])).toEqual([
    ['outreach', 1],
    ['reply', 1],
  ]);
});

describe('transport failures', () => {
  let flaky: TestApp;
  const seen: string[] = [];

  beforeAll(async () => {
    // Accepts every mail, but the first time it fails afterwards (a timeout after the server took the DATA).
    const transport: MailTransport = {
      name: 'smtp',
      send: async (mail) => {
        if (mail.to.address === 'nobody@example.com') throw new TerminalSendError('550 5.1.1 no such user');
        seen.push(mail.messageId);
        if (seen.length === 1) throw new Error('timeout after the mail was accepted');
        return { providerMessageId: mail.messageId };
      },
    };
    flaky = await startTestApp('worker-duplicates-flaky', { env: { OFFLOAD_TIME_SCALE: '3600' }, transport });
  });
  afterAll(async () => flaky?.stop());

  it('is retried once and counted as a possible duplicate, never passed over silently', async () => {
    const flakyProbe = new CaseProbe(flaky);
    const { createCase } = await flaky.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 720 }) });
    const running = await flakyProbe.until(createCase.id, 'the outreach', (c) => c.status === 'RUNNING');
    expect(seen).toHaveLength(2);
    expect(new Set(seen).size).toBe(1); // the same Message-ID both times: receivers can drop the copy
    expect(count(timelineTypes(running), 'outreach.sent')).toBe(1);
    const outbound = await flakyProbe.outbound(createCase.id);
    expect(outbound).toEqual([expect.objectContaining({ status: 'sent', send_attempts: 2 })]);
  });

  it('fails the case with REJECTED on a terminal provider error, sending nothing more', async () => {
    const flakyProbe = new CaseProbe(flaky);
    const input = caseInput({ counterparty: { address: 'nobody@example.com', name: 'Nobody' } });
    const { createCase } = await flaky.client.ok(CreateCaseDocument, { input });
    const failed = await flakyProbe.until(createCase.id, 'the rejection', (c) => c.status === 'FAILED');
    expect(failed).toMatchObject({
      resultStatus: 'REJECTED',
      failureReason: '550 5.1.1 no such user',
      attemptCount: 0,
    });
    expect(timelineTypes(failed)).toEqual(['case.created', 'case.failed']);
    expect(await flakyProbe.outbound(createCase.id)).toEqual([
      expect.objectContaining({ status: 'failed', send_attempts: 1, delivery_status: 'rejected' }),
    ]);
  });
});
