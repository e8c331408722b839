// MAIL_RATE_PER_MINUTE: a MailTransport around the real one that spaces sends per sending domain across every
// worker, through the same shared limiter as model calls. A send over the rate waits for its slot; none is dropped.
// Everything but send (start, stop, a provider's own methods) is the real transport's.
import type { MailTransport, OutboundMail, SendResult } from '../../mail/mail.types';
import type { SharedLimiter } from './shared-limiter.service';

/** The limiter key of a sending address's domain. */
export function mailKey(from: string): string {
  return `mail:${(from.split('@').pop() ?? from).toLowerCase()}`;
}

export function withMailRate(
  transport: MailTransport,
  limiter: SharedLimiter,
  perMinute: number,
  signal?: AbortSignal,
): MailTransport {
  const request = { perMinute, tokensPerMinute: null, tokens: 0, probeEveryMs: 0 };
  const send = async (mail: OutboundMail): Promise<SendResult> => {
    await limiter.take(mailKey(mail.from.address), request, signal);
    return transport.send(mail);
  };
  return new Proxy(transport, {
    get(target, property, receiver) {
      if (property === 'send') return send;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
