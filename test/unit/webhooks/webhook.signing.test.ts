import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, isValidWebhookSecret, signWebhook } from '../../../src/webhooks/webhook.signer';

describe('generateWebhookSecret', () => {
  it('returns whsec_ and the base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(isValidWebhookSecret(secret)).toBe(true);
  });
});

describe('isValidWebhookSecret', () => {
  it.each([
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['too short', `whsec_${Buffer.alloc(16).toString('base64')}`],
    ['not base64', 'whsec_not*base64*at*all*padding*wrong'],
    ['empty', 'whsec_'],
  ])('refuses %s', (_label, secret) => {
    expect(isValidWebhookSecret(secret)).toBe(false);
  });
});

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The example from the Standard Webhooks / Svix documentation.
    const headers = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('produces headers a receiver verifies, and only for the exact body and secret', () => {
    const secret = generateWebhookSecret();
    const body = '{"event_id":"evt_1","data":{}}';
    const headers = signWebhook(secret, 'evt_1', new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ event_id: 'evt_1', data: {} });
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow(/No matching signature/);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow(/No matching signature/);
  });

  it('signs at whole seconds, as the header carries them', () => {
    const headers = signWebhook(generateWebhookSecret(), 'evt_2', new Date(1700000000999), '{}');
    expect(headers['webhook-timestamp']).toBe('1700000000');
  });
});
