// Which case an arriving mail or delivery report belongs to. The recipient address names the case outright (every case
// mails from an address of its own). Everything else - In-Reply-To, References, AgentMail's thread id and our
// `case:<id>` label - can be forged or misdirected by whoever writes the mail, so it only ever selects a case whose
// counterparty is the sender: a forged In-Reply-To cannot attach mail to another tenant's case.
import { caseIdFromAddress } from '../../mail/case-address.mapper';
import type { DeliveryFailure, InboundMail } from '../../mail/mail.types';
import { findCase } from '../../persistence/cases.repository';
import type { CaseEntity, MessageEntity } from '../../persistence/entities';
import { caseIdsByThreading, findOutbound } from '../../persistence/messages.repository';
import type { Tx } from '../../persistence/transaction.types';

const CASE_LABEL = /^case:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
/** Enough to cover any honest thread; a References header listing thousands of ids is not one. */
const MAX_REFS = 50;

export class InboundMatcher {
  constructor(
    private readonly db: Tx,
    private readonly domain: string,
  ) {}

  async findCase(mail: InboundMail): Promise<CaseEntity | null> {
    const byRecipient = await this.caseByRecipient(mail.recipients);
    if (byRecipient) return byRecipient;
    const sender = mail.from.address.toLowerCase();
    if (!sender) return null;
    for (const caseId of await this.candidateCaseIds(mail)) {
      const row = await findCase(this.db, caseId);
      if (row && row.counterparty.address.toLowerCase() === sender) return row;
    }
    return null;
  }

  async caseByRecipient(recipients: string[]): Promise<CaseEntity | null> {
    for (const address of recipients) {
      const caseId = caseIdFromAddress(address, this.domain);
      if (!caseId) continue;
      const row = await findCase(this.db, caseId);
      if (row) return row;
    }
    return null;
  }

  /**
   * Our outbound message a delivery report is about. When the report reached a case address (an SMTP bounce goes to
   * our envelope sender), the message must belong to that case. A report must name the message (the returned
   * Message-ID, or the provider's id): one that names none proves nothing about any mail we sent.
   */
  async findOutbound(failure: DeliveryFailure): Promise<MessageEntity | null> {
    const caseIds = (failure.recipients ?? [])
      .map((a) => caseIdFromAddress(a, this.domain))
      .filter((id): id is string => id !== null);
    let found: MessageEntity | null = null;
    if (failure.messageId) found = await findOutbound(this.db, { rfcMessageId: failure.messageId });
    if (!found && failure.providerMessageId)
      found = await findOutbound(this.db, { providerMessageId: failure.providerMessageId });
    // A report that names no message of ours proves nothing about any mail we sent: no fallback to the latest one.
    if (!found) return null;
    return caseIds.length === 0 || caseIds.includes(found.caseId) ? found : null;
  }

  /** Cases the threading data points at, the one In-Reply-To names first. */
  private async candidateCaseIds(mail: InboundMail): Promise<string[]> {
    const refs = withAndWithoutBrackets([mail.inReplyTo, ...mail.references].slice(0, MAX_REFS));
    const threads = mail.providerThreadId ? [mail.providerThreadId] : [];
    const inReplyTo = withAndWithoutBrackets([mail.inReplyTo]);
    const ids: string[] = [];
    if (refs.length || threads.length) ids.push(...(await caseIdsByThreading(this.db, refs, threads, inReplyTo)));
    for (const label of mail.labels ?? []) {
      const match = CASE_LABEL.exec(label);
      if (match?.[1]) ids.push(match[1].toLowerCase());
    }
    return [...new Set(ids)];
  }
}

/** Providers disagree on whether a message id keeps its angle brackets; match either spelling. */
function withAndWithoutBrackets(values: Array<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const value of values) {
    const bare = value?.trim().replace(/^<|>$/g, '');
    if (!bare) continue;
    out.add(bare);
    out.add(`<${bare}>`);
  }
  return [...out];
}
