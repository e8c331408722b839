// SPEC §13: every message of an SMS case is a text of at most 320 characters without subject or signature block,
// from the rules agent's templates, the model's prompt, and (whatever an agent returns) the size guard.
import type { Agent, ComposeRequest } from '../../../src/agent/agent.types';
import { composeSystemPrompt } from '../../../src/agent/prompts/compose-message.prompt';
import { RulesAgent } from '../../../src/agent/rules.agent';
import { fitSms, SMS_MAX_CHARS, smsSized } from '../../../src/agent/sms-length.policy';
import { makeContext } from './context.fixture';

const sms = (purpose: ComposeRequest['purpose'], objective = 'Collect the March invoice number'): ComposeRequest => ({
  purpose,
  context: makeContext({ channel: 'SMS', goal: { objective }, attemptCount: 1 }),
  replyBody: purpose.startsWith('reply') ? 'Thanks! Could you also send the PO number?' : null,
});

describe('rules agent over SMS', () => {
  it.each(['outreach', 'follow_up', 'reply', 'reply_after_input'] as const)(
    'writes a %s as a short text',
    async (p) => {
      const composed = await new RulesAgent().compose(sms(p));
      expect(composed.subject).toBe('');
      expect([...composed.body].length).toBeLessThanOrEqual(SMS_MAX_CHARS);
      expect(composed.body).not.toMatch(/Best regards|\n\n/);
    },
  );

  it('stays within the limit for a long objective', async () => {
    const composed = await new RulesAgent().compose(sms('outreach', 'Please confirm '.repeat(60)));
    expect([...composed.body].length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(composed.body.endsWith('…')).toBe(true);
  });

  it('keeps email unchanged', async () => {
    const composed = await new RulesAgent().compose({ ...sms('outreach'), context: makeContext() });
    expect(composed.subject).not.toBe('');
    expect(composed.body).toContain('Best regards');
  });
});

describe('the SMS prompt', () => {
  it('asks the model for a text of at most 320 characters, no signature block', () => {
    const prompt = composeSystemPrompt(sms('outreach'));
    expect(prompt).toContain('SMS');
    expect(prompt).toContain(`at most ${SMS_MAX_CHARS} characters`);
    expect(prompt).toMatch(/no signature/i);
    expect(composeSystemPrompt({ ...sms('outreach'), context: makeContext() })).not.toContain('SMS');
  });
});

describe('fitSms and smsSized', () => {
  it('leaves a short text alone and cuts a long one at a word boundary', () => {
    expect(fitSms('  Hi there  ')).toBe('Hi there');
    const long = 'word '.repeat(100);
    const cut = fitSms(long);
    expect([...cut].length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(cut).toMatch(/word…$/);
    // Characters, not UTF-16 units: emoji count once.
    expect([...fitSms('😀'.repeat(400))].length).toBe(SMS_MAX_CHARS);
  });

  it('holds any agent to the limit for SMS and passes email through', async () => {
    const verbose: Agent = {
      name: 'verbose',
      compose: () => Promise.resolve({ subject: 'A subject', body: 'x '.repeat(500) }),
      evaluate: () => Promise.reject(new Error('unused')),
    };
    const sized = smsSized(verbose);
    expect(sized.name).toBe('verbose');
    const text = await sized.compose(sms('outreach'));
    expect(text.subject).toBe('');
    expect([...text.body].length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    const mail = await sized.compose({ ...sms('outreach'), context: makeContext() });
    expect(mail).toEqual({ subject: 'A subject', body: 'x '.repeat(500) });
  });
});
