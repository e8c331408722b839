// SPEC §11's webhook side: account endpoints that receive every case's events of the types they chose (case.created
// and case.running included) while a case's own clientWebhookUrl still gets the seed's three only, and
// redeliverWebhook, one new attempt with the same webhook-id and body. OFFLOAD_TIME_SCALE=100000 squeezes the
// 27.5 h retry schedule into about a second, so a delivery can be seen to fail for good.
import {
  CancelCaseDocument,
  CreateCaseDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  GetCaseWebhookDeliveriesDocument,
  GetWebhookEndpointsDocument,
  RedeliverWebhookDocument,
  RotateWebhookSecretDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver, type ReceivedWebhook } from '../fakes/webhook-receiver';
import { CaseProbe } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let secret: string;
let probe: CaseProbe;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  app = await startTestApp('webhook-endpoints', { env: { OFFLOAD_TIME_SCALE: '100000', WEBHOOK_TIMEOUT_MS: '500' } });
  secret = (await app.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
  probe = new CaseProbe(app);
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await app?.stop();
});
afterEach(async () => {
  // Each test's endpoints go with it, so the next test's cases reach only its own.
  const { webhookEndpoints } = await app.client.ok(GetWebhookEndpointsDocument, {});
  for (const e of webhookEndpoints) await app.client.ok(DeleteWebhookEndpointDocument, { id: e.id });
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start({ secret });
  receivers.push(r);
  return r;
}

const endpoint = async (url: string, eventTypes: string[]) =>
  (await app.client.ok(CreateWebhookEndpointDocument, { input: { url, eventTypes } })).createWebhookEndpoint;

async function createCase(overrides: Record<string, unknown> = {}): Promise<string> {
  const input = caseInput({ followUpDelayHours: 8760, ...overrides }) as never;
  return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
}

async function deliveries(id: string) {
  return (await app.client.ok(GetCaseWebhookDeliveriesDocument, { id })).case!.webhookDeliveries;
}

const eventType = (r: ReceivedWebhook) => (JSON.parse(r.rawBody) as { event_type: string }).event_type;

describe('account endpoints', () => {
  it('get case.created, case.running and case.failed as subscribed; the case URL gets only case.failed', async () => {
    const [all, completedOnly, caseUrl] = [await receiver(), await receiver(), await receiver()];
    const subscribed = await endpoint(all.url('/all'), ['case.created', 'case.running', 'case.failed']);
    expect(subscribed).toMatchObject({
      url: all.url('/all'),
      eventTypes: ['case.created', 'case.running', 'case.failed'],
    });
    const other = await endpoint(completedOnly.url('/done'), ['case.completed']);
    const { webhookEndpoints } = await app.client.ok(GetWebhookEndpointsDocument, {});
    expect(webhookEndpoints.map((e) => e.id).sort()).toEqual([subscribed.id, other.id].sort());

    const id = await createCase({ clientWebhookUrl: caseUrl.url('/case') });
    await probe.status(id, 'RUNNING');
    await waitFor('case.created and case.running at the endpoint', () => all.requests.length >= 2);
    await app.client.ok(CancelCaseDocument, { id, reason: 'done here' });
    // Deliveries run in parallel, as webhooks do: receivers order events by their data, not by arrival.
    const received = await all.waitForRequests(3, 20_000);
    expect(received.map(eventType).sort()).toEqual(['case.created', 'case.failed', 'case.running']);
    for (const r of received) expect(r.signatureError).toBeNull();
    const of = (type: string) => received.find((r) => eventType(r) === type)!;
    const created = JSON.parse(of('case.created').rawBody) as { data: Record<string, unknown> };
    expect(created.data).toMatchObject({ caseId: id, status: 'CREATED', channel: 'EMAIL', attemptCount: 0 });
    const running = JSON.parse(of('case.running').rawBody) as { data: Record<string, unknown> };
    expect(running.data).toMatchObject({ caseId: id, status: 'RUNNING', attemptCount: 1 });

    const [failedAtCaseUrl] = await caseUrl.waitForRequests(1, 20_000);
    expect(eventType(failedAtCaseUrl!)).toBe('case.failed');
    expect(failedAtCaseUrl!.headers['webhook-id']).toBe(of('case.failed').headers['webhook-id']);
    expect(failedAtCaseUrl!.rawBody).toBe(of('case.failed').rawBody);

    // Every delivery of the case is written with the transition that caused it: none went to the other endpoint,
    // and the case's URL had only the one.
    const rows = await deliveries(id);
    expect(rows.filter((d) => d.endpointId === other.id)).toEqual([]);
    expect(rows.filter((d) => d.endpointId === null).map((d) => d.eventType)).toEqual(['case.failed']);
    // case.created and case.running share their transaction (and its time) when the outreach goes at once.
    expect(
      rows
        .filter((d) => d.endpointId === subscribed.id)
        .map((d) => d.eventType)
        .sort(),
    ).toEqual(['case.created', 'case.failed', 'case.running']);
    expect(completedOnly.requests).toEqual([]);
    expect(caseUrl.requests).toHaveLength(1);
  });

  it('refuses unknown event types and bad URLs; a deleted endpoint gets nothing more', async () => {
    const r = await receiver();
    expect(
      await app.client.errorCode(CreateWebhookEndpointDocument, {
        input: { url: r.url(), eventTypes: ['case.exploded'] },
      }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await app.client.errorCode(CreateWebhookEndpointDocument, {
        input: { url: 'ftp://x', eventTypes: ['case.failed'] },
      }),
    ).toBe('BAD_USER_INPUT');
    expect(await app.client.errorCode(CreateWebhookEndpointDocument, { input: { url: r.url(), eventTypes: [] } })).toBe(
      'BAD_USER_INPUT',
    );

    const gone = await endpoint(r.url(), ['case.created', 'case.running']);
    expect(await app.client.ok(DeleteWebhookEndpointDocument, { id: gone.id })).toEqual({
      deleteWebhookEndpoint: true,
    });
    expect(await app.client.ok(DeleteWebhookEndpointDocument, { id: gone.id })).toEqual({
      deleteWebhookEndpoint: false,
    });
    const id = await createCase();
    await probe.status(id, 'RUNNING');
    expect(await deliveries(id)).toEqual([]);
    expect(r.requests).toEqual([]);
  });
});

describe('redeliverWebhook', () => {
  it('sends a delivered event once more with the same webhook-id and body', async () => {
    const r = await receiver();
    await endpoint(r.url(), ['case.created']);
    const id = await createCase();
    const [first] = await r.waitForRequests(1, 20_000);
    const delivery = await waitFor('the delivery to be DELIVERED', async () =>
      (await deliveries(id)).find((d) => d.status === 'DELIVERED'),
    );
    const redelivered = await app.client.ok(RedeliverWebhookDocument, { deliveryId: delivery.id });
    expect(redelivered.redeliverWebhook).toMatchObject({ id: delivery.id, status: 'PENDING', attemptCount: 1 });
    const [, second] = await r.waitForRequests(2, 20_000);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.rawBody).toBe(first!.rawBody);
    expect(second!.signatureError).toBeNull();
    const after = await waitFor('the redelivery recorded', async () =>
      (await deliveries(id)).find((d) => d.id === delivery.id && d.attemptCount === 2 && d.status === 'DELIVERED'),
    );
    expect(after.attempts.map((a) => a.ok)).toEqual([true, true]);
  });

  it('gives a delivery that failed for good exactly one more attempt, and refuses a pending or unknown one', async () => {
    const r = await receiver();
    r.respondWith(...Array.from({ length: 9 }, () => ({ status: 500 })));
    await endpoint(r.url(), ['case.created']);
    const id = await createCase();
    const failed = await waitFor(
      'the delivery to fail for good',
      async () => (await deliveries(id)).find((d) => d.status === 'FAILED'),
      30_000,
    );
    expect(failed.attemptCount).toBe(8);

    await app.client.ok(RedeliverWebhookDocument, { deliveryId: failed.id });
    // While it is pending, a second redelivery is refused: its attempt is already on the way.
    const again = await app.client.request(RedeliverWebhookDocument, { deliveryId: failed.id });
    const pendingRefused = again.errors?.[0]?.extensions?.code;
    const after = await waitFor('the ninth attempt recorded', async () =>
      (await deliveries(id)).find((d) => d.id === failed.id && d.attemptCount === 9),
    );
    // It failed again (500) and scheduled nothing: a redelivery is one attempt.
    expect(after).toMatchObject({ status: 'FAILED', nextAttemptAt: null });
    expect(after.attempts.at(-1)).toMatchObject({ attemptNumber: 9, ok: false, statusCode: 500 });
    expect(r.requests).toHaveLength(9);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
    // Either it was still pending (refused) or already done (a tenth attempt would then show): never two attempts.
    if (pendingRefused) expect(pendingRefused).toBe('BAD_USER_INPUT');

    expect(
      await app.client.errorCode(RedeliverWebhookDocument, { deliveryId: '00000000-0000-4000-8000-000000000000' }),
    ).toBe('WEBHOOK_DELIVERY_NOT_FOUND');
    expect(await app.client.errorCode(RedeliverWebhookDocument, { deliveryId: 'nope' })).toBe(
      'WEBHOOK_DELIVERY_NOT_FOUND',
    );
  });
});
