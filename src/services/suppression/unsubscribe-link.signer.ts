// One-click unsubscribe links (RFC 8058) for every outbound mail. The token names the case and carries an HMAC over
// the account, the case and the recipient address, so it needs no API key and cannot be pointed at another case,
// another address or another account; it does not expire (an opt-out must keep working for as long as mail does).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ListUnsubscribe } from '../../mail/mail.types';
import { caseAddress } from '../../mail/case-address.mapper';

export interface UnsubscribeTarget {
  accountId: string;
  caseId: string;
  address: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class UnsubscribeLinks {
  constructor(
    private readonly secret: string,
    /** Read at minting time: with PORT=0 the address is known only once the server listens. */
    private readonly publicUrl: () => string,
    private readonly mailDomain: string,
  ) {}

  token(target: UnsubscribeTarget): string {
    return `${target.caseId}.${this.sign(target)}`;
  }

  /** The header values of one mail: the one-click https URL and a mailto to the case's own address. */
  forMail(target: UnsubscribeTarget): ListUnsubscribe {
    return {
      url: `${this.publicUrl()}/unsubscribe/${this.token(target)}`,
      mailto: `mailto:${caseAddress(target.caseId, this.mailDomain)}?subject=unsubscribe`,
    };
  }

  /** The case a token names, before it is checked (the check needs the case's account and address). */
  caseIdOf(token: string): string | null {
    const [caseId, sig, ...rest] = token.split('.');
    return caseId && sig && !rest.length && UUID.test(caseId) ? caseId : null;
  }

  /** True when `token` was minted here for exactly this account, case and address. */
  verify(token: string, target: UnsubscribeTarget): boolean {
    const expected = Buffer.from(this.token(target));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign({ accountId, caseId, address }: UnsubscribeTarget): string {
    return createHmac('sha256', this.secret)
      .update(`unsubscribe.${accountId}.${caseId}.${address.trim().toLowerCase()}`)
      .digest('base64url');
  }
}
