// AgentMail's edge cases, against the HTTP fake: a payload that arrives without its body (AgentMail leaves text and
// html out over 1 MB) is fetched whole before it is judged; replies AgentMail classes as spam, blocked or
// unauthenticated are stored and shown, and evaluated only when they come from the counterparty; an attachment
// AgentMail keeps is downloaded in the worker and read.
import { randomUUID } from 'node:crypto';
import { CreateCaseDocument, GetCaseDetailDocument } from '../../schema/generated/graphql';
import {
  newWebhookSecret,
  signAgentmailWebhook,
  startAgentmailFake,
  type AgentmailFake,
  type FakeAttachment,
} from '../fakes/agentmail-fake';
import { caseAddress } from '../../src/mail/case-address.mapper';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { formPdf } from '../helpers/pdf-samples';
import { waitFor } from '../helpers/wait';

const INBOX = 'cases@offload.test';
const VENDOR = 'vendor@example.com';

let fake: AgentmailFake;
let app: TestApp;
const secret = newWebhookSecret();

beforeAll(async () => {
  fake = await startAgentmailFake();
  app = await startTestApp('agentmail-edge-cases', {
    env: {
      MAIL_TRANSPORT: 'agentmail',
      AGENTMAIL_API_KEY: fake.apiKey,
      AGENTMAIL_BASE_URL: fake.baseUrl,
      AGENTMAIL_INBOX_ID: INBOX,
      AGENTMAIL_WEBHOOK_SECRET: secret,
      AGENT: 'rules',
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

interface Sent {
  caseId: string;
  providerMessageId: string;
  threadId: string;
}

async function startCase(): Promise<Sent> {
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: caseInput({ goal: { objective: 'Collect a signed IRS Form W-9 from the vendor' } }),
  });
  return waitFor(`outreach of ${createCase.id}`, async () => {
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

async function detail(id: string) {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id });
  if (!found) throw new Error(`case ${id} not found`);
  return found;
}

function message(
  sent: Sent,
  text: string | null,
  from = `Vera Vendor <${VENDOR}>`,
  attachments: FakeAttachment[] = [],
) {
  return {
    inbox_id: INBOX,
    thread_id: sent.threadId,
    message_id: `<${randomUUID()}@example.com>`,
    labels: ['received'],
    timestamp: new Date().toISOString(),
    from,
    to: [`Sam Sender <${INBOX}>`],
    subject: 'Re: W-9',
    text,
    in_reply_to: sent.providerMessageId,
    references: [sent.providerMessageId],
    attachments,
  };
}

function event(eventType: string, body: ReturnType<typeof message>) {
  return { type: 'event', event_type: eventType, event_id: `evt_${randomUUID()}`, message: body };
}

async function deliver(payload: object): Promise<number> {
  const { body, headers } = signAgentmailWebhook(secret, payload);
  return (await fetch(`${app.url}/webhooks/agentmail`, { method: 'POST', body, headers })).status;
}

const waitForStatus = (id: string, status: string) =>
  waitFor(`case ${id} ${status}`, async () => {
    const found = await detail(id);
    return found.status === status && found;
  });

it('fetches the whole message when the payload came without text and html, and judges that', async () => {
  const sent = await startCase();
  const full = message(sent, 'Sorry, we are not interested in working with you.');
  const { text: _dropped, ...withoutBody } = full;
  fake.addMessage(INBOX, full.message_id, sent.threadId, [], full);
  expect(await deliver(event('message.received', { ...withoutBody, text: null }))).toBe(200);
  const failed = await waitForStatus(sent.caseId, 'FAILED');
  expect(failed.resultStatus).toBe('failed_rejected');
  expect(failed.messages.find((m) => m.direction === 'inbound')?.text).toContain('not interested');
  expect(
    fake.requests.some(
      (r) => r.method === 'GET' && r.path.endsWith(`/messages/${encodeURIComponent(full.message_id)}`),
    ),
  ).toBe(true);
});

it('answers 5xx when the body cannot be fetched, so AgentMail delivers again', async () => {
  const sent = await startCase();
  const body = message(sent, null);
  fake.addMessage(INBOX, body.message_id, sent.threadId);
  expect(await deliver(event('message.received', body))).toBe(500);
  const [row] = await app.offload.db.query(`SELECT count(*)::int AS n FROM messages WHERE provider_message_id = $1`, [
    body.message_id,
  ]);
  expect(row.n).toBe(0);
});

it('a reply AgentMail calls spam, from the counterparty, is stored, shown as quarantined and evaluated', async () => {
  const sent = await startCase();
  const body = message(sent, 'Here is the signed W-9, all done.');
  fake.addMessage(INBOX, body.message_id, sent.threadId);
  expect(await deliver(event('message.received.spam', body))).toBe(200);
  const done = await waitForStatus(sent.caseId, 'COMPLETED');
  const note = done.timeline.find((e) => e.type === 'reply.quarantined');
  expect(note?.data).toMatchObject({ label: 'spam', from: VENDOR, evaluated: true });
  const [row] = await app.offload.db.query(`SELECT provider_label FROM messages WHERE provider_message_id = $1`, [
    body.message_id,
  ]);
  expect(row.provider_label).toBe('spam');
});

it('an unauthenticated mail from someone else is stored and shown, never evaluated', async () => {
  const sent = await startCase();
  // Addressed to the case's own address, the only way mail from someone else reaches a case at all.
  const body = {
    ...message(sent, 'Not interested. Stop emailing.', 'Mallory <mallory@elsewhere.test>'),
    to: [caseAddress(sent.caseId, app.config.MAIL_DOMAIN)],
  };
  fake.addMessage(INBOX, body.message_id, sent.threadId);
  expect(await deliver(event('message.received.unauthenticated', body))).toBe(200);
  const shown = await waitFor('quarantine note', async () => {
    const found = await detail(sent.caseId);
    return found.timeline.some((e) => e.type === 'reply.quarantined') && found;
  });
  expect(shown.timeline.find((e) => e.type === 'reply.quarantined')?.data).toMatchObject({
    label: 'unauthenticated',
    evaluated: false,
  });
  expect(shown.messages.some((m) => m.direction === 'inbound' && m.text?.includes('Stop emailing'))).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await detail(sent.caseId)).status).toBe('RUNNING');
});

it('a blocked reply from the counterparty is not lost', async () => {
  const sent = await startCase();
  const body = message(sent, 'We are not interested, thanks.', `VENDOR@EXAMPLE.COM`);
  fake.addMessage(INBOX, body.message_id, sent.threadId);
  expect(await deliver(event('message.received.blocked', body))).toBe(200);
  expect((await waitForStatus(sent.caseId, 'FAILED')).resultStatus).toBe('failed_rejected');
});

it('downloads an attachment AgentMail keeps and reads its PDF fields in the worker', async () => {
  const sent = await startCase();
  const pdf = await formPdf({ signed: true });
  const attachment = {
    attachment_id: `att_${randomUUID()}`,
    filename: 'W9_signed.pdf',
    size: pdf.length,
    content_type: 'application/pdf',
  };
  fake.addFile(attachment.attachment_id, pdf);
  const body = message(sent, 'Thanks.', `Vera Vendor <${VENDOR}>`, [attachment]);
  fake.addMessage(INBOX, body.message_id, sent.threadId, [attachment]);
  expect(await deliver(event('message.received', body))).toBe(200);
  await waitForStatus(sent.caseId, 'COMPLETED');
  const [row] = await app.offload.db.query(`SELECT extraction FROM attachments WHERE case_id = $1`, [sent.caseId]);
  expect(row.extraction).toMatchObject({ status: 'ok', signatures: [{ name: 'signature', signed: true }] });
});
