// MAIL_TRANSPORT=smtp end to end on loopback: our outbound to a test relay, replies sent with a real SMTP client to our
// listener, the case driven by the rules agent through to COMPLETED or FAILED. What every transport must do (threaded
// follow-ups, a reply completing its case, attachments, bounces, duplicates) is pinned by transport-contract.test.ts;
// this file pins what only SMTP does.
import { createHash, randomBytes } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { caseAddress } from '../../src/mail/case-address.mapper';
import { smtpDialogue, type SmtpSink } from '../fakes/smtp-sink';
import { CaseProbe } from '../helpers/case.probe';
import { MAIL_DOMAIN as DOMAIN, startSmtpApp, type SmtpApp } from '../helpers/mail-apps';
import { caseInput, type TestApp } from '../helpers/offload';
import { VENDOR } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

const MAX_BYTES = 256 * 1024;
/** One hour of case time is one second here; cases that must not follow up meanwhile wait a year. */
const NO_FOLLOW_UP = { followUpDelayHours: 8760 };

let smtp: SmtpApp;
let sink: SmtpSink;
let app: TestApp;
let client: Transporter;
let probe: CaseProbe;

beforeAll(async () => {
  smtp = await startSmtpApp('mail-lifecycle-smtp', { INBOUND_SMTP_MAX_BYTES: String(MAX_BYTES) });
  ({ sink, app, client } = smtp);
  probe = new CaseProbe(app);
});
afterAll(async () => smtp?.stop());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function createCase(overrides: Record<string, unknown> = {}): Promise<string> {
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: caseInput({ ...NO_FOLLOW_UP, ...overrides }),
  });
  return createCase.id;
}

async function outboundIds(caseId: string): Promise<string[]> {
  const rows: Array<{ rfc_message_id: string }> = await app.offload.db.query(
    `SELECT rfc_message_id FROM messages WHERE case_id = $1 AND direction = 'outbound' AND status = 'sent'
      ORDER BY created_at`,
    [caseId],
  );
  return rows.map((r) => r.rfc_message_id);
}

describe('smtp out', () => {
  it('mails the outreach from the persona at the case address with the Message-ID it records', async () => {
    const id = await createCase();
    const [mail] = await waitFor('outreach in the relay', () => smtp.mailsOf(id).length === 1 && smtp.mailsOf(id));
    const address = caseAddress(id, DOMAIN);
    expect(mail!.envelope).toEqual({ from: address, to: [VENDOR] });
    expect(mail!.parsed.from?.value[0]).toEqual({ name: 'Sam Sender', address });
    expect(mail!.parsed.to).toMatchObject({ value: [{ name: 'Vera Vendor', address: VENDOR }] });
    expect(mail!.parsed.inReplyTo).toBeUndefined();
    const running = await probe.status(id, 'RUNNING');
    expect(running.attemptCount).toBe(1);
    expect(await outboundIds(id)).toEqual([mail!.parsed.messageId]);
  });

  it('fails the case REJECTED with the reason when the relay refuses the message with 5xx', async () => {
    sink.refuseNext('data', 554, '5.7.1 Message rejected as spam');
    const id = await createCase();
    const failed = await probe.status(id, 'FAILED');
    expect(failed.resultStatus).toBe('REJECTED');
    expect(failed.failureReason).toContain('5.7.1 Message rejected as spam');
    expect(smtp.mailsOf(id)).toHaveLength(0);
  });

  it('retries a 4xx refusal and sends the mail once the relay accepts it', async () => {
    sink.refuseNext('data', 451, '4.3.0 Try again later');
    const id = await createCase();
    const running = await probe.status(id, 'RUNNING');
    expect(running.attemptCount).toBe(1);
    expect(smtp.mailsOf(id)).toHaveLength(1);
    const [row] = await app.offload.db.query(
      `SELECT send_attempts FROM messages WHERE case_id = $1 AND direction = 'outbound'`,
      [id],
    );
    expect(row.send_attempts).toBe(2);
  }, 30_000);
});

