import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import { caseAddress } from '../../src/mail/case-address.mapper';
import type { DeliveryFailure, InboundMail, InboundSink, OutboundMail } from '../../src/mail/mail.types';
import { TerminalSendError } from '../../src/mail/mail.types';
import { createSmtpInbound, type SmtpInbound } from '../../src/mail/smtp-inbound.server';
import { createSmtpTransport } from '../../src/mail/smtp.transport';
import { smtpDialogue, startSmtpSink, type SmtpSink } from '../fakes/smtp-sink';

const DOMAIN = 'offload.test';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('smtp transport (outgoing)', () => {
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await startSmtpSink();
  });
  afterEach(() => sink.close());

  const outbound = (over: Partial<OutboundMail> = {}): OutboundMail => {
    const caseId = randomUUID();
    return {
      caseId,
      from: { name: 'Ada from Acme', address: caseAddress(caseId, DOMAIN) },
      to: { name: 'Bob Vendor', address: 'bob@vendor.example' },
      subject: 'Invoice 42',
      text: 'Hello Bob,\nplease send invoice 42.\n',
      messageId: `<${randomUUID()}@${DOMAIN}>`,
      ...over,
    };
  };

  it('sends from the persona at the case address with our Message-ID and threading headers', async () => {
    const transport = createSmtpTransport({ smtpUrl: sink.url });
    const mail = outbound({
      inReplyTo: '<their-1@vendor.example>',
      references: ['<ours-0@offload.test>', '<their-1@vendor.example>'],
    });
    const result = await transport.send(mail);
    await transport.stop?.();

    expect(result.providerMessageId).toBe(mail.messageId);
    const [received] = sink.messages;
    expect(received?.envelope).toEqual({ from: mail.from.address, to: ['bob@vendor.example'] });
    const parsed = received!.parsed;
    expect(parsed.from?.value[0]).toEqual({ name: 'Ada from Acme', address: mail.from.address });
    expect(received!.raw.toString()).toContain(`From: Ada from Acme <${mail.from.address}>`);
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.inReplyTo).toBe('<their-1@vendor.example>');
    expect(parsed.references).toEqual(['<ours-0@offload.test>', '<their-1@vendor.example>']);
    expect(parsed.subject).toBe('Invoice 42');
    expect(parsed.text).toContain('please send invoice 42.');
  });

  it('leaves out threading headers on a first message', async () => {
    const transport = createSmtpTransport({ smtpUrl: sink.url });
    await transport.send(outbound());
    await transport.stop?.();
    const parsed = sink.messages[0]!.parsed;
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.references).toBeUndefined();
  });

  it.each([
    ['rcpt', 550, '5.1.1 No such user'],
    ['data', 554, '5.7.1 Message rejected as spam'],
  ] as const)('maps a %s %i refusal to TerminalSendError with the server text', async (stage, code, text) => {
    const transport = createSmtpTransport({ smtpUrl: sink.url });
    sink.refuseNext(stage, code, text);
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    await transport.stop?.();
    expect(error).toBeInstanceOf(TerminalSendError);
    expect((error as Error).message).toContain(text);
  });

  it.each([
    ['rcpt', 450, '4.2.0 Mailbox busy'],
    ['data', 451, '4.3.0 Try again later'],
  ] as const)('maps a %s %i answer to a retryable Error', async (stage, code, text) => {
    const transport = createSmtpTransport({ smtpUrl: sink.url });
    sink.refuseNext(stage, code, text);
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    await transport.stop?.();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TerminalSendError);
    expect((error as Error).message).toContain(String(code));
  });

  it('maps an unreachable relay to a retryable Error', async () => {
    const url = sink.url;
    await sink.close();
    const transport = createSmtpTransport({ smtpUrl: url, timeoutMs: 2_000 });
    const error = await transport.send(outbound()).catch((e: unknown) => e);
    await transport.stop?.();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TerminalSendError);
    sink = await startSmtpSink(); // afterEach closes it
  });
});

class RecordingSink implements InboundSink {
  readonly received: InboundMail[] = [];
  readonly failures: DeliveryFailure[] = [];
  readonly known = new Set<string>();
  failReceive = false;
  async isKnownRecipient(address: string) {
    return this.known.has(address);
  }
  async receive(mail: InboundMail) {
    if (this.failReceive) throw new Error('database is down');
    this.received.push(mail);
  }
  async deliveryFailed(failure: DeliveryFailure) {
    this.failures.push(failure);
  }
}

