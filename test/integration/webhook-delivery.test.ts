// Real HTTP over loopback against a receiver that verifies signatures the way a customer would. Hostile targets are
// reached only through literal URLs or an injected resolver, and the socket layer is stubbed to throw while they are
// tried: a broken guard fails these tests instead of sending a packet anywhere.
import net from 'node:net';
import tls from 'node:tls';
import { isRetryableDelivery, nextAttemptDelayMs } from '../../src/webhooks/retry.policy';
import { closeWebhookAgents, type HostResolver, type ResolvedAddress } from '../../src/webhooks/safe-http.client';
import { deliverWebhook, WEBHOOK_USER_AGENT, type WebhookDeliveryRequest } from '../../src/webhooks/webhook.sender';
import { buildWebhookEnvelope } from '../../src/webhooks/webhook-payload.mapper';
import { generateWebhookSecret } from '../../src/webhooks/webhook.signer';
import { WebhookReceiver } from '../fakes/webhook-receiver';

const secret = generateWebhookSecret();
const envelope = buildWebhookEnvelope('case.completed', {
  caseId: '3f1c2a9e-6b7d-4e1a-9c55-0d2f8e7b6a41',
  status: 'COMPLETED',
  channel: 'EMAIL',
  attemptCount: 1,
  attachments: [],
  clientReferenceId: 'ref-1',
  metadata: null,
  result: { ok: true },
  resultStatus: 'goal_achieved',
  failureReason: null,
  inputRequest: null,
  updatedAt: new Date(1767225600123),
});
const body = JSON.stringify(envelope);

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });
const resolver: HostResolver = (hostname) => {
  const table: Record<string, ResolvedAddress[]> = {
    'hooks.offload.test': [v4('127.0.0.1')],
    'private.test': [v4('10.0.0.7')],
    'metadata.test': [v4('169.254.169.254')],
    'cgnat.test': [v4('100.64.1.1')],
    'mixed.test': [v4('93.184.215.14'), v4('10.0.0.5')],
    'mixed6.test': [v6('2606:4700:4700::1111'), v6('fd00::5')],
    'linklocal6.test': [v6('fe80::1')],
    'mapped.test': [v6('::ffff:169.254.169.254')],
    'nat64.test': [v6('64:ff9b::a00:1')],
  };
  const found = table[hostname];
  if (found) return Promise.resolve(found);
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
};

let receiver: WebhookReceiver;
beforeEach(async () => {
  receiver = await WebhookReceiver.start({ secret });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await receiver.close();
});
afterAll(() => closeWebhookAgents());

function deliver(overrides: Partial<WebhookDeliveryRequest> = {}) {
  return deliverWebhook({
    url: receiver.url(),
    secret,
    webhookId: envelope.event_id,
    body,
    timeoutMs: 2000,
    allowPrivate: true,
    resolver,
    ...overrides,
  });
}

describe('a delivery that arrives', () => {
  it('carries the exact body, JSON headers and a signature the receiver verifies', async () => {
    const result = await deliver();
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null, retryAfterMs: null, responseSnippet: 'ok' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [received] = await receiver.waitForRequests(1);
    expect(received?.method).toBe('POST');
    expect(received?.rawBody).toBe(body);
    expect(received?.signatureError).toBeNull();
    expect(received?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'webhook-id': envelope.event_id,
    });
  });

  it('reaches a hostname through the address it vetted, without a second lookup', async () => {
    // hooks.offload.test exists only in the injected resolver; a second, system lookup would fail.
    const result = await deliver({ url: receiver.url('/hooks', 'hooks.offload.test') });
    expect(result.ok).toBe(true);
    const [received] = await receiver.waitForRequests(1);
    expect(received?.headers.host).toBe(`hooks.offload.test:${receiver.port}`);
  });

  it('keeps the webhook-id across retries and signs each attempt afresh', async () => {
    receiver.respondWith({ status: 500 }, { status: 503 }, { status: 204 });
    const outcomes = [];
    for (let attempt = 1; ; attempt += 1) {
      const result = await deliver();
      outcomes.push(result.statusCode);
      if (!isRetryableDelivery(result) || nextAttemptDelayMs(attempt) === null) break;
    }
    expect(outcomes).toEqual([500, 503, 204]);
    const requests = await receiver.waitForRequests(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([envelope.event_id]));
    expect(requests.every((r) => r.signatureError === null)).toBe(true);
  });
});

describe('SSRF guard', () => {
  let connects: jest.SpyInstance[];
  beforeEach(() => {
    const refuse = (): never => {
      throw new Error('a connection was attempted');
    };
    connects = [
      jest.spyOn(net, 'connect').mockImplementation(refuse),
      jest.spyOn(tls, 'connect').mockImplementation(refuse),
    ];
  });

  it.each([
    ['http://10.0.0.1/hook'],
    ['http://127.0.0.1:9/hook'],
    ['http://169.254.169.254/latest/meta-data/'],
    ['http://100.64.0.1/'],
    ['http://0.0.0.0/'],
    ['http://[::1]/hook'],
    ['http://[fe80::1]/hook'],
    ['http://[fd00::1]/hook'],
    ['http://[::ffff:10.0.0.1]/hook'],
    ['https://[64:ff9b::a9fe:a9fe]/'],
    ['http://localhost/hook'],
    ['http://metadata.google.internal/computeMetadata/v1/'],
    ['http://private.test/hook'],
    ['https://metadata.test/'],
    ['http://cgnat.test/'],
    ['https://mixed.test/hook'], // one public and one private address
    ['https://mixed6.test/hook'],
    ['http://linklocal6.test/'],
    ['http://mapped.test/'],
    ['http://nat64.test/'],
  ])('refuses %s without connecting', async (url) => {
    const result = await deliver({ url, allowPrivate: false });
    expect(result).toMatchObject({ ok: false, statusCode: null, responseSnippet: null });
    expect(result.error?.code).toBe('FORBIDDEN_ADDRESS');
    for (const connect of connects) expect(connect).not.toHaveBeenCalled();
  });

  it('refuses loopback unless allowPrivate is set', async () => {
    jest.restoreAllMocks(); // this one may really connect, to 127.0.0.1 only
    for (const url of [receiver.url(), receiver.url('/hooks', 'hooks.offload.test')]) {
      expect((await deliver({ url, allowPrivate: false })).error?.code).toBe('FORBIDDEN_ADDRESS');
    }
    expect(receiver.connections).toBe(0);
    expect((await deliver({ allowPrivate: true })).ok).toBe(true);
    expect(receiver.connections).toBe(1);
  });
});

