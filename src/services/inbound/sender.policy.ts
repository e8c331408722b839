// Who may drive a case by mail: its counterparty, and nobody else. A case's address is in the From of every mail
// we send, so knowing it proves nothing; the sender must be the counterparty's address exactly (compared
// case-insensitively, with no folding of look-alike characters: a homoglyph is a different address), in the From
// header and, where there is an envelope (SMTP), in MAIL FROM too; and a DMARC failure for a domain that asks for
// reject or quarantine overrides both. Mail that fails is kept on the case, marked unverified, and never evaluated.
import type { InboundMail } from '../../mail/mail.types';
import type { SenderCheck } from '../../persistence/entities/message.entity';

export interface SenderVerdict {
  verified: boolean;
  check: SenderCheck;
}

export function checkSender(counterpartyAddress: string, mail: InboundMail): SenderVerdict {
  const expected = counterpartyAddress.trim().toLowerCase();
  const from = mail.from.address.trim().toLowerCase();
  const auth = mail.auth;
  const check: SenderCheck = {
    ...(auth ? { spf: auth.spf, dkim: auth.dkim, dmarc: auth.dmarc } : {}),
    ...(auth?.dmarcPolicy ? { dmarcPolicy: auth.dmarcPolicy } : {}),
    ...(mail.envelopeFrom !== undefined ? { envelopeFrom: mail.envelopeFrom || null } : {}),
  };
  const refuse = (refused: string): SenderVerdict => ({ verified: false, check: { ...check, refused } });
  if (!expected || from !== expected) return refuse('From is not the counterparty');
  if (mail.envelopeFrom !== undefined && mail.envelopeFrom.trim().toLowerCase() !== expected)
    return refuse('envelope sender (MAIL FROM) is not the counterparty');
  if (auth?.dmarcRejects) return refuse(`DMARC failed for a domain with p=${auth.dmarcPolicy ?? 'reject'}`);
  return { verified: true, check };
}
