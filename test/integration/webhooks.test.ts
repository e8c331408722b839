// Outbound webhooks end to end: the state machine's events become signed deliveries to a loopback receiver that
// verifies them with the `standardwebhooks` package, retried on failure with the same webhook-id, every attempt
// visible on the case. OFFLOAD_TIME_SCALE=1000 divides the retry schedule (5 s -> 5 ms) and Retry-After alike.
import { Webhook } from 'standardwebhooks';
import {
  CancelCaseDocument,
  CreateCaseDocument,
  GetCaseWebhookDeliveriesDocument,
  RotateWebhookSecretDocument,
  SubmitInputDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver, type ReceivedWebhook } from '../fakes/webhook-receiver';
import { CaseProbe } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, reply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let secret: string;
let receiver: WebhookReceiver;
let probe: CaseProbe;

beforeAll(async () => {
  app = await startTestApp('webhooks', { env: { OFFLOAD_TIME_SCALE: '1000', WEBHOOK_TIMEOUT_MS: '500' } });
  secret = (await app.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
  probe = new CaseProbe(app);
});
afterAll(async () => app?.stop());
beforeEach(async () => {
  receiver = await WebhookReceiver.start({ secret });
});
afterEach(async () => receiver.close());

async function createCase(overrides: Record<string, unknown> = {}): Promise<string> {
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: caseInput({ clientWebhookUrl: receiver.url(), ...overrides }) as never,
  });
  return createCase.id;
}

async function cancel(id: string): Promise<void> {
  await app.client.ok(CancelCaseDocument, { id, reason: 'testing webhooks' });
}

async function deliveries(id: string) {
  const { case: c } = await app.client.ok(GetCaseWebhookDeliveriesDocument, { id });
  return c!.webhookDeliveries;
}

const body = (r: ReceivedWebhook) => JSON.parse(r.rawBody) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('events', () => {
  it('sends case.input_needed and case.completed with the reference envelope, signed per Standard Webhooks', async () => {
    const id = await createCase({ clientReferenceId: 'vendor-7', metadata: { vendorId: 'v7' } });
    await probe.status(id, 'RUNNING');
    await reply(app, id, 'Which tax year do you need the W-9 for?');
    const [asked] = await receiver.waitForRequests(1, 20_000);
    expect(asked!.signatureError).toBeNull();
    const question = body(asked!);
    expect(question).toEqual({
      event_id: expect.stringMatching(new RegExp(`^evt_${id}_case_input_needed_\\d+$`)),
      event_type: 'case.input_needed',
      timestamp: expect.any(Number),
      data: {
        caseId: id,
        status: 'INPUT_NEEDED',
        channel: 'EMAIL',
        attemptCount: 1,
        attachments: [],
        clientReferenceId: 'vendor-7',
        metadata: { vendorId: 'v7' },
        inputRequest: expect.stringContaining('Which tax year'),
        inputRequestId: expect.any(String),
        inputRequestStatus: 'PENDING',
        inputRequestedAt: expect.any(Number),
      },
    });
    expect(asked!.headers['webhook-id']).toBe(question.event_id);
    expect(asked!.headers['content-type']).toBe('application/json');

    await app.client.ok(SubmitInputDocument, {
      input: { caseId: id, inputRequestId: question.data.inputRequestId, providedContext: '2025' },
    });
    await waitFor('the answer to be relayed', async () => (await probe.status(id, 'RUNNING')).attemptCount === 2);
    await reply(app, id, 'Here is the document, attached.', { attachments: [pdf('%PDF')] });
    const [, done] = await receiver.waitForRequests(2, 20_000);
    expect(done!.signatureError).toBeNull();
    const completed = body(done!);
    expect(completed).toMatchObject({
      event_type: 'case.completed',
      data: {
        caseId: id,
        status: 'COMPLETED',
        attemptCount: 2,
        resultStatus: 'goal_achieved',
        result: expect.anything(),
        clientReferenceId: 'vendor-7',
        metadata: { vendorId: 'v7' },
      },
    });
    expect(completed.data.attachments).toEqual([
      {
        attachmentId: expect.any(String),
        name: 'w9.pdf',
        size: 4,
        type: 'application/pdf',
        messageId: expect.any(String),
        inboxId: null,
        receivedAt: expect.any(Number),
      },
    ]);
    const recorded = await waitFor('both deliveries recorded', async () => {
      const list = await deliveries(id);
      return list.length === 2 && list.every((d) => d.status === 'DELIVERED') ? list : undefined;
    });
    expect(recorded.map((d) => [d.eventType, d.attemptCount, d.attempts[0]?.statusCode])).toEqual([
      ['case.input_needed', 1, 200],
      ['case.completed', 1, 200],
    ]);
    expect(recorded[1]!.payload).toEqual(completed);
  });

  it('sends case.failed when a case is cancelled, and nothing for a case without a webhook URL', async () => {
    const silent = await createCase({ clientWebhookUrl: null });
    await cancel(silent);
    const id = await createCase();
    await cancel(id);
    const [failed] = await receiver.waitForRequests(1);
    expect(body(failed!)).toMatchObject({
      event_type: 'case.failed',
      data: { caseId: id, status: 'FAILED', resultStatus: 'cancelled', failureReason: 'testing webhooks' },
    });
    expect(await deliveries(silent)).toEqual([]);
    expect(receiver.requests.map((r) => body(r).data.caseId)).toEqual([id]);
  });
});