describe('smtp in', () => {
  it('completes the case from a threaded reply with an attachment, downloadable byte for byte', async () => {
    const id = await createCase();
    const [outreach] = await waitFor('outreach', () => smtp.mailsOf(id).length === 1 && smtp.mailsOf(id));
    await probe.status(id, 'RUNNING');
    const pdf = randomBytes(40_000);
    const ourId = outreach!.parsed.messageId!;
    await client.sendMail({
      from: `Vera Vendor <${VENDOR}>`,
      to: caseAddress(id, DOMAIN),
      subject: `Re: ${outreach!.parsed.subject}`,
      inReplyTo: ourId,
      references: [ourId],
      // The quoted history holds a refusal: if it reached the agent, the case would fail instead.
      text: `Here is the signed W-9.\n\nOn Mon, 6 Jan 2025, Sam Sender <${caseAddress(id, DOMAIN)}> wrote:\n> We are not interested in excuses.\n> Please send the W-9.\n`,
      attachments: [{ filename: 'w9-signed.pdf', content: pdf, contentType: 'application/pdf' }],
    });

    const done = await probe.status(id, 'COMPLETED');
    expect(done.resultStatus).toBe('goal_achieved');
    const inbound = done.messages.find((m) => m.direction === 'inbound');
    expect(inbound?.from).toContain(VENDOR);
    const [stored] = await app.offload.db.query(
      `SELECT new_text, in_reply_to FROM messages WHERE case_id = $1 AND direction = 'inbound'`,
      [id],
    );
    expect(stored).toEqual({ new_text: 'Here is the signed W-9.', in_reply_to: ourId });

    expect(done.attachments).toHaveLength(1);
    const attachment = done.attachments[0]!;
    expect(attachment).toMatchObject({ name: 'w9-signed.pdf', size: pdf.length, type: 'application/pdf' });
    const [row] = await app.offload.db.query(`SELECT sha256 FROM attachments WHERE id = $1`, [attachment.id]);
    expect(row.sha256).toBe(sha256(pdf));
    const response = await fetch(attachment.download.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await response.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('refuses unknown recipients at RCPT and never relays for other domains', async () => {
    const listener = app.offload.mail.inboundAddress!()!;
    const unknown = caseAddress('00000000-0000-4000-8000-000000000000', DOMAIN);
    const replies = await smtpDialogue(listener.port, [
      'EHLO client.example',
      `MAIL FROM:<${VENDOR}>`,
      `RCPT TO:<${unknown}>`,
      'RCPT TO:<someone@elsewhere.example>',
    ]);
    expect(replies[3]).toMatch(/^550 5\.1\.1/);
    expect(replies[4]).toMatch(/^550 5\.7\.1/);
  });

  it('refuses a message over INBOUND_SMTP_MAX_BYTES and stores nothing', async () => {
    const id = await createCase();
    await probe.status(id, 'RUNNING');
    const send = client.sendMail({
      from: VENDOR,
      to: caseAddress(id, DOMAIN),
      subject: 'big',
      text: 'Here is everything.',
      attachments: [{ filename: 'big.bin', content: randomBytes(MAX_BYTES) }],
    });
    await expect(send).rejects.toMatchObject({ responseCode: 552 });
    const found = await probe.detail(id);
    expect(found.status).toBe('RUNNING');
    expect(found.messages.filter((m) => m.direction === 'inbound')).toHaveLength(0);
  });

  it('stores a redelivered reply once, even when it carries no Message-ID', async () => {
    const id = await createCase();
    await probe.status(id, 'RUNNING');
    const raw = [
      `From: ${VENDOR}`,
      `To: ${caseAddress(id, DOMAIN)}`,
      'Subject: no id',
      '',
      'Would Tuesday work for you?',
      '',
    ].join('\r\n');
    for (let i = 0; i < 2; i++)
      await client.sendMail({ envelope: { from: VENDOR, to: [caseAddress(id, DOMAIN)] }, raw });
    const waiting = await probe.status(id, 'INPUT_NEEDED');
    expect(waiting.messages.filter((m) => m.direction === 'inbound')).toHaveLength(1);
  });
});

describe('matching by threading headers', () => {
  const forwarded = (id: string, from: string, inReplyTo: string) =>
    app.offload.services.inbound.receive({
      // Not addressed to the case: e.g. relayed through a mailbox that rewrote the recipients.
      recipients: ['inbox@elsewhere.example'],
      from: { name: null, address: from },
      subject: 'Re: W-9',
      text: 'Here is the W-9.',
      newText: 'Here is the W-9.',
      messageId: `<${randomBytes(8).toString('hex')}@example.com>`,
      inReplyTo,
      references: [inReplyTo],
      attachments: [],
      receivedAt: new Date(),
    });

  it('finds the case by In-Reply-To against our Message-ID, but only for mail from its counterparty', async () => {
    const id = await createCase();
    await probe.status(id, 'RUNNING');
    const [ourId] = await outboundIds(id);
    await forwarded(id, 'intruder@example.org', ourId!);
    expect((await probe.detail(id)).messages.filter((m) => m.direction === 'inbound')).toHaveLength(0);
    await forwarded(id, VENDOR, ourId!);
    await probe.status(id, 'COMPLETED');
  });
});
