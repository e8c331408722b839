import { toAgentmailEvent } from '../../../src/mail/agentmail-event.schema';

const INBOX = 'cases@offload.test';
const ref = {
  inbox_id: INBOX,
  thread_id: 'thread-1',
  message_id: '<m1@agentmail.fake>',
  timestamp: '2025-03-03T10:00:00.000Z',
};
const event = (event_type: string, body: object) => ({ type: 'event', event_type, event_id: 'evt_1', ...body });

const message = {
  ...ref,
  message_id: '<reply-1@vendor.example>',
  labels: ['received', 'case:8f6f0f5e-1111-2222-3333-444455556666'],
  from: 'Bob Vendor <Bob@Vendor.example>',
  to: [`Acme Cases <${INBOX}>`],
  cc: ['accounts@vendor.example'],
  subject: 'Re: Invoice 42',
  text: 'Attached.\n\nOn Mon, Ada wrote:\n> Please send invoice 42.',
  extracted_text: 'Attached.',
  attachments: [
    {
      attachment_id: 'att_1',
      filename: 'invoice.pdf',
      size: 1234,
      content_type: 'application/pdf',
      content_disposition: 'attachment',
    },
  ],
  in_reply_to: '<m0@agentmail.fake>',
  references: ['<m0@agentmail.fake>'],
  size: 4000,
  updated_at: ref.timestamp,
  created_at: ref.timestamp,
};

describe('toAgentmailEvent', () => {
  it('maps message.received to an InboundMail with attachment metadata and no content', async () => {
    const mapped = await toAgentmailEvent(event('message.received', { message, thread: {} }));
    expect(mapped).toEqual({
      kind: 'received',
      eventId: 'evt_1',
      labels: message.labels,
      bodyMissing: false,
      mail: {
        recipients: [INBOX, 'accounts@vendor.example'],
        from: { name: 'Bob Vendor', address: 'bob@vendor.example' },
        subject: 'Re: Invoice 42',
        text: message.text,
        newText: 'Attached.',
        messageId: '<reply-1@vendor.example>',
        inReplyTo: '<m0@agentmail.fake>',
        references: ['<m0@agentmail.fake>'],
        attachments: [
          { name: 'invoice.pdf', contentType: 'application/pdf', size: 1234, providerAttachmentId: 'att_1' },
        ],
        providerMessageId: '<reply-1@vendor.example>',
        providerThreadId: 'thread-1',
        inboxId: INBOX,
        receivedAt: new Date(ref.timestamp),
        quarantine: null,
        autoReply: null,
      },
    });
  });

  it.each(['spam', 'blocked', 'unauthenticated'])(
    'maps message.received.%s to a received mail carrying that label',
    async (label) => {
      const mapped = await toAgentmailEvent(event(`message.received.${label}`, { message, thread: {} }));
      expect(mapped).toMatchObject({ kind: 'received', mail: { quarantine: label, text: message.text } });
    },
  );

  it('marks a payload without text and html as missing its body (AgentMail omits both over 1 MB)', async () => {
    const bare = { ...message, text: undefined, html: undefined, extracted_text: undefined };
    await expect(toAgentmailEvent(event('message.received', { message: bare }))).resolves.toMatchObject({
      kind: 'received',
      bodyMissing: true,
    });
  });

  it('strips quotes itself when AgentMail sent no extracted_text, and reads HTML-only bodies', async () => {
    const withoutExtract = { ...message, extracted_text: undefined };
    const stripped = await toAgentmailEvent(event('message.received', { message: withoutExtract }));
    expect(stripped).toMatchObject({ mail: { newText: 'Attached.' } });
    const htmlOnly = { ...withoutExtract, text: undefined };
    const fromHtml = await toAgentmailEvent(
      event('message.received', { message: { ...htmlOnly, html: '<p>Deal, <b>120 EUR</b>.</p>' } }),
    );
    expect(fromHtml).toMatchObject({ mail: { text: 'Deal, 120 EUR.', newText: 'Deal, 120 EUR.' } });
  });

  it.each([
    [
      'message.bounced',
      {
        bounce: {
          ...ref,
          type: 'Permanent',
          sub_type: 'General',
          recipients: [{ address: 'Bob@Vendor.example', status: '5.1.1' }],
        },
      },
      { kind: 'BOUNCED', reason: 'Permanent/General', recipients: ['bob@vendor.example'] },
    ],
    [
      'message.complained',
      { complaint: { ...ref, type: 'abuse', sub_type: 'spam', recipients: ['bob@vendor.example'] } },
      { kind: 'COMPLAINED', reason: 'abuse/spam', recipients: ['bob@vendor.example'] },
    ],
    [
      'message.rejected',
      { reject: { ...ref, reason: 'recipient on suppression list' } },
      { kind: 'REJECTED', reason: 'recipient on suppression list' },
    ],
  ])('maps %s to a delivery failure', async (type, body, expected) => {
    await expect(toAgentmailEvent(event(type, body))).resolves.toEqual({
      kind: 'failure',
      eventId: 'evt_1',
      failure: { recipients: [], ...expected, providerMessageId: ref.message_id, eventId: 'evt_1' },
    });
  });

  it.each([
    ['message.delivered', 'delivery', 'delivered'],
    ['message.sent', 'send', 'sent'],
  ])('maps %s', async (type, key, kind) => {
    await expect(
      toAgentmailEvent(event(type, { [key]: { ...ref, recipients: ['bob@vendor.example'] } })),
    ).resolves.toEqual({
      kind,
      eventId: 'evt_1',
      providerMessageId: ref.message_id,
      providerThreadId: 'thread-1',
      inboxId: INBOX,
    });
  });

  it.each(['domain.verified', 'something.new'])('ignores %s', async (type) => {
    await expect(toAgentmailEvent(event(type, { message }))).resolves.toEqual({
      kind: 'ignored',
      eventId: 'evt_1',
      eventType: type,
    });
  });

  it.each([
    ['no event_id', { type: 'event', event_type: 'message.sent', send: ref }],
    ['a bounce without its object', event('message.bounced', {})],
    ['a message without a sender', event('message.received', { message: { ...message, from: undefined } })],
  ])('rejects %s', async (_label, payload) => {
    await expect(toAgentmailEvent(payload)).rejects.toThrow();
  });
});