describe('retries', () => {
  it('retries a 500 with the same webhook-id and body, then records both attempts', async () => {
    receiver.respondWith({ status: 500, body: 'boom' });
    const id = await createCase();
    await cancel(id);
    const [first, second] = await receiver.waitForRequests(2, 10_000);
    expect(first!.headers['webhook-id']).toBe(second!.headers['webhook-id']);
    expect(first!.rawBody).toBe(second!.rawBody);
    expect([first!.signatureError, second!.signatureError]).toEqual([null, null]);
    const [delivery] = await waitFor('the retry to be recorded', async () => {
      const list = await deliveries(id);
      return list[0]?.status === 'DELIVERED' ? list : undefined;
    });
    expect(delivery!.attempts.map((a) => [a.attemptNumber, a.ok, a.statusCode, a.errorCode])).toEqual([
      [1, false, 500, 'HTTP_STATUS'],
      [2, true, 200, null],
    ]);
    expect(delivery!.attempts[0]!.responseSnippet).toBe('boom');
    expect(delivery!.eventId).toBe(first!.headers['webhook-id']);
  });

  it('honours Retry-After and signs each retry with the secret current at that attempt', async () => {
    // Retry-After 1500 s, divided by the time scale: 1.5 s, far above the schedule's jittered 5 ms.
    receiver.respondWith({ status: 503, retryAfter: '1500' });
    const id = await createCase();
    await cancel(id);
    const [first] = await receiver.waitForRequests(1);
    const rotated = (await app.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
    const [, second] = await receiver.waitForRequests(2, 10_000);
    expect(second!.receivedAt.getTime() - first!.receivedAt.getTime()).toBeGreaterThanOrEqual(1400);
    const headers = (r: ReceivedWebhook) =>
      Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
    expect(() => new Webhook(rotated).verify(second!.rawBody, headers(second!))).not.toThrow();
    expect(() => new Webhook(secret).verify(second!.rawBody, headers(second!))).toThrow();
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    const [delivery] = await deliveries(id);
    const attempt = delivery!.attempts[0]!;
    expect(Date.parse(attempt.nextAttemptAt!) - Date.parse(attempt.attemptedAt)).toBeGreaterThanOrEqual(1500);
    secret = rotated;
  });

  it('does not follow redirects and times out slow receivers, recording each attempt', async () => {
    const elsewhere = await WebhookReceiver.start();
    try {
      receiver.respondWith({ redirectTo: elsewhere.url() }, { delayMs: 2000 });
      const id = await createCase();
      await cancel(id);
      const [delivery] = await waitFor(
        'the third attempt',
        async () => {
          const list = await deliveries(id);
          return list[0]?.status === 'DELIVERED' ? list : undefined;
        },
        20_000,
      );
      expect(delivery!.attempts.map((a) => [a.statusCode, a.errorCode])).toEqual([
        [302, 'REDIRECT'],
        [null, 'TIMEOUT'],
        [200, null],
      ]);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });
});
