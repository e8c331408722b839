// Twilio's error codes as the case sees them, the STOP/START keywords, and the SMS settings' validation.
import { ConfigError, loadConfig } from '../../../src/config/env.config';
import { twilioErrorVerdict } from '../../../src/mail/twilio-error.policy';
import { smsKeyword } from '../../../src/services/inbound/sms-keyword.policy';

describe('twilioErrorVerdict', () => {
  it.each([
    [30003, 'bounced', /^transient: Twilio error 30003/],
    [30005, 'bounced', /^Twilio error 30005: unknown destination handset/],
    [30006, 'bounced', /^Twilio error 30006/],
    [21211, 'bounced', /^Twilio error 21211/],
    [21614, 'bounced', /^Twilio error 21614/],
    [30007, 'rejected', /^Twilio error 30007: message filtered/],
    [30008, 'rejected', /^Twilio error 30008/],
    [12345, 'rejected', /^Twilio error 12345$/],
    [21610, 'opted_out', /^Twilio error 21610: recipient unsubscribed/],
  ])('%d is %s', (code, outcome, reason) => {
    const verdict = twilioErrorVerdict(code);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.reason).toMatch(reason);
  });

  it('keeps what Twilio said and copes without a code', () => {
    expect(twilioErrorVerdict(30007, 'Carrier says no').reason).toBe(
      'Twilio error 30007: message filtered by the carrier as spam: Carrier says no',
    );
    expect(twilioErrorVerdict(null)).toEqual({ outcome: 'rejected', reason: 'Twilio error (no code)' });
  });
});

describe('smsKeyword', () => {
  it.each(['STOP', 'stop', ' Stop\n', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit'])('%j is stop', (body) => {
    expect(smsKeyword(body)).toBe('stop');
  });
  it.each(['START', 'yes', 'Unstop'])('%j is start', (body) => expect(smsKeyword(body)).toBe('start'));
  it.each(['Stop it please', 'STOP!', 'not now', ''])('%j is no keyword', (body) =>
    expect(smsKeyword(body)).toBeNull(),
  );
});

describe('SMS configuration', () => {
  const message = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
      return '';
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
  };

  it('defaults to the local SMS transport and api.twilio.com', () => {
    const config = loadConfig({});
    expect(config.SMS_TRANSPORT).toBe('local');
    expect(config.TWILIO_BASE_URL).toBe('https://api.twilio.com');
  });

  it('names every missing Twilio variable when SMS_TRANSPORT=twilio', () => {
    const text = message({ SMS_TRANSPORT: 'twilio' });
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'PUBLIC_URL'])
      expect(text).toContain(`${name}: required when SMS_TRANSPORT=twilio`);
  });

  it('accepts an E.164 number or a Messaging Service SID as TWILIO_FROM, nothing else', () => {
    const base = {
      SMS_TRANSPORT: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      PUBLIC_URL: 'https://offload.example.com',
    };
    expect(loadConfig({ ...base, TWILIO_FROM: '+15005550006' }).TWILIO_FROM).toBe('+15005550006');
    expect(loadConfig({ ...base, TWILIO_FROM: `MG${'a'.repeat(32)}` }).TWILIO_FROM).toMatch(/^MG/);
    expect(message({ ...base, TWILIO_FROM: '5005550006' })).toMatch(/TWILIO_FROM: an E\.164 number/);
    expect(message({ ...base, TWILIO_ACCOUNT_SID: 'SK123', TWILIO_FROM: '+15005550006' })).toMatch(
      /TWILIO_ACCOUNT_SID: an Account SID/,
    );
  });
});
