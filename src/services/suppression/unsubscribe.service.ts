// The one-click unsubscribe (RFC 8058): a POST to the link in a mail's List-Unsubscribe header, with no API key (the
// signed token is the proof). In one transaction it puts the address on the account's suppression list and ends the
// case FAILED/unsubscribed. Repeating it changes nothing; a tampered or foreign token changes nothing either.
import type { CaseEvent } from '../../domain/case-event.types';
import { isTerminal } from '../../domain/case.model';
import { unsubscribeKey } from '../../jobs/job.catalog';
import { findCase, lockCase } from '../../persistence/cases.repository';
import type { CaseEntity } from '../../persistence/entities';
import { insertSuppression } from '../../persistence/suppressions.repository';
import { applyTransition, DuplicateStep, type TransitionContext } from '../transitions/transition.service';
import type { ServiceContext } from '../service.context';
import { normalizeAddress } from './suppression.service';
import type { UnsubscribeLinks } from './unsubscribe-link.signer';

const UNSUBSCRIBED: CaseEvent = {
  type: 'SUPPRESSED',
  resultStatus: 'unsubscribed',
  reason: 'The counterparty unsubscribed (one-click)',
};

export type UnsubscribeOutcome = 'unsubscribed' | 'invalid';

export class UnsubscribeService {
  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    private readonly links: UnsubscribeLinks,
  ) {}

  /** Whether the token is one of ours for a case that still exists (the confirmation page asks; nothing changes). */
  async isValid(token: string): Promise<boolean> {
    const caseId = this.links.caseIdOf(token);
    const row = caseId ? await findCase(this.ctx.db.manager, caseId) : null;
    return row !== null && this.verify(token, row);
  }

  async oneClick(token: string): Promise<UnsubscribeOutcome> {
    const caseId = this.links.caseIdOf(token);
    if (!caseId) return 'invalid';
    try {
      return await this.ctx.db.transaction(async (manager) => {
        const row = await lockCase(manager, caseId);
        if (!row || !this.verify(token, row)) return 'invalid';
        const now = this.ctx.clock();
        await insertSuppression(manager, {
          accountId: row.accountId,
          address: normalizeAddress(row.counterparty.address),
          source: 'unsubscribe',
          reason: 'one-click unsubscribe',
          caseId: row.id,
          createdAt: now,
        });
        if (!isTerminal(row.status)) {
          await applyTransition(this.ctx, manager, row, UNSUBSCRIBED, unsubscribeKey(row.id), now);
        }
        return 'unsubscribed';
      });
    } catch (error) {
      // A concurrent POST of the same link got there first: the outcome is the same.
      if (error instanceof DuplicateStep) return 'unsubscribed';
      throw error;
    } finally {
      this.ctx.changes.changed();
    }
  }

  private verify(token: string, row: CaseEntity): boolean {
    return this.links.verify(token, { accountId: row.accountId, caseId: row.id, address: row.counterparty.address });
  }
}
