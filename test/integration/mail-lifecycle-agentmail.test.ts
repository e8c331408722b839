// MAIL_TRANSPORT=agentmail end to end: sends and in-thread replies against an HTTP fake of the AgentMail API, events
// delivered to /webhooks/agentmail with real Svix signatures, the case driven by the rules agent. What every transport
// must do is pinned by transport-contract.test.ts; this file pins what only AgentMail does.
import { randomUUID } from 'node:crypto';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { newWebhookSecret, signAgentmailWebhook, type AgentmailFake } from '../fakes/agentmail-fake';
import { CaseProbe } from '../helpers/case.probe';
import { AGENTMAIL_INBOX as INBOX, startAgentmailApp, type AgentmailApp } from '../helpers/mail-apps';
import { caseInput, type TestApp } from '../helpers/offload';
import { VENDOR } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let agentmail: AgentmailApp;
let fake: AgentmailFake;
let app: TestApp;
let secret: string;
let probe: CaseProbe;

beforeAll(async () => {
  // No time scale: follow-ups stay days away.
  agentmail = await startAgentmailApp('mail-lifecycle-agentmail', { OFFLOAD_TIME_SCALE: '1' });
  ({ fake, app, secret } = agentmail);
  probe = new CaseProbe(app);
});
afterAll(async () => agentmail?.stop());

interface Sent {
  caseId: string;
  providerMessageId: string;
  threadId: string;
}

async function startCase(client = app.client, overrides: Record<string, unknown> = {}): Promise<Sent> {
  const { createCase } = await client.ok(CreateCaseDocument, { input: caseInput(overrides) });
  return waitFor(`outreach of ${createCase.id} through AgentMail`, async () => {
    const [row] = await app.offload.db.query(
      `SELECT m.provider_message_id, m.provider_thread_id FROM messages m JOIN cases c ON c.id = m.case_id
        WHERE m.case_id = $1 AND m.direction = 'outbound' AND m.status = 'sent' AND c.status = 'RUNNING'`,
      [createCase.id],
    );
    return (
      row && { caseId: createCase.id, providerMessageId: row.provider_message_id, threadId: row.provider_thread_id }
    );
  });
}

const replyRequests = (inboundId: string) =>
  fake.requests.filter((r) => r.path.endsWith(`/messages/${encodeURIComponent(inboundId)}/reply`));

describe('agentmail out', () => {
  it('sends the outreach through the inbox with the case label and records the provider ids', async () => {
    const sent = await startCase();
    const request = fake.requests.find((r) =>
      (r.body as { labels?: string[] })?.labels?.includes(`case:${sent.caseId}`),
    );
    expect(request).toMatchObject({ method: 'POST', path: `/v0/inboxes/${encodeURIComponent(INBOX)}/messages/send` });
    expect(request?.body).toMatchObject({ to: [`"Vera Vendor" <${VENDOR}>`], subject: expect.any(String) });
    expect(sent.providerMessageId).toMatch(/@agentmail\.fake>$/);
    expect(sent.threadId).toMatch(/^thread-/);
  });

  it('fails the case REJECTED when AgentMail refuses the message with 4xx', async () => {
    fake.failNext(422, { name: 'ValidationError', message: 'recipient address is invalid' });
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const failed = await probe.status(createCase.id, 'FAILED');
    expect(failed.resultStatus).toBe('REJECTED');
    expect(failed.failureReason).toContain('recipient address is invalid');
  });
});

