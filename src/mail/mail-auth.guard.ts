// SPF, DKIM and DMARC for mail the SMTP listener receives, through mailauth. The verdict is recorded on the message;
// a failing DMARC verdict for a domain that asks for reject or quarantine keeps the mail from driving its case. A
// missing record or a DNS error is no verdict: the sender rule (the counterparty's address) decides alone.
import { authenticate, type DNSResolver } from 'mailauth';
import type { MailAuthVerdict } from './mail.types';

export type { DNSResolver };

export interface MailAuthInput {
  raw: Buffer;
  /** The SMTP client's address, its HELO name and the MAIL FROM address ('' for the null sender). */
  ip: string;
  helo: string;
  sender: string;
  /** Our host name, for the Authentication-Results it would write. */
  mta: string;
}

export type MailAuthenticator = (input: MailAuthInput) => Promise<MailAuthVerdict | null>;

/** `resolver` defaults to the system's DNS; tests pass fixed records. */
export function createMailAuthenticator(resolver?: DNSResolver): MailAuthenticator {
  return async ({ raw, ip, helo, sender, mta }) => {
    const result = await authenticate(raw, {
      ip,
      helo,
      sender,
      mta,
      ...(resolver ? { resolver } : {}),
      // Nothing here shows logos; BIMI would only cost lookups.
      disableBimi: true,
      disableArc: true,
    });
    const spf = result.spf ? result.spf.status.result : 'none';
    const dkim = result.dkim.results.find((r) => r.status?.result === 'pass')
      ? 'pass'
      : (result.dkim.results[0]?.status?.result ?? 'none');
    const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
    const dmarcPolicy = result.dmarc && result.dmarc.policy ? result.dmarc.policy : null;
    const dmarcRejects = dmarc === 'fail' && (dmarcPolicy === 'reject' || dmarcPolicy === 'quarantine');
    return { spf, dkim, dmarc, dmarcPolicy, dmarcRejects };
  };
}
