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
    ['out of office', withReply('I am Out of Office until Monday.'), { decision: 'SNOOZE', snoozeHours: 24 }],
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
      'completion words but the result misses schema fields',
      withReply('Done! Invoice number: INV-42', { resultSchema: INVOICE_SCHEMA }),
      { decision: 'INPUT_NEEDED', question: expect.stringContaining('missing: amount') },
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

  test('fields that do not belong to the decision are null', async () => {
    const evaluation = await agent.evaluate(withReply('I am out of office.'));
    expect(evaluation).toEqual({
      decision: 'SNOOZE',
      reason: 'Rule "postponement": the reply contains "out of office".',
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