describe('agentmail in', () => {
  it('answers a reply in its thread, and processes a redelivered event once', async () => {
    const sent = await startCase();
    const event = agentmail.replyEvent(sent, 'Thanks for your email.');
    const first = await agentmail.deliver(event);
    const again = await agentmail.deliver(event);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await probe.inboundCount(sent.caseId)).toBe(1);
    const [claims] = await app.offload.db.query(`SELECT count(*)::int AS n FROM provider_events WHERE event_id = $1`, [
      event.event_id,
    ]);
    expect(claims.n).toBe(1);

    const inboundId = event.message.message_id;
    await waitFor('a reply in the thread', () => replyRequests(inboundId).length > 0);
    await waitFor('the reply recorded as sent', async () => {
      const rows = await app.offload.db.query(
        `SELECT provider_thread_id FROM messages WHERE case_id = $1 AND purpose = 'reply' AND status = 'sent'`,
        [sent.caseId],
      );
      return rows[0]?.provider_thread_id === sent.threadId;
    });
    expect(replyRequests(inboundId)).toHaveLength(1);
    expect(replyRequests(inboundId)[0]?.body).toMatchObject({ labels: [`case:${sent.caseId}`] });
  });

  it('completes the case from a reply with an attachment kept at AgentMail and linked on demand', async () => {
    const sent = await startCase();
    const attachment = { attachment_id: 'att_w9', filename: 'w9.pdf', size: 1234, content_type: 'application/pdf' };
    const response = await agentmail.deliver(agentmail.replyEvent(sent, 'Here is the signed W-9.', {}, [attachment]));
    expect(response.status).toBe(200);
    const done = await probe.status(sent.caseId, 'COMPLETED');
    expect(done.attachments).toHaveLength(1);
    expect(done.attachments[0]).toMatchObject({ name: 'w9.pdf', size: 1234, type: 'application/pdf' });
    expect(done.attachments[0]!.download.url).toBe(`${fake.baseUrl.replace(/\/v0$/, '')}/files/att_w9`);
    const [row] = await app.offload.db.query(
      `SELECT content IS NULL AS no_content, provider_attachment_id FROM attachments WHERE case_id = $1`,
      [sent.caseId],
    );
    expect(row).toEqual({ no_content: true, provider_attachment_id: 'att_w9' });
  });

  it('matches a reply without thread id by In-Reply-To against our provider message id', async () => {
    const sent = await startCase();
    await agentmail.deliver(
      agentmail.replyEvent(sent, 'Here is the W-9.', { thread_id: 'thread-unknown', references: [] }),
    );
    await probe.status(sent.caseId, 'COMPLETED');
  });

  it("never attaches a forged In-Reply-To or case label to another tenant's case", async () => {
    const victim = await startCase();
    const mallory = 'mallory@evil.example';
    const other = await app.newAccount('BASE_PRO', 'other tenant');
    await startCase(other.client, { counterparty: { address: mallory, name: 'Mallory' } });
    const forged = agentmail.replyEvent(victim, 'Not interested, stop emailing.', {
      from: `Mallory <${mallory}>`,
      labels: ['received', `case:${victim.caseId}`],
    });
    expect((await agentmail.deliver(forged)).status).toBe(200);
    expect(await probe.inboundCount(victim.caseId)).toBe(0);
    expect((await probe.detail(victim.caseId)).status).toBe('RUNNING');
  });

  it.each([
    ['message.complained', 'complaint', { type: 'abuse', sub_type: 'spam' }, 'COMPLAINED', 'abuse/spam'],
    ['message.rejected', 'reject', { reason: 'recipient on suppression list' }, 'REJECTED', 'suppression list'],
  ])('maps %s (its %s object) to a failed case', async (eventType, key, fields, resultStatus, reason) => {
    const sent = await startCase();
    const ref = { inbox_id: INBOX, thread_id: sent.threadId, message_id: sent.providerMessageId };
    const payload = {
      type: 'event',
      event_type: eventType,
      event_id: `evt_${randomUUID()}`,
      [key]: { ...ref, ...fields },
    };
    expect((await agentmail.deliver(payload)).status).toBe(200);
    const failed = await probe.status(sent.caseId, 'FAILED');
    expect(failed.resultStatus).toBe(resultStatus);
    expect(failed.failureReason).toContain(reason);
  });

  it('records message.delivered on the message', async () => {
    const sent = await startCase();
    const ref = { inbox_id: INBOX, thread_id: sent.threadId, message_id: sent.providerMessageId };
    await agentmail.deliver({
      type: 'event',
      event_type: 'message.delivered',
      event_id: `evt_${randomUUID()}`,
      delivery: ref,
    });
    const [row] = await app.offload.db.query(`SELECT delivery_status FROM messages WHERE provider_message_id = $1`, [
      sent.providerMessageId,
    ]);
    expect(row.delivery_status).toBe('delivered');
  });

  it('refuses a tampered body, a forged signature and a stale timestamp with 401 and no effect', async () => {
    const sent = await startCase();
    const signed = signAgentmailWebhook(secret, agentmail.replyEvent(sent, 'Here is the W-9.'));
    const url = `${app.url}/webhooks/agentmail`;
    const tampered = await fetch(url, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body.replace('Here is the W-9.', 'Not interested.'),
    });
    const otherSecret = signAgentmailWebhook(newWebhookSecret(), agentmail.replyEvent(sent, 'Here is the W-9.'));
    const forged = await fetch(url, { method: 'POST', headers: otherSecret.headers, body: otherSecret.body });
    const stale = await agentmail.deliver(agentmail.replyEvent(sent, 'Here is the W-9.'), {
      timestamp: new Date(Date.now() - 10 * 60_000),
    });
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([tampered.status, forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401, 401]);
    expect(await probe.inboundCount(sent.caseId)).toBe(0);
    expect((await probe.detail(sent.caseId)).status).toBe('RUNNING');
  });
});
