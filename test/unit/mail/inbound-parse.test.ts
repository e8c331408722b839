import { parseRawMail } from '../../../src/mail/inbound-mail.parser';

const OURS = 'case-0123456789abcdef0123456789abcdef@offload.test';
const mime = (...lines: string[]) => lines.join('\r\n');

describe('parseRawMail: ordinary mail', () => {
  it('collects envelope, To and Cc recipients in lower case, without duplicates', async () => {
    const raw = mime(
      'From: Bob <bob@vendor.example>',
      `To: ${OURS.toUpperCase()}`,
      'Cc: Acc <Acc@Vendor.example>, undisclosed-recipients:;',
      'Subject: Hi',
      '',
      'Hello',
    );
    const parsed = await parseRawMail(raw, { envelopeRecipients: [OURS] });
    expect(parsed.kind).toBe('mail');
    if (parsed.kind !== 'mail') return;
    expect(parsed.mail.recipients).toEqual([OURS, 'acc@vendor.example']);
  });

  it('reads threading headers into arrays of Message-IDs', async () => {
    const raw = mime(
      'From: bob@vendor.example',
      `To: ${OURS}`,
      'Message-ID: <r1@vendor.example>',
      'In-Reply-To: <o2@offload.test>',
      'References: <o1@offload.test>\r\n <o2@offload.test>',
      '',
      'ok',
    );
    const parsed = await parseRawMail(raw);
    if (parsed.kind !== 'mail') throw new Error(parsed.kind);
    expect(parsed.mail).toMatchObject({
      messageId: '<r1@vendor.example>',
      inReplyTo: '<o2@offload.test>',
      references: ['<o1@offload.test>', '<o2@offload.test>'],
      subject: null,
    });
  });

  it('treats a postmaster message without a status report as ordinary mail', async () => {
    const parsed = await parseRawMail(
      mime('From: postmaster@vendor.example', `To: ${OURS}`, 'Subject: Hello', '', 'Our office is closed.'),
    );
    expect(parsed.kind).toBe('mail');
  });
});

const report = (reportType: string, parts: string[][]) =>
  mime(
    'From: MAILER-DAEMON@mx.vendor.example',
    `To: ${OURS}`,
    'Subject: Delivery Status Notification',
    `Content-Type: multipart/report; report-type=${reportType}; boundary="B"`,
    '',
    ...parts.flatMap((p) => ['--B', ...p]),
    '--B--',
    '',
  );

const status = (action: string, code: string) => [
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.vendor.example',
  '',
  'Final-Recipient: rfc822; Bob@Vendor.example',
  `Action: ${action}`,
  `Status: ${code}`,
  '',
];

describe('parseRawMail: delivery reports', () => {
  it('reads a bounce whose original headers come as text/rfc822-headers', async () => {
    const raw = report('delivery-status', [
      ['Content-Type: text/plain', '', 'Delivery failed.'],
      status('failed', '5.2.2'),
      ['Content-Type: text/rfc822-headers', '', `From: ${OURS}`, 'Message-ID: <orig-7@offload.test>', ''],
    ]);
    await expect(parseRawMail(raw, { envelopeRecipients: [OURS] })).resolves.toMatchObject({
      multipart: true,
      kind: 'failure',
      failure: {
        kind: 'BOUNCED',
        reason: 'status 5.2.2',
        messageId: '<orig-7@offload.test>',
        recipients: ['bob@vendor.example', OURS],
      },
    });
  });

  it('ignores a delay warning: the mail may still arrive', async () => {
    const raw = report('delivery-status', [status('delayed', '4.4.7')]);
    await expect(parseRawMail(raw)).resolves.toMatchObject({ kind: 'ignored', reason: 'delivery delayed' });
  });

  it('ignores read receipts', async () => {
    const raw = report('disposition-notification', [
      [
        'Content-Type: message/disposition-notification',
        '',
        'Disposition: manual-action/MDN-sent-manually; displayed',
        '',
      ],
    ]);
    await expect(parseRawMail(raw)).resolves.toMatchObject({ kind: 'ignored' });
  });

  it('turns an ARF feedback report into a complaint', async () => {
    const raw = report('feedback-report', [
      ['Content-Type: text/plain', '', 'This is an abuse report.'],
      [
        'Content-Type: message/feedback-report',
        '',
        'Feedback-Type: abuse',
        'User-Agent: ISP-FBL/1.0',
        'Version: 1',
        '',
      ],
      ['Content-Type: message/rfc822', '', `From: ${OURS}`, 'Message-ID: <orig-9@offload.test>', '', 'body'],
    ]);
    await expect(parseRawMail(raw)).resolves.toMatchObject({
      kind: 'failure',
      failure: { kind: 'COMPLAINED', reason: 'abuse', messageId: '<orig-9@offload.test>' },
    });
  });

  it('recognises a report from MAILER-DAEMON even without the multipart/report type', async () => {
    const raw = mime(
      'From: Mail Delivery Subsystem <mailer-daemon@mx.vendor.example>',
      `To: ${OURS}`,
      'Content-Type: multipart/mixed; boundary="B"',
      '',
      '--B',
      ...status('failed', '5.1.1'),
      '--B--',
      '',
    );
    await expect(parseRawMail(raw)).resolves.toMatchObject({
      kind: 'failure',
      failure: { kind: 'BOUNCED', messageId: null },
    });
  });
});