describe('a delivery that fails', () => {
  it('does not follow a redirect, even to an allowed address', async () => {
    receiver.respondWith({ status: 307, redirectTo: receiver.url('/elsewhere') });
    const result = await deliver();
    expect(result).toMatchObject({ ok: false, statusCode: 307, error: { code: 'REDIRECT' } });
    expect(result.error?.message).toContain('/elsewhere');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks']);
  });

  it('reports a timeout when the receiver is too slow', async () => {
    receiver.respondWith({ delayMs: 3000 });
    const result = await deliver({ timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, statusCode: null, error: { code: 'TIMEOUT' } });
    expect(result.durationMs).toBeLessThan(1500);
  });

  it('reports the status, a snippet and Retry-After in seconds', async () => {
    receiver.respondWith({ status: 429, retryAfter: '30', body: 'slow down' });
    const result = await deliver();
    expect(result).toMatchObject({
      ok: false,
      statusCode: 429,
      error: { code: 'HTTP_STATUS', message: 'receiver answered 429' },
      retryAfterMs: 30_000,
      responseSnippet: 'slow down',
    });
  });

  it('reads Retry-After as an HTTP date', async () => {
    receiver.respondWith({ status: 503, retryAfter: new Date(Date.now() + 120_000).toUTCString() });
    const result = await deliver();
    expect(result.retryAfterMs).toBeGreaterThan(100_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('keeps only a short snippet of a large response', async () => {
    receiver.respondWith({ status: 500, body: 'x'.repeat(1024 * 1024) });
    const result = await deliver();
    expect(result.statusCode).toBe(500);
    expect(result.responseSnippet).toHaveLength(1024);
  });

  it('reports a refused connection as a network error', async () => {
    const closed = await WebhookReceiver.start();
    const url = closed.url();
    await closed.close();
    const result = await deliver({ url });
    expect(result).toMatchObject({ ok: false, statusCode: null, error: { code: 'NETWORK' } });
    expect(result.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('reports an unresolvable host and an unusable secret without sending anything', async () => {
    const unresolvable = await deliver({ url: 'https://nowhere.test/hook', allowPrivate: false });
    expect(unresolvable.error?.code).toBe('DNS_FAILURE');
    const badSecret = await deliver({ secret: 'whsec_' });
    expect(badSecret.error?.code).toBe('SIGNING');
    expect(isRetryableDelivery(badSecret)).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('connection reuse', () => {
  // undici hands a kept-alive socket back to its pool one event-loop turn after the response ends (so that a FIN the
  // server sent with it is seen first); a delivery started sooner opens a second connection. The worker's database
  // writes between deliveries give it that turn; back-to-back calls here must wait for it.
  const handedBack = () => new Promise((resolve) => setImmediate(resolve));

  it('sends consecutive deliveries to one receiver over one connection', async () => {
    const first = await deliver({ resolver: undefined });
    await handedBack();
    const second = await deliver({ resolver: undefined });
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.connections).toBe(1);
  });

  it('still refuses what the guard refuses while a vetted connection is pooled', async () => {
    const url = receiver.url('/hooks', 'hooks.offload.test');
    expect((await deliver({ url })).ok).toBe(true);
    await handedBack();
    // Same resolver, same host: only the guard options differ, and a pool vetted under allowPrivate is not lent out.
    expect((await deliver({ url, allowPrivate: false })).error?.code).toBe('FORBIDDEN_ADDRESS');
    expect((await deliver({ url: 'http://private.test/hook', allowPrivate: false })).error?.code).toBe(
      'FORBIDDEN_ADDRESS',
    );
    expect((await deliver({ url: 'http://nowhere.test/hook' })).error?.code).toBe('DNS_FAILURE');
    await handedBack();
    expect((await deliver({ url })).ok).toBe(true);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.connections).toBe(1);
  });

  it('vets a fresh connection once a pooled one has served its time', async () => {
    const lookups = jest.fn(resolver);
    const url = receiver.url('/hooks', 'hooks.offload.test');
    expect((await deliver({ url, resolver: lookups })).ok).toBe(true);
    await handedBack();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    expect((await deliver({ url, resolver: lookups })).ok).toBe(true);
    expect(lookups).toHaveBeenCalledTimes(2);
    expect(receiver.connections).toBe(2);
  });

  it('opens a new connection when the receiver dropped the pooled one', async () => {
    expect((await deliver()).ok).toBe(true);
    await handedBack();
    receiver.respondWith({ dropConnection: true });
    const result = await deliver();
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(receiver.dropped).toBe(1);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.connections).toBe(2);
  });

  it('delivers to a receiver that restarted on the same port, whatever its pooled connection saw', async () => {
    expect((await deliver()).ok).toBe(true);
    const port = receiver.port;
    await receiver.close();
    receiver = await WebhookReceiver.start({ secret, port });
    const result = await deliver();
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(receiver.requests).toHaveLength(1);
  });
});
