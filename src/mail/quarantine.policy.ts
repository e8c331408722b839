// A reply the provider held back (AgentMail: spam, blocked, unauthenticated) is stored and shown on the case
// either way. It is evaluated only when it comes from the case's counterparty address exactly (ignoring case):
// mail from anyone else in quarantine is the likeliest kind to be forged or unrelated, so it waits for a human.
// (Sender verification proper arrives with the hardening issue; this is the rule until then.)
import type { InboundMail } from './mail.types';

export function evaluatesQuarantined(mail: Pick<InboundMail, 'from' | 'quarantine'>, counterparty: string): boolean {
  if (!mail.quarantine) return true;
  return mail.from.address.trim().toLowerCase() === counterparty.trim().toLowerCase();
}
