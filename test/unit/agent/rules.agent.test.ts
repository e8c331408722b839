import type { CaseContext, ComposeRequest } from '../../../src/agent/agent.types';
import { RulesAgent } from '../../../src/agent/rules.agent';
import type { Evaluation } from '../../../src/domain/evaluation.types';
import { at, inbound, INVOICE_SCHEMA, makeContext, outbound } from './context.fixture';

const agent = new RulesAgent();
const withReply = (text: string, overrides: Partial<CaseContext> = {}): CaseContext =>
  makeContext({ thread: [outbound('Could you send the March invoice number?', 0), inbound(text, 2)], ...overrides });

describe('rules agent: evaluate', () => {
  const table: Array<[string, CaseContext, Partial<Evaluation>]> = [
    ['refusal', withReply('We are not interested, thanks.'), { decision: 'FAILED_REJECTED' }],
    ['refusal is case-insensitive', withReply('Please UNSUBSCRIBE me.'), { decision: 'FAILED_REJECTED' }],
    [
      'refusal beats postponement',
      withReply('Stop emailing me, I will not reply later.'),
      { decision: 'FAILED_REJECTED' },
    ],
    [
      'out of office until a named day snoozes until that day',
      withReply('I am Out of Office until Monday.'),
      { decision: 'SNOOZE', reason: expect.stringContaining('names a date') },
    ],
    [
      'out of office without a date snoozes a day',
      withReply('I am on holiday.'),
      { decision: 'SNOOZE', snoozeHours: 24 },
    ],
    [
      'a question the knowledge answers gets a reply, not the human',
      withReply('When is the payment due?', {
        goal: {
          objective: 'Collect the March invoice number',
          knowledge: { paymentDeadline: 'We pay within 30 days.' },
        },
      }),
      { decision: 'REQUIRES_REPLY', replyBody: expect.stringContaining('We pay within 30 days.') },
    ],
    [
      'a promise with a weekday snoozes until then',
      withReply("I'll get that over to you by Friday."),
      { decision: 'SNOOZE', reason: expect.stringContaining('names a date') },
    ],
    [
      'a refusal pattern with a condition is not a refusal',
      withReply('We cannot send it until the contract is signed.'),
      { decision: 'REQUIRES_REPLY' },
    ],
    [
      'a document named like the request counts as the answer',
      makeContext({
        goal: { objective: 'Collect a signed W-9 form' },
        thread: [outbound('Could you send a signed W-9?', 0), inbound('', 2)],
        attachments: [
          {
            name: 'w9-signed.pdf',
            type: 'application/pdf',
            size: 1000,
            direction: 'inbound',
            at: new Date(Date.parse('2025-03-01T11:00:00Z')),
            extraction: null,
          },
        ],
      }),
      { decision: 'GOAL_ACHIEVED', reason: expect.stringContaining('named like what we asked for') },
    ],
    [
      'a PDF whose signature field is empty is sent back for signing when a signature was asked for',
      makeContext({
        goal: { objective: 'Collect a signed W-9 form' },
        thread: [outbound('Could you send a signed W-9?', 0), inbound('Here you go.', 2)],
        attachments: [
          {
            name: 'w9.pdf',
            type: 'application/pdf',
            size: 1000,
            direction: 'inbound',
            at: new Date(Date.parse('2025-03-01T11:00:00Z')),
            extraction: {
              status: 'ok',
              detectedType: 'application/pdf',
              pages: 1,
              text: 'Form W-9',
              truncated: false,
              fields: [],
              signatures: [{ name: 'signature', signed: false }],
            },
          },
        ],
      }),
      { decision: 'REQUIRES_REPLY', replyBody: expect.stringContaining('signature field appears to be empty') },
    ],
    [
      'a document that comes with a question leaves the question to be answered',
      makeContext({
        goal: { objective: 'Collect a signed W-9 form' },
        thread: [outbound('Could you send a signed W-9?', 0), inbound('Would Tuesday work for you?', 2)],
        attachments: [
          {
            name: 'w9.pdf',
            type: 'application/pdf',
            size: 10,
            direction: 'inbound',
            at: new Date(Date.parse('2025-03-01T11:00:00Z')),
            extraction: null,
          },
        ],
      }),
      { decision: 'INPUT_NEEDED', question: 'Would Tuesday work for you?' },
    ],
    [
      'a claimed attachment that did not arrive is asked for again',
      withReply('Please find the invoice attached.', { attachments: [] }),
      { decision: 'REQUIRES_REPLY', replyBody: expect.stringContaining('did not come through') },
    ],
    [
      'a count in prose fills an integer field',
      withReply('We will be 14 people.', {
        resultSchema: { type: 'object', properties: { headcount: { type: 'integer' } }, required: ['headcount'] },
      }),
      { decision: 'GOAL_ACHIEVED', result: { headcount: 14 } },
    ],
    [
      'an amount and an invoice code in prose fill the schema',
      withReply('It is invoice GW-2025-0318, total EUR 8.950,00.', { resultSchema: INVOICE_SCHEMA }),
      { decision: 'GOAL_ACHIEVED', result: { invoiceNumber: 'GW-2025-0318', amount: 8950 } },
    ],
    [
      'postponement beats completion words',
      withReply('Yes, I will get back to you next week.'),
      { decision: 'SNOOZE' },
    ],
    [
      'whole words only: "translater" is not "later"',
      withReply('Our translater says hi.'),
      { decision: 'REQUIRES_REPLY' },
    ],
    [
      'completion word without resultSchema: summary is the first line',
      withReply('\nHere is the number: INV-77.\nBest, Bob'),
      { decision: 'GOAL_ACHIEVED', result: { summary: 'Here is the number: INV-77.' } },
    ],
    [
      'result: json line without resultSchema',
      withReply('result: {"invoiceNumber": "INV-9"}'),
      { decision: 'GOAL_ACHIEVED', result: { invoiceNumber: 'INV-9' } },
    ],
    [
      'key: value lines coerced per schema type',
      withReply('Invoice number: INV-42\nAmount: 1,250.50\nPaid: yes', { resultSchema: INVOICE_SCHEMA }),
      { decision: 'GOAL_ACHIEVED', result: { invoiceNumber: 'INV-42', amount: 1250.5, paid: true } },
    ],
    [
      'multi-line result json with a schema',
      withReply('Sure.\nresult: {\n "invoiceNumber": "A1",\n "amount": 3\n}\nBob', { resultSchema: INVOICE_SCHEMA }),
      { decision: 'GOAL_ACHIEVED', result: { invoiceNumber: 'A1', amount: 3 } },
    ],
    [
      'a partial result asks the counterparty for the missing fields',
      withReply('Done! Invoice number: INV-42', { resultSchema: INVOICE_SCHEMA }),
      {
        decision: 'REQUIRES_REPLY',
        replyBody: expect.stringContaining('still need the following to complete this: amount'),
      },
    ],
    [
      'question sentences become the question',
      withReply('Thanks for writing. Which month do you mean? And for which entity?\nRegards'),
      { decision: 'INPUT_NEEDED', question: 'Which month do you mean? And for which entity?' },
    ],
    [
      'otherwise a polite restatement',
      withReply('Hmm, I see.'),
      { decision: 'REQUIRES_REPLY', replyBody: expect.stringContaining('Collect the March invoice number.') },
    ],
    ['no reply at all', makeContext(), { decision: 'INPUT_NEEDED', question: expect.stringContaining('no reply') }],
    [
      'human answer newer than the last reply is relayed',
      withReply('Which PO should I reference?', {
        goal: {
          objective: 'Collect the invoice',
          knowledge: { additionalHumanContext: { text: 'Use PO 5531.', at: at(5) } },
        },
      }),
      { decision: 'REQUIRES_REPLY', replyBody: expect.stringContaining('Use PO 5531.') },
    ],
    [
      'human answer older than the last reply is ignored',
      withReply('Which PO should I reference?', {
        goal: {
          objective: 'Collect the invoice',
          knowledge: { additionalHumanContext: { text: 'Use PO 5531.', at: at(1) } },
        },
      }),
      { decision: 'INPUT_NEEDED' },
    ],
    [
      'a plain-string answer already relayed in our mail is not relayed again',
      makeContext({
        goal: { objective: 'Collect the invoice', knowledge: { additionalHumanContext: 'Use PO 5531.' } },
        thread: [
          outbound('Could you send it?', 0),
          inbound('Which PO?', 1),
          outbound('Here is our answer: Use PO 5531.', 3),
          inbound('Which currency?', 4),
        ],
      }),
      { decision: 'INPUT_NEEDED', question: 'Which currency?' },
    ],
    [
      'a human answer that fills the missing result fields completes the case',
      withReply('Done! Invoice number: INV-42', {
        resultSchema: INVOICE_SCHEMA,
        goal: {
          objective: 'Collect the invoice',
          knowledge: { additionalHumanContext: { text: 'amount: 99', at: at(5) } },
        },
      }),
      { decision: 'GOAL_ACHIEVED', result: { invoiceNumber: 'INV-42', amount: 99 } },
    ],
  ];

  test.each(table)('%s', async (_name, context, expected) => {
    const evaluation = await agent.evaluate(context);
    expect(evaluation).toMatchObject(expected);
    expect(evaluation.reason).toMatch(/^Rule "/);
  });

  test('the latest inbound message is the one evaluated', async () => {
    const context = makeContext({
      thread: [
        outbound('Hi', 0),
        inbound('Not interested.', 1),
        outbound('Sorry to hear', 2),
        inbound('Actually, here is INV-1', 3),
      ],
    });
    expect((await agent.evaluate(context)).decision).toBe('GOAL_ACHIEVED');
  });

  test('an absence snoozes until the return day, not a fixed day', async () => {
    // The reply arrives Saturday 11:00 UTC; "until Monday" is Monday around noon wherever the machine's zone is.
    const evaluation = await agent.evaluate(withReply('I am Out of Office until Monday.'));
    expect(evaluation.snoozeHours).toBeGreaterThanOrEqual(36);
    expect(evaluation.snoozeHours).toBeLessThanOrEqual(62);
  });

  test('fields that do not belong to the decision are null', async () => {
    const evaluation = await agent.evaluate(withReply('I am out of office.'));
    expect(evaluation).toEqual({
      decision: 'SNOOZE',
      reason: 'Rule "away": the reply contains "out of office".',
      result: null,
      question: null,
      replyBody: null,
      snoozeHours: 24,
    });
  });
});

describe('rules agent: compose', () => {
  const request = (purpose: ComposeRequest['purpose'], extra: Partial<ComposeRequest> = {}): ComposeRequest => ({
    purpose,
    context: makeContext({ attemptCount: 2 }),
    ...extra,
  });

  test('outreach mentions objective and persona', async () => {
    const mail = await agent.compose(request('outreach', { context: makeContext({ thread: [] }) }));
    expect(mail.subject).toBe('Acme Corp: Collect the March invoice number');
    expect(mail.body).toContain('Hello Bob,');
    expect(mail.body).toContain('My name is Dana, Accounts Payable at Acme Corp.');
    expect(mail.body).toContain('Collect the March invoice number.');
    expect(mail.body).toMatch(/Best regards,\nDana\nAccounts Payable, Acme Corp$/);
  });

  test('follow-up carries its number and the thread subject', async () => {
    const mail = await agent.compose(request('follow_up'));
    expect(mail.subject).toBe('Re: Acme Corp: Collect the March invoice number');
    expect(mail.body).toContain('follow-up 2 of 3');
  });

  test('reply uses the replyBody', async () => {
    const mail = await agent.compose(request('reply', { replyBody: 'The PO is 5531.' }));
    expect(mail.body).toContain('\n\nThe PO is 5531.\n\n');
    expect(mail.subject.startsWith('Re: ')).toBe(true);
  });

  test('reply after input relays the human answer when no replyBody is given', async () => {
    const context = makeContext({ goal: { objective: 'x', knowledge: { additionalHumanContext: 'Use PO 5531.' } } });
    const mail = await agent.compose({ purpose: 'reply_after_input', context });
    expect(mail.body).toContain('Use PO 5531.');
  });
});