describe('smtp inbound (listener)', () => {
  const MAX_BYTES = 64 * 1024;
  const caseId = randomUUID();
  const ours = caseAddress(caseId, DOMAIN);
  let inbound: SmtpInbound;
  let sink: RecordingSink;
  let client: Transporter;

  beforeEach(async () => {
    sink = new RecordingSink();
    sink.known.add(ours);
    inbound = createSmtpInbound({ port: 0, host: '127.0.0.1', maxBytes: MAX_BYTES, domain: DOMAIN });
    await inbound.start(sink);
    const { port } = inbound.address();
    client = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  });
  afterEach(async () => {
    client.close();
    await inbound.stop();
  });

  it('hands a reply with its attachment to the sink, quoted history stripped', async () => {
    const pdf = randomBytes(5000);
    await client.sendMail({
      from: 'Bob Vendor <Bob@Vendor.example>',
      to: ours.toUpperCase(),
      cc: 'accounts@vendor.example',
      subject: 'Re: Invoice 42',
      messageId: '<reply-1@vendor.example>',
      inReplyTo: '<ours-1@offload.test>',
      references: ['<ours-0@offload.test>', '<ours-1@offload.test>'],
      text:
        'Attached is the invoice.\n\nBob\n\nOn Mon, 3 Mar 2025 at 10:00, Ada from Acme <' +
        ours +
        '> wrote:\n> Please send invoice 42.\n',
      attachments: [{ filename: 'invoice-42.pdf', content: pdf, contentType: 'application/pdf' }],
    });

    expect(sink.received).toHaveLength(1);
    const mail = sink.received[0]!;
    expect(mail.recipients).toEqual(expect.arrayContaining([ours, 'accounts@vendor.example']));
    expect(mail.recipients.every((r) => r === r.toLowerCase())).toBe(true);
    expect(mail.from).toEqual({ name: 'Bob Vendor', address: 'bob@vendor.example' });
    expect(mail.subject).toBe('Re: Invoice 42');
    expect(mail.messageId).toBe('<reply-1@vendor.example>');
    expect(mail.inReplyTo).toBe('<ours-1@offload.test>');
    expect(mail.references).toEqual(['<ours-0@offload.test>', '<ours-1@offload.test>']);
    expect(mail.text).toContain('Please send invoice 42.');
    expect(mail.newText).toContain('Attached is the invoice.');
    expect(mail.newText).not.toContain('Please send invoice 42.');
    expect(mail.newText).not.toContain('wrote:');
    expect(mail.attachments).toHaveLength(1);
    const [att] = mail.attachments;
    expect(att).toMatchObject({ name: 'invoice-42.pdf', contentType: 'application/pdf', size: pdf.length });
    expect(sha256(att!.content!)).toBe(sha256(pdf));
  });

  it('uses the text of an HTML-only reply', async () => {
    await client.sendMail({
      from: 'bob@vendor.example',
      to: ours,
      subject: 'Re',
      html: '<p>Yes, <b>approved</b>.</p>',
    });
    expect(sink.received[0]?.text).toContain('Yes, approved.');
    expect(sink.received[0]?.newText).toContain('approved');
  });

  it('refuses an unknown case address and a foreign domain at RCPT', async () => {
    const stranger = caseAddress(randomUUID(), DOMAIN);
    const unknown = await client
      .sendMail({ from: 'bob@vendor.example', to: stranger, text: 'hi' })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ responseCode: 550, code: 'EENVELOPE' });
    const relay = await client
      .sendMail({ from: 'bob@vendor.example', to: 'someone@elsewhere.example', text: 'hi' })
      .catch((e: unknown) => e);
    expect(relay).toMatchObject({ responseCode: 550 });
    expect(sink.received).toHaveLength(0);
  });

  it('refuses a message over the size limit with 552', async () => {
    const error = await client
      .sendMail({
        from: 'bob@vendor.example',
        to: ours,
        text: 'big',
        attachments: [{ filename: 'big.bin', content: randomBytes(MAX_BYTES) }],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 552 });
    expect(sink.received).toHaveLength(0);
  });

  it('enforces the limit on the byte stream, and on a declared SIZE, whatever the client announces', async () => {
    const { port } = inbound.address();
    const body = `Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(Math.ceil(MAX_BYTES / 1000) + 1);
    const streamed = await smtpDialogue(port, [
      'EHLO client',
      'MAIL FROM:<bob@vendor.example>',
      `RCPT TO:<${ours}>`,
      'DATA',
      `${body}.`,
    ]);
    expect(streamed.at(-1)).toMatch(/^552 /);
    const declared = await smtpDialogue(port, ['EHLO client', `MAIL FROM:<bob@vendor.example> SIZE=${MAX_BYTES + 1}`]);
    expect(declared.at(-1)).toMatch(/^552 /);
    expect(sink.received).toHaveLength(0);
  });

  it('answers 451 when the sink cannot take the mail, so the sender retries', async () => {
    sink.failReceive = true;
    const error = await client
      .sendMail({ from: 'bob@vendor.example', to: ours, text: 'hello' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 451 });
    expect((error as { response: string }).response).not.toContain('database is down');
  });

  it('turns a DSN into deliveryFailed BOUNCED with the original Message-ID', async () => {
    await client.sendMail({ envelope: { from: '', to: [ours] }, raw: dsn(ours, '<orig-42@offload.test>') });
    expect(sink.received).toHaveLength(0);
    expect(sink.failures).toEqual([
      {
        kind: 'BOUNCED',
        reason: expect.stringContaining('User unknown'),
        messageId: '<orig-42@offload.test>',
        recipients: ['nobody@vendor.example', ours],
      },
    ]);
  });

  it('rejects unparseable mail with a 5xx and keeps serving', async () => {
    const error = await client
      .sendMail({ envelope: { from: 'x@vendor.example', to: [ours] }, raw: 'this is not\r\na mail at all\r\n' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 550 });
    expect((error as { response: string }).response).not.toMatch(/at \w+ \(/); // no stack trace
    await client.sendMail({ from: 'bob@vendor.example', to: ours, text: 'still here' });
    expect(sink.received).toHaveLength(1);
  });
});

function dsn(to: string, originalId: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.vendor.example>',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <dsn-1@mx.vendor.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered.',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.vendor.example',
    '',
    'Final-Recipient: rfc822; nobody@vendor.example',
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 <nobody@vendor.example>: Recipient address',
    '    rejected: User unknown',
    '',
    '--B',
    'Content-Type: message/rfc822',
    '',
    `From: Ada <${to}>`,
    'To: nobody@vendor.example',
    'Subject: Invoice 42',
    `Message-ID: ${originalId}`,
    '',
    'Please send invoice 42.',
    '--B--',
    '',
  ].join('\r\n');
}
