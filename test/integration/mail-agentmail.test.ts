import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { AgentmailApiError } from '../../src/mail/agentmail.client';
import { agentmailWebhookRouter } from '../../src/mail/agentmail.routes';
import { createAgentmailTransport, type AgentmailTransport } from '../../src/mail/agentmail.transport';
import {
  AgentmailWebhookError,
  parseAgentmailWebhook,
  type AgentmailEvent,
} from '../../src/mail/agentmail-webhook.guard';
import { TerminalSendError, type OutboundMail } from '../../src/mail/mail.types';
import {
  newWebhookSecret,
  signAgentmailWebhook,
  startAgentmailFake,
  type AgentmailFake,
} from '../fakes/agentmail-fake';

const INBOX = 'cases@offload.test';

describe('agentmail transport', () => {
  let fake: AgentmailFake;
  let transport: AgentmailTransport;
  beforeEach(async () => {
    fake = await startAgentmailFake();
    transport = createAgentmailTransport({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, inboxId: INBOX });
  });
  afterEach(() => fake.close());

  const outbound = (over: Partial<OutboundMail> = {}): OutboundMail => ({
    caseId: randomUUID(),
    from: { name: 'Ada from Acme', address: INBOX },
    to: { name: 'Bob Vendor', address: 'bob@vendor.example' },
    subject: 'Invoice 42',
    text: 'Please send invoice 42.',
    messageId: `<${randomUUID()}@offload.test>`,
    ...over,
  });

  it('sends the first message of a case to /messages/send with bearer, labels and an idempotency key', async () => {
    const mail = outbound();
    const result = await transport.send(mail);
    expect(result).toEqual({ providerMessageId: '<fake-1@agentmail.fake>', threadId: 'thread-1' });
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v0/inboxes/cases%40offload.test/messages/send' });
    expect(request?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(request?.headers['idempotency-key']).toMatch(/^[A-Za-z0-9._~-]+$/);
    expect(request?.body).toEqual({
      to: ['"Bob Vendor" <bob@vendor.example>'],
      subject: 'Invoice 42',
      text: 'Please send invoice 42.',
      labels: [`case:${mail.caseId}`],
      headers: { 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
    });
  });

  it('replies in thread when the mail answers a provider message', async () => {
    fake.addMessage(INBOX, '<their-1@vendor.example>', 'thread-77');
    const result = await transport.send(
      outbound({ replyToProviderMessageId: '<their-1@vendor.example>', text: 'Thanks!' }),
    );
    expect(result.threadId).toBe('thread-77');
    const request = fake.requests[0]!;
    expect(request.path).toBe(
      `/v0/inboxes/cases%40offload.test/messages/${encodeURIComponent('<their-1@vendor.example>')}/reply`,
    );
    expect(request.body).toMatchObject({ text: 'Thanks!', to: ['"Bob Vendor" <bob@vendor.example>'] });
    expect(request.body).not.toHaveProperty('subject');
  });

  it('sends from the inbox the mail names, when it names one', async () => {
    await transport.send(outbound({ inboxId: 'other@offload.test' }));
    expect(fake.requests[0]?.path).toBe('/v0/inboxes/other%40offload.test/messages/send');
  });

  it('a retried send reuses its key, so AgentMail answers with the first message', async () => {
    const mail = outbound();
    const first = await transport.send(mail);
    const second = await transport.send(mail);
    expect(second).toEqual(first);
    expect(fake.requests[0]?.headers['idempotency-key']).toBe(fake.requests[1]?.headers['idempotency-key']);
  });

  it.each([400, 403, 404, 409, 422])('maps %i to TerminalSendError', async (status) => {
    fake.failNext(status, { name: 'MessageRejectedError', message: 'recipient is on the suppression list' });
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalSendError);
    expect((error as Error).message).toContain(String(status));
  });

  it.each([401, 408, 429, 500, 503])('maps %i to a retryable Error', async (status) => {
    fake.failNext(status);
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TerminalSendError);
  });

  it('maps an unreachable API to a retryable Error', async () => {
    await fake.close();
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TerminalSendError);
    fake = await startAgentmailFake(); // afterEach closes it
  });

  it('mints attachment links, and reports a missing attachment as a 404', async () => {
    fake.addMessage(INBOX, '<their-1@vendor.example>', 'thread-1', [
      { attachment_id: 'att_1', filename: 'invoice.pdf', size: 1234, content_type: 'application/pdf' },
    ]);
    const link = await transport.getAttachmentLink(INBOX, '<their-1@vendor.example>', 'att_1');
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/att_1$/);
    expect(link.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const missing = await transport
      .getAttachmentLink(INBOX, '<their-1@vendor.example>', 'att_2')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AgentmailApiError);
    expect((missing as AgentmailApiError).status).toBe(404);
  });
});

