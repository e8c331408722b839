// Webhook targets in our own network are refused with WEBHOOK_ALLOW_PRIVATE=false: literal addresses when the case
// is created (GraphQL and REST alike), hostnames that resolve privately when the delivery connects. The app runs as
// 'api' (no worker), so each delivery is made here, by the real service, with a resolver playing hostile DNS that
// points every name at the loopback receiver: a broken guard shows up as a connection it counted.
import {
  CancelCaseDocument,
  CreateCaseDocument,
  GetCaseWebhookDeliveriesDocument,
} from '../../schema/generated/graphql';
import { createLogger } from '../../src/observability/logger.factory';
import { WebhookDeliveryService } from '../../src/services/webhooks/webhook-delivery.service';
import type { HostResolver, ResolvedAddress } from '../../src/webhooks/safe-http.client';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  app = await startTestApp('webhooks-ssrf', { role: 'api', env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver?.close();
  await app?.stop();
});

describe('at creation', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://127.1.2.3:8080/hook',
    'http://10.0.0.1/hook',
    'http://172.16.5.4/hook',
    'http://192.168.1.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://[::1]/hook',
    'http://[fe80::1]/hook',
    'http://[fd00::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:169.254.169.254]/hook',
    'http://[64:ff9b::a9fe:a9fe]/hook',
    'http://localhost/hook',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://intranet/hook',
  ])('refuses %s with BAD_USER_INPUT on clientWebhookUrl, and INVALID_REQUEST over REST', async (url) => {
    const result = await app.client.request(CreateCaseDocument, { input: caseInput({ clientWebhookUrl: url }) });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const fields = result.errors?.[0]?.extensions?.fields as Array<{ path: string }>;
    expect(fields.map((f) => f.path)).toEqual(['clientWebhookUrl']);

    const res = await fetch(`${app.url}/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
      body: JSON.stringify(caseInput({ clientWebhookUrl: url })),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});

describe('at connect time', () => {
  const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
  const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });
  const table: Record<string, ResolvedAddress[]> = {
    'loopback.hooks.test': [v4('127.0.0.1')],
    'private.hooks.test': [v4('10.1.2.3')],
    'private172.hooks.test': [v4('172.20.0.9')],
    'private192.hooks.test': [v4('192.168.0.10')],
    'cgnat.hooks.test': [v4('100.100.100.100')],
    'metadata.hooks.test': [v4('169.254.169.254')],
    'zero.hooks.test': [v4('0.0.0.0')],
    'loopback6.hooks.test': [v6('::1')],
    'ula6.hooks.test': [v6('fd12:3456::1')],
    'linklocal6.hooks.test': [v6('fe80::abcd')],
    'mapped6.hooks.test': [v6('::ffff:10.0.0.1')],
    'mixed.hooks.test': [v4('93.184.215.14'), v4('127.0.0.1')],
    'mixed6.hooks.test': [v6('2606:4700:4700::1111'), v6('::1')],
  };
  // Whatever the name claims, the socket would reach the receiver: only the guard stands in between.
  const hostile: HostResolver = (hostname) => Promise.resolve(table[hostname] ?? []);

  function service(allowPrivate: boolean, resolver: HostResolver): WebhookDeliveryService {
    const { db, boss } = app.offload;
    const config = { ...app.config, WEBHOOK_ALLOW_PRIVATE: allowPrivate };
    return new WebhookDeliveryService(
      { db, boss, config, clock: () => new Date(), logger: createLogger('silent') },
      { resolver },
    );
  }

  async function pendingDelivery(host: string): Promise<{ caseId: string; deliveryId: string }> {
    const url = `http://${host}:${receiver.port}/hooks`;
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput({ clientWebhookUrl: url }) });
    await app.client.ok(CancelCaseDocument, { id: createCase.id });
    const [delivery] = (await app.client.ok(GetCaseWebhookDeliveriesDocument, { id: createCase.id })).case!
      .webhookDeliveries;
    return { caseId: createCase.id, deliveryId: delivery!.id };
  }

  it.each(Object.keys(table))('refuses %s and records the attempt as failed', async (host) => {
    const { caseId, deliveryId } = await pendingDelivery(host);
    await service(false, hostile).deliver(deliveryId);
    const [delivery] = (await app.client.ok(GetCaseWebhookDeliveriesDocument, { id: caseId })).case!.webhookDeliveries;
    expect(delivery!.attempts).toEqual([
      expect.objectContaining({ attemptNumber: 1, ok: false, statusCode: null, errorCode: 'FORBIDDEN_ADDRESS' }),
    ]);
    // A refused address can be fixed by DNS: the next attempt is scheduled, not abandoned.
    expect(delivery!.status).toBe('PENDING');
    expect(delivery!.nextAttemptAt).not.toBeNull();
    expect(receiver.connections).toBe(0);
  });

  it('delivers through the same path when private targets are allowed (the control)', async () => {
    const { caseId, deliveryId } = await pendingDelivery('loopback.hooks.test');
    await service(true, hostile).deliver(deliveryId);
    const [delivery] = (await app.client.ok(GetCaseWebhookDeliveriesDocument, { id: caseId })).case!.webhookDeliveries;
    expect(delivery!.status).toBe('DELIVERED');
    expect(receiver.requests).toHaveLength(1);
  });
});