const delivered = {
  type: 'event',
  event_type: 'message.delivered',
  event_id: 'evt_1',
  delivery: {
    inbox_id: INBOX,
    thread_id: 'thread-1',
    message_id: '<m1@x>',
    timestamp: '2025-01-01T00:00:00Z',
    recipients: ['bob@vendor.example'],
  },
};

describe('agentmail webhook verification', () => {
  const secret = newWebhookSecret();

  it('accepts a payload signed with the endpoint secret', async () => {
    const { body, headers } = signAgentmailWebhook(secret, delivered);
    await expect(parseAgentmailWebhook(Buffer.from(body), headers, secret)).resolves.toMatchObject({
      kind: 'delivered',
      eventId: 'evt_1',
      providerMessageId: '<m1@x>',
    });
  });

  it.each([
    [
      'a tampered body',
      () => {
        const signed = signAgentmailWebhook(secret, delivered);
        return { ...signed, body: signed.body.replace('evt_1', 'evt_2') };
      },
    ],
    ['another secret', () => signAgentmailWebhook(newWebhookSecret(), delivered)],
    [
      'a stale timestamp',
      () => signAgentmailWebhook(secret, delivered, { timestamp: new Date(Date.now() - 10 * 60_000) }),
    ],
    [
      'a future timestamp',
      () => signAgentmailWebhook(secret, delivered, { timestamp: new Date(Date.now() + 10 * 60_000) }),
    ],
    [
      'no signature header',
      () => {
        const { body, headers } = signAgentmailWebhook(secret, delivered);
        return { body, headers: { 'svix-id': headers['svix-id']!, 'svix-timestamp': headers['svix-timestamp']! } };
      },
    ],
  ])('refuses %s', async (_label, make) => {
    const { body, headers } = make();
    const error = await parseAgentmailWebhook(body, headers, secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentmailWebhookError);
    expect((error as AgentmailWebhookError).code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect((error as AgentmailWebhookError).httpStatus).toBe(401);
  });

  it('refuses a correctly signed payload of the wrong shape as invalid (400)', async () => {
    const { body, headers } = signAgentmailWebhook(secret, {
      type: 'event',
      event_type: 'message.received',
      event_id: 'evt_9',
    });
    const error = await parseAgentmailWebhook(body, headers, secret).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID', httpStatus: 400 });
  });
});

describe('agentmail webhook router', () => {
  const secret = newWebhookSecret();
  let server: Server;
  let url: string;
  let events: AgentmailEvent[];
  let failHandling: boolean;

  beforeAll(async () => {
    const app = express();
    app.use(
      '/webhooks/agentmail',
      agentmailWebhookRouter({
        secret,
        onEvent: async (event) => {
          if (failHandling) throw new Error('database is down');
          events.push(event);
        },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/agentmail`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    events = [];
    failHandling = false;
  });

  const post = (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers });

  it('answers 200 once the event was handled', async () => {
    const { body, headers } = signAgentmailWebhook(secret, delivered);
    const response = await post(body, headers);
    expect(response.status).toBe(200);
    expect(events).toEqual([expect.objectContaining({ kind: 'delivered', eventId: 'evt_1' })]);
  });

  it('answers 401 with a JSON error to a bad signature, without handling anything', async () => {
    const { body, headers } = signAgentmailWebhook(secret, delivered);
    const response = await post(body.replace('evt_1', 'evt_X'), headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      ok: false,
      error: { code: 'WEBHOOK_SIGNATURE_INVALID', message: expect.any(String) },
    });
    expect(events).toHaveLength(0);
  });

  it('refuses a delivery without fresh Svix headers before reading its body', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const missing = await post(big, { 'content-type': 'application/json' });
    expect(missing.status).toBe(401);
    const { body, headers } = signAgentmailWebhook(secret, delivered);
    const stale = { ...headers, 'svix-timestamp': String(Math.floor(Date.now() / 1000) - 3600) };
    const response = await post(body, stale);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(events).toHaveLength(0);
  });

  it('answers 400 to a signed payload that is not an event', async () => {
    const { body, headers } = signAgentmailWebhook(secret, { hello: 'world' });
    expect((await post(body, headers)).status).toBe(400);
    const notJson = signAgentmailWebhook(secret, 'not json');
    expect((await post(notJson.body, notJson.headers)).status).toBe(400);
  });

  it('answers 500 when handling fails, so AgentMail delivers again', async () => {
    failHandling = true;
    const { body, headers } = signAgentmailWebhook(secret, delivered);
    const response = await post(body, headers);
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain('database is down');
  });
});
